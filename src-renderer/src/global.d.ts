/// <reference types="vite/client" />
import type { MurmurBridge } from './bridge-types';

declare global {
  interface Window {
    /** Present only inside the Electron app (exposed by preload). */
    murmur?: MurmurBridge;
  }
}
