import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  ENGINE_PORT_MESSAGE,
  type AppSettings,
  type DownloadProgress,
  type HardwareInfo,
  type ModelInfo,
  type MurmurBridge,
  type ShortcutAction,
} from './shared/bridge-types';
import { IPC, IPC_EVENTS } from './app/ipc-channels';

/*
 * Sandboxed preload (CommonJS, no Node APIs beyond the electron renderer modules): a minimal typed
 * bridge. The page gets named functions only, never ipcRenderer itself; main validates every
 * payload again (src-main/app/ipc-schemas.ts).
 */

function subscribe<T>(channel: string, cb: (payload: T) => void): () => void {
  const listener = (_event: IpcRendererEvent, payload: T): void => cb(payload);
  ipcRenderer.on(channel, listener);
  return () => {
    ipcRenderer.removeListener(channel, listener);
  };
}

/** The page's window (this file is type-checked without the DOM library). */
const pageWindow = globalThis as unknown as { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void };

// The engine port (initial connection and a fresh one after every engine restart) goes straight
// into the page, so audio and events never pass through main.
ipcRenderer.on(IPC_EVENTS.enginePort, (event) => {
  const port = event.ports[0];
  if (port) pageWindow.postMessage({ type: ENGINE_PORT_MESSAGE }, '*', [port]);
});

const bridge: MurmurBridge = {
  platform: process.platform,
  connectEngine: () => ipcRenderer.invoke(IPC.connectEngine) as Promise<void>,
  settings: {
    get: () => ipcRenderer.invoke(IPC.settingsGet) as Promise<AppSettings>,
    set: (patch: Partial<AppSettings>) => ipcRenderer.invoke(IPC.settingsSet, patch) as Promise<AppSettings>,
  },
  hardware: () => ipcRenderer.invoke(IPC.hardware) as Promise<HardwareInfo>,
  onShortcut: (cb: (action: ShortcutAction) => void) => subscribe<ShortcutAction>(IPC_EVENTS.shortcut, cb),
  models: {
    list: () => ipcRenderer.invoke(IPC.modelsList) as Promise<ModelInfo[]>,
    download: (ids?: string[]) => (ids === undefined ? ipcRenderer.invoke(IPC.modelsDownload) : ipcRenderer.invoke(IPC.modelsDownload, ids)) as Promise<void>,
    cancelDownload: () => ipcRenderer.invoke(IPC.modelsCancel) as Promise<void>,
    remove: (id: string) => ipcRenderer.invoke(IPC.modelsRemove, id) as Promise<void>,
    onProgress: (cb: (progress: DownloadProgress) => void) => subscribe<DownloadProgress>(IPC_EVENTS.downloadProgress, cb),
  },
};

contextBridge.exposeInMainWorld('murmur', bridge);
