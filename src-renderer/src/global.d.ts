/// <reference types="vite/client" />
import type { MurmurBridge } from '../../src-main/shared/bridge-types';

declare global {
  interface Window {
    /** Present only inside the Electron app (exposed by preload). */
    murmur?: MurmurBridge;
  }
}
