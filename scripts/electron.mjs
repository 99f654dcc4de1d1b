#!/usr/bin/env node
// `npm start` / `npm run dev`: make sure Electron's binary is present, then run electron-vite.
//
// Why: Electron 45 downloads its binary lazily, when `require('electron')` first runs; electron-vite
// only reads `node_modules/electron/path.txt` and never triggers that download, so on a fresh clone
// it stops with "Electron uninstall". This launcher downloads the binary once with Electron's own
// downloader (@electron/get, with visible progress and a stall timeout so an offline machine fails
// in seconds, never hangs), lets Electron's own installer (`install-electron`) unpack it, and hands
// the executable to electron-vite through its ELECTRON_EXEC_PATH.
//
// Usage: node scripts/electron.mjs preview|dev [electron-vite options]
//        node scripts/electron.mjs ensure      (only make sure; prints the executable's path)
// Env:   ELECTRON_OVERRIDE_DIST_PATH  use an unpacked Electron in that folder (nothing is downloaded)
//        ELECTRON_EXEC_PATH           electron-vite's own override: that exact executable
//        ELECTRON_MIRROR, electron_config_cache, ...  Electron's documented installer settings
//        MURMUR_ELECTRON_STALL_S      give up when the download host sends nothing for this long (20)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const stallSetting = Number(process.env.MURMUR_ELECTRON_STALL_S);
const STALL_SECONDS = Number.isFinite(stallSetting) && stallSetting > 0 ? stallSetting : 20;
const FIX =
  'Connect to the internet once and run this again (the binary is cached), or set ELECTRON_OVERRIDE_DIST_PATH ' +
  'to the folder of an unpacked Electron';

/** A failure the user can act on: printed as one line, without a stack. */
class LaunchError extends Error {}

/** Resolves packages the way the project does: from the folder npm runs scripts in. */
const projectRequire = createRequire(path.join(process.cwd(), 'package.json'));

function electronPackage() {
  let file;
  try {
    file = projectRequire.resolve('electron/package.json');
  } catch {
    throw new LaunchError('the electron package is not installed in this project: run `npm install` first');
  }
  const dir = path.dirname(file);
  const { version } = JSON.parse(readFileSync(file, 'utf8'));
  return { dir, version };
}

/** Target platform and arch exactly as Electron's install.js reads them. */
function target() {
  const platform = process.env.ELECTRON_INSTALL_PLATFORM || process.env.npm_config_platform || process.platform;
  const arch = process.env.ELECTRON_INSTALL_ARCH || process.env.npm_config_arch || process.arch;
  return { platform, arch };
}

/** The executable's path inside an unpacked Electron, as install.js names it. */
function executableInDist(platform) {
  if (platform === 'darwin' || platform === 'mas') return 'Electron.app/Contents/MacOS/Electron';
  if (platform === 'win32') return 'electron.exe';
  return 'electron';
}

/** install.js's own "is it installed" test: dist/version, path.txt and the executable agree. */
function installedExecutable(electron, platform) {
  const relative = executableInDist(platform);
  const read = (file) => {
    try {
      return readFileSync(path.join(electron.dir, file), 'utf8');
    } catch {
      return undefined;
    }
  };
  if (read('dist/version')?.replace(/^v/, '').trim() !== electron.version) return undefined;
  if (read('path.txt') !== relative) return undefined;
  const executable = path.join(electron.dir, 'dist', relative);
  return existsSync(executable) ? executable : undefined;
}

function reasonOf(error) {
  const parts = [];
  for (let e = error; e instanceof Error && parts.length < 4; e = e.cause) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(error);
}

function progressPrinter(label) {
  const tty = process.stderr.isTTY === true;
  let lastTenth = -1;
  return {
    update({ transferred, total }) {
      const mb = (bytes) => (bytes / 1e6).toFixed(1);
      const percent = total ? Math.floor((transferred / total) * 100) : undefined;
      const text = `${label}: ${percent ?? '?'}% (${mb(transferred)}${total ? ` / ${mb(total)}` : ''} MB)`;
      if (tty) {
        process.stderr.write(`\r${text}`);
      } else if (percent !== undefined && Math.floor(percent / 10) > lastTenth) {
        lastTenth = Math.floor(percent / 10);
        process.stderr.write(`${text}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** Downloads the zip into Electron's cache with @electron/get, the library Electron's installer uses. */
async function downloadIntoCache(electron, { platform, arch }) {
  const electronRequire = createRequire(path.join(electron.dir, 'package.json'));
  const { downloadArtifact } = await import(pathToFileURL(electronRequire.resolve('@electron/get')).href);
  const remoteChecksums = process.env.electron_use_remote_checksums || process.env.npm_config_electron_use_remote_checksums;
  const label = `Downloading Electron ${electron.version} for ${platform}-${arch}`;
  const progress = progressPrinter(label);
  const stall = new AbortController();
  let timer;
  const armStallTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error(`no data from the download host for ${STALL_SECONDS} s`)), STALL_SECONDS * 1000);
  };
  process.stderr.write(`${label} (about 100 MB, once; ELECTRON_MIRROR selects another host)\n`);
  armStallTimer();
  try {
    await downloadArtifact({
      version: electron.version,
      artifactName: 'electron',
      platform,
      arch,
      force: process.env.force_no_cache === 'true',
      cacheRoot: process.env.electron_config_cache,
      checksums: remoteChecksums ? undefined : JSON.parse(readFileSync(path.join(electron.dir, 'checksums.json'), 'utf8')),
      downloadOptions: {
        quiet: true,
        signal: stall.signal,
        getProgressCallback: (p) => {
          armStallTimer();
          progress.update(p);
        },
      },
    });
  } catch (error) {
    throw stall.signal.aborted ? stall.signal.reason : error;
  } finally {
    clearTimeout(timer);
    progress.done();
  }
}

/** The executable to launch: an override, the installed binary, or one downloaded and installed now. */
async function ensureElectron() {
  const electron = electronPackage();
  const { platform, arch } = target();
  const wanted = `Electron ${electron.version}'s binary`;

  const execPath = process.env.ELECTRON_EXEC_PATH;
  if (execPath) {
    if (!existsSync(execPath)) throw new LaunchError(`${wanted} is missing: ELECTRON_EXEC_PATH=${execPath} does not exist`);
    return execPath;
  }
  const overrideDir = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (overrideDir) {
    const executable = path.join(overrideDir, executableInDist(platform));
    if (!existsSync(executable)) {
      throw new LaunchError(
        `${wanted} is missing: ELECTRON_OVERRIDE_DIST_PATH=${overrideDir} has no ${executableInDist(platform)}; point it at the folder of an unpacked Electron ${electron.version}`,
      );
    }
    return executable;
  }
  const installed = installedExecutable(electron, platform);
  if (installed) return installed;

  try {
    await downloadIntoCache(electron, { platform, arch });
  } catch (error) {
    throw new LaunchError(
      `${wanted} is missing (it belongs in ${path.join(electron.dir, 'dist')}) and could not be downloaded: ${reasonOf(error)}. ${FIX} ${electron.version}.`,
    );
  }
  // Electron's own installer: finds the verified zip in the cache, unpacks it and writes path.txt.
  const install = spawnSync(process.execPath, [path.join(electron.dir, 'install.js')], { stdio: 'inherit' });
  const executable = installedExecutable(electron, platform);
  if (install.status !== 0 || !executable) {
    throw new LaunchError(`${wanted} could not be installed into ${path.join(electron.dir, 'dist')} (install-electron exited with ${install.status ?? install.signal}). ${FIX} ${electron.version}.`);
  }
  return executable;
}

function runElectronVite(args, executable) {
  const bin = path.join(path.dirname(projectRequire.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit', env: { ...process.env, ELECTRON_EXEC_PATH: executable } });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'preview' && command !== 'dev' && command !== 'ensure') {
    console.error('usage: node scripts/electron.mjs preview|dev|ensure [electron-vite options]');
    process.exit(2);
  }
  try {
    const executable = await ensureElectron();
    if (command === 'ensure') console.log(executable);
    else runElectronVite([command, ...rest], executable);
  } catch (error) {
    if (!(error instanceof LaunchError)) throw error;
    console.error(`murmur: ${error.message}`);
    process.exit(1);
  }
}

await main();
