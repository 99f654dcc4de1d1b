import { BrowserWindow, app, ipcMain, protocol, session, shell, type IpcMainInvokeEvent, type WebContents } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSettings, DownloadProgress, HardwareInfo, ShortcutAction } from './shared/bridge-types';
import { UtilityEngineHost } from './app/engine-host';
import { IPC, IPC_EVENTS, parseIpc, type IpcArgs, type IpcChannel } from './app/ipc-schemas';
import { ModelsService } from './app/models-service';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  contentSecurityPolicy,
  isExternalUrlAllowed,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedOrigin,
  trustedOrigins,
  windowOpenDecision,
} from './app/security';
import { modelSetFor, type HardwareProfile } from './app/engine-config';
import { detectHardware } from './app/hardware';
import { openSettingsStore, openWindowStateStore, userDataPaths } from './app/settings';
import { SettingsHost } from './app/settings-host';
import { PushToTalkToggle, openShortcutStore, registerShortcuts, unregisterShortcuts } from './app/shortcuts';
import { readStaticFile } from './app/static-files';
import { AppTray } from './app/tray';
import { windowOptions } from './window-options';

/*
 * Built layout (electron-vite): out/main/index.js (this file), out/main/worker.js (engine process
 * entry), out/preload/preload.cjs (sandboxed preload must be CommonJS), out/renderer/ (the UI).
 */
const mainDir = path.dirname(fileURLToPath(import.meta.url));
const workerPath = path.join(mainDir, 'worker.js');
const preloadPath = path.join(mainDir, '..', 'preload', 'preload.cjs');
const rendererDir = path.join(mainDir, '..', 'renderer');
const resourcesDir = app.isPackaged ? path.join(process.resourcesPath, 'resources') : path.join(mainDir, '..', '..', 'resources');
/** electron-vite dev server (development only; never set in a packaged app). */
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const trusted = trustedOrigins(devServerUrl);
const CSP = contentSecurityPolicy();

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

const log = (message: string): void => console.log(`[murmur] ${message}`);

/*
 * Echo cancellation must see the reply audio. Chromium's AEC3 only takes audio played through
 * WebRTC as its reference unless the audio service runs it ("chrome-wide" echo cancellation: the
 * mix of everything Chromium plays to the output device is the reference), and Electron apps have
 * reported `echoCancellation: true` doing nothing without it (electron/electron#47043,
 * crbug.com/687574). The feature is `kChromeWideEchoCancellation` in media/base/media_switches.cc
 * (BASE_FEATURE, enabled by default on Windows/macOS/Linux in Chromium ≥ 114, so present in
 * Electron 45's Chromium 140); naming it here pins it on whatever field-trial defaults an Electron
 * build ships. The renderer still routes replies through the WebRTC loopback (echo-loopback.ts),
 * which the canceller hears either way. Must run before `ready`.
 */
app.commandLine.appendSwitch('enable-features', 'ChromeWideEchoCancellation');

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // GPU detection reads files only (node-llama-cpp); it runs while Electron starts up.
  main(detectHardware());
}

function main(hardware: Promise<HardwareProfile>): void {
  let mainWindow: BrowserWindow | undefined;
  let tray: AppTray | undefined;
  let quitting = false;

  const paths = userDataPaths(app.getPath('userData'));
  const windowState = openWindowStateStore(paths.windowState);
  const shortcutStore = openShortcutStore(path.join(app.getPath('userData'), 'shortcuts.json'), log);
  const ptt = new PushToTalkToggle();
  // Known once `hardware` resolves, which happens before the window exists (whenReady below).
  let hw: HardwareProfile = { gpu: false, cores: 1 };
  let settingsHost: SettingsHost | undefined;
  const host = (): SettingsHost => {
    if (!settingsHost) throw new Error('settings are not loaded yet');
    return settingsHost;
  };
  const settings = (): AppSettings => host().settings;
  const models = new ModelsService({ userModelsDir: paths.models, gpu: () => modelSetFor(hw).gpu, ttsDtype: () => settings().ttsDtype });

  // Main is the only sender of engine configuration: the start-up config, and `configure` when a
  // saved setting changes what the engine runs (the page never sends one).
  const engine = new UtilityEngineHost({
    workerPath,
    log,
    init: () => ({
      config: host().engineConfig(),
      journalPath: paths.journal,
      userModelsDir: paths.models,
    }),
    // A standby engine replaces a crashed one at once; on a GPU it would hold a second copy of the
    // models in video memory, so it is kept only when they run on the CPU.
    standby: () => !modelSetFor(hw).gpu,
  });
  engine.onRendererPort((port) => mainWindow?.webContents.postMessage(IPC_EVENTS.enginePort, null, [port]));
  engine.onEvent((event) => {
    if (event.type === 'phase') tray?.update({ listening: event.mode === 'always-listening', muted: event.muted });
    // A change the engine refused goes back in settings.json too (the page reloads its settings on that notice).
    if (settingsHost?.engineEvent(event)) log('settings: a change the engine could not apply was rolled back');
    // It could not start with the saved settings: start it again with the defaults (the saved ones stay).
    if (event.type === 'error' && event.code === 'load_failed' && settingsHost?.fallBackToDefaults()) {
      log(`the engine could not start with the saved settings (${event.message}); restarting it with the defaults`);
      engine.restart();
    }
  });

  const sendToRenderer = (channel: string, payload: ShortcutAction | DownloadProgress): void => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(channel, payload);
  };

  const showWindow = (): void => {
    if (!mainWindow) {
      mainWindow = createWindow();
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  app.on('second-instance', showWindow);

  function createWindow(): BrowserWindow {
    const win = new BrowserWindow({ ...windowOptions(preloadPath, windowState.get()), icon: path.join(resourcesDir, 'icon.png') });
    win.once('ready-to-show', () => win.show());
    const saveBounds = (): void => {
      if (win.isDestroyed() || win.isMinimized() || win.isFullScreen()) return;
      const b = win.getNormalBounds();
      windowState.set({ x: b.x, y: b.y, width: b.width, height: b.height });
    };
    let saveTimer: NodeJS.Timeout | undefined;
    const saveSoon = (): void => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(saveBounds, 400);
    };
    win.on('resize', saveSoon);
    win.on('move', saveSoon);
    win.on('close', (event) => {
      saveBounds();
      // Closing the window hides it to the tray; Quit (tray / app menu) really quits.
      if (!quitting && tray) {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (mainWindow === win) mainWindow = undefined;
    });
    void win.loadURL(devServerUrl ?? `${APP_ORIGIN}/index.html`);
    return win;
  }

  /** Every invoke channel is validated before its handler runs, and only our own page may call it. */
  function handle<C extends IpcChannel>(channel: C, handler: (args: IpcArgs<C>, event: IpcMainInvokeEvent) => unknown): void {
    ipcMain.handle(channel, (event, ...raw: unknown[]) => {
      const frameUrl = event.senderFrame?.url ?? '';
      if (!isTrustedOrigin(frameUrl, trusted)) throw new Error(`IPC from an untrusted page refused: ${channel}`);
      return handler(parseIpc(channel, raw), event);
    });
  }

  handle(IPC.connectEngine, (_args, event) => {
    const port = engine.connectRenderer();
    event.sender.postMessage(IPC_EVENTS.enginePort, null, [port]);
  });
  handle(IPC.settingsGet, () => settings());
  // Theme, devices and the like never reach the engine; anything it runs does, once.
  handle(IPC.settingsSet, ([patch]): AppSettings => host().update(patch));
  handle(IPC.hardware, (): HardwareInfo => host().hardware);
  handle(IPC.modelsList, () => models.list());
  handle(IPC.modelsDownload, async ([ids]) => {
    await models.download(ids, (p) => sendToRenderer(IPC_EVENTS.downloadProgress, p));
    if (models.defaultsInstalled()) engine.start();
  });
  handle(IPC.modelsCancel, () => models.cancel());
  handle(IPC.modelsRemove, ([id]) => models.remove(id));

  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  app.whenReady().then(async () => {
    hw = await hardware;
    settingsHost = new SettingsHost({
      store: openSettingsStore(paths.settings, hw, log),
      hw,
      configure: (config) => {
        if (engine.running) engine.send({ type: 'configure', patch: config });
      },
    });
    log(`hardware: ${hw.cores} cores, ${modelSetFor(hw).reason}`);
    installSessionPolicy();
    protocol.handle(APP_SCHEME, async (request) => {
      const url = new URL(request.url);
      if (url.host !== APP_HOST) return new Response('not found', { status: 404 });
      const result = await readStaticFile(rendererDir, url.pathname);
      if (result.status !== 200) return new Response(result.reason, { status: result.status });
      return new Response(new Uint8Array(result.body), {
        status: 200,
        headers: { 'content-type': result.contentType, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' },
      });
    });

    try {
      tray = new AppTray(path.join(resourcesDir, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'), {
        show: showWindow,
        setListening: (listening) => engine.send({ type: 'set_mode', mode: listening ? 'always-listening' : 'push-to-talk' }),
        setMuted: (muted) => engine.send({ type: 'mute', muted }),
        quit: () => app.quit(),
      });
    } catch (err) {
      log(`no tray icon (${err instanceof Error ? err.message : String(err)}); closing the window quits`);
    }

    const failed = registerShortcuts(shortcutStore.get(), (action) => {
      sendToRenderer(IPC_EVENTS.shortcut, action === 'toggle-ptt' ? ptt.press() : action);
    });
    if (failed.length) log(`could not register global shortcuts ${failed.join(', ')} (in use by another app?); edit shortcuts.json in ${app.getPath('userData')}`);

    // First run: without the default models the UI shows the download screen and the engine starts after it.
    if (models.defaultsInstalled()) engine.start();
    else log('default models missing: waiting for the first-run download');
    mainWindow = createWindow();
  }, (err: unknown) => {
    console.error(err);
    app.exit(1);
  });

  app.on('activate', showWindow);
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    unregisterShortcuts();
    tray?.destroy();
    tray = undefined;
    if (engine.running) {
      event.preventDefault();
      void engine.stop().finally(() => app.exit(0));
    }
  });
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
}

function installSessionPolicy(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, contents.getURL(), details, trusted));
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    isPermissionAllowed(permission, requestingOrigin, { mediaType: details.mediaType, requestingUrl: details.requestingUrl, isMainFrame: details.isMainFrame }, trusted),
  );
  ses.setDevicePermissionHandler(() => false);
  // No remote content: only our scheme, the dev server (development) and devtools may load anything.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isTrustedOrigin(details.url, trusted) || details.url.startsWith('devtools://') || details.url.startsWith('data:');
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...details.responseHeaders };
    if (isTrustedOrigin(details.url, trusted)) {
      // the dev server needs its HMR socket; the packaged app only ever talks to itself
      const csp = devServerUrl ? contentSecurityPolicy({ connectSrc: [devServerUrl.replace(/^http/, 'ws')] }) : CSP;
      headers['Content-Security-Policy'] = [csp];
    }
    callback({ responseHeaders: headers });
  });
}

function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url, contents.getURL())) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedOrigin(url, trusted)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to model pages open in the user's browser; nothing ever opens an app window.
    if (isExternalUrlAllowed(url)) void shell.openExternal(url);
    return windowOpenDecision();
  });
}
