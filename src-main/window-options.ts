import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export const DEFAULT_WINDOW_BOUNDS: WindowBounds = { width: 1040, height: 720 };

/**
 * The main window's options. Pure (type-only electron import) so tests can check the security
 * settings: isolated, sandboxed renderer without Node, web security on, no webview, no remote
 * module, spellchecker off (it would send nothing, but loads dictionaries from a CDN).
 */
export function windowOptions(preloadPath: string, bounds: WindowBounds = DEFAULT_WINDOW_BOUNDS): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 420,
    minHeight: 480,
    show: false,
    title: 'Murmur',
    backgroundColor: '#111318',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  };
}
