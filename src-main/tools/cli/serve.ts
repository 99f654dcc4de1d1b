/**
 * npm run serve -- [--models standin|standin-real|default] [--port N] [--no-open] [engine flags]
 *
 * Web mode: the same UI as the desktop app, in your browser, talking to a local engine process
 * over a token-protected WebSocket on 127.0.0.1. Builds the renderer into out/renderer first when
 * it is missing (or with --rebuild).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { detectHardware } from '../../app/hardware';
import { openSettingsStore, userDataPaths } from '../../app/settings';
import { SettingsHost } from '../../app/settings-host';
import { EngineProcess } from '../../engine/host/engine-process';
import { resolveInit } from './model-sets';
import { defaultUserDataDir } from '../../models/store';
import { createWebServer, isLoopbackAddress } from '../../web/server';
import { ENGINE_FLAG_OPTIONS, engineInitFromFlags } from './engine-args';

const USAGE = `usage: npm run serve -- [--models standin|standin-real|default] [--port N] [--host 127.0.0.1] [--no-open] [--rebuild] [--settings <file>]
       [--stt-model <file>] [--llm-model <file>] [--tts-model <dir>] [--voice <id>] [--eot <ms>] [--threads stt,llm,tts] [--journal <file>]`;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Builds only the renderer (Vite + React) into `outDir`. */
async function buildRenderer(outDir: string): Promise<void> {
  const [{ build }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  // Always a production build (no dev-only code such as the demo feed), even when serve runs under
  // a test runner that sets NODE_ENV=test (Vite derives import.meta.env.DEV from NODE_ENV).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: false,
      mode: 'production',
      root: path.join(projectRoot, 'src-renderer'),
      base: '/',
      plugins: [react()],
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => console.log(`(could not open a browser: open the URL above yourself)`));
    child.unref();
  } catch {
    console.log('(could not open a browser: open the URL above yourself)');
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'no-open': { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      'renderer-dir': { type: 'string' },
      /** settings.json to use (default: the desktop app's, so both modes share one set of settings). */
      settings: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port expects 0–65535 (got "${values.port}")\n${USAGE}`);
    return 2;
  }
  if (!isLoopbackAddress(values.host)) {
    console.error(`serve: web mode only listens on 127.0.0.1 or ::1 (got --host ${values.host}); it is not meant to be reachable from other machines`);
    return 2;
  }

  const rendererDir = path.resolve(values['renderer-dir'] ?? path.join(projectRoot, 'out', 'renderer'));
  if (values.rebuild || !existsSync(path.join(rendererDir, 'index.html'))) {
    console.log(`building the UI into ${rendererDir} …`);
    await buildRenderer(rendererDir);
  }

  // Web mode's server owns the settings and is the only sender of engine configuration (as main
  // is in the desktop app): the page asks for and saves settings over its socket (app_* messages).
  const hw = await detectHardware();
  const settingsFile = values.settings ? path.resolve(values.settings) : userDataPaths(defaultUserDataDir()).settings;
  const store = openSettingsStore(settingsFile, hw, (problem) => console.warn(`serve: ${problem}`));
  const settings = new SettingsHost({
    store,
    hw,
    configure: (config) => {
      startWith(config);
      engine.send({ type: 'configure', patch: config }); // only on a save, long after `engine` exists
    },
    reverted: (config) => startWith(config),
  });
  const flagsInit = engineInitFromFlags(values, settings.engineConfig());
  if (flagsInit.modelSet === 'default') flagsInit.userModelsDir = path.join(defaultUserDataDir(), 'models');
  // Stand-in sets become explicit paths here: the engine process only ever gets model paths.
  const init = await resolveInit(flagsInit);
  const engine = new EngineProcess({ init });
  /** A restarted engine starts from the current settings (with the model paths resolved at start). */
  const startWith = (config: ReturnType<SettingsHost['engineConfig']>): void => {
    init.config = { ...engineInitFromFlags(values, config).config, models: { ...init.config.models, ...config.models } };
  };
  engine.onEvent((event) => {
    if (event.type === 'host' && event.status !== 'started') console.log(`engine: ${event.status}${'restartMs' in event ? ` in ${event.restartMs} ms` : ''}`);
    if (event.type === 'state') console.log(`engine: ${event.state}${event.detail ? ` (${event.detail})` : ''}`);
    if (event.type === 'error') console.error(`engine error [${event.code}]: ${event.message}`);
    // A change the engine refused goes back in the settings file too (the page reloads its settings on that notice).
    if (settings.engineEvent(event)) console.log('settings: a change the engine could not apply was rolled back');
    // It could not start with the saved settings: start it with the defaults, and say so.
    if (event.type === 'error' && event.code === 'load_failed' && settings.fallBackToDefaults()) {
      console.warn(`serve: the engine could not start with your settings (${event.message}); restarting it with the default settings`);
      startWith(settings.engineConfig());
      engine.restart({ type: 'error', code: 'settings_fallback', message: `Murmur could not start with your settings (${event.message}), so it started with the default settings. Your settings are kept: change them in Settings.`, fatal: false });
    }
  });

  const server = await createWebServer({ engine, rendererDir, port, host: values.host, onAppMessage: (message, reply) => reply(settings.handle(message)) });
  console.log(`hardware: ${hw.cores} cores; ${settings.hardware.modelSet.reason}`);
  console.log(`Murmur web mode: ${server.url}`);
  console.log('(only this machine can connect; the token in the link is required)');
  if (!values['no-open']) openBrowser(server.url);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await server.close();
    await engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  engine.start().catch((err: unknown) => {
    console.error(`engine failed to start: ${err instanceof Error ? err.message : String(err)}`);
  });
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    console.error(`serve: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
