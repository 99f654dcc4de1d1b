import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src-main/tools/dev/shared-data';
import { describeIsolation, offlineIsolation, runNodeOffline } from '../helpers/offline';

/**
 * `npm start` / `npm run dev` go through scripts/electron.mjs, which makes sure Electron's binary is
 * present before electron-vite runs. Most cases run it in a throwaway project holding a copy of the
 * electron npm package without its binary (a fresh install), with Electron's installer settings
 * pointed at local servers and a private download cache, so the developer's own Electron and cache
 * are never touched. Electron's executable cannot be downloaded here: where one must run, a shell
 * script stands in for it (named as such).
 */
const root = projectRoot();
const LAUNCHER = path.join(root, 'scripts', 'electron.mjs');
const realElectronDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
const electronVersion = (JSON.parse(readFileSync(path.join(realElectronDir, 'package.json'), 'utf8')) as { version: string }).version;
const executableName = process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : process.platform === 'win32' ? 'electron.exe' : 'electron';

const tmp = mkdtempSync(path.join(tmpdir(), 'murmur-electron-launch-'));
const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(tmp, { recursive: true, force: true });
});

let projects = 0;
/** A project with a fresh `npm install` of electron: its package files and installer dependencies, no binary. */
function freshProject(): { dir: string; electronDir: string; cache: string } {
  const dir = path.join(tmp, `project-${++projects}`);
  const electronDir = path.join(dir, 'node_modules', 'electron');
  mkdirSync(electronDir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'electron-launch-fixture', private: true }));
  for (const file of ['package.json', 'index.js', 'install.js', 'cli.js', 'checksums.json']) {
    copyFileSync(path.join(realElectronDir, file), path.join(electronDir, file));
  }
  const electronRequire = createRequire(path.join(realElectronDir, 'package.json'));
  for (const dependency of ['@electron/get', '@electron-internal/extract-zip']) {
    let packageDir = path.dirname(electronRequire.resolve(dependency));
    while (!existsSync(path.join(packageDir, 'package.json'))) packageDir = path.dirname(packageDir);
    mkdirSync(path.dirname(path.join(dir, 'node_modules', dependency)), { recursive: true });
    symlinkSync(packageDir, path.join(dir, 'node_modules', dependency), 'dir');
  }
  return { dir, electronDir, cache: path.join(dir, 'electron-cache') };
}

/** This process's environment without any Electron installer or launcher settings of the developer's. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(electron_|npm_config_electron_|npm_config_(arch|platform)$|force_no_cache$)/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

function launch(cwd: string, args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  // The timeout is the "never hangs" bound, far above the few seconds an offline failure takes.
  return spawnSync(process.execPath, [LAUNCHER, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

/** The launcher's failure contract: one `murmur:` line naming Electron's missing binary and the fix, no stack. */
function expectOneLineFailure(result: { status: number | null; error?: Error; stderr: string }): string {
  expect(result.error, 'the launcher must finish on its own, not hang').toBeUndefined();
  expect(result.status, result.stderr).toBe(1);
  expect(result.stderr).not.toMatch(/Electron uninstall/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('murmur:'));
  expect(lines, result.stderr).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toContain(`Electron ${electronVersion}'s binary is missing`);
  expect(line).toContain('ELECTRON_OVERRIDE_DIST_PATH');
  return line;
}

/** Like launch, without blocking this process: for cases where this process also serves the download. */
function launchAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; error?: Error; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], { cwd, env, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status, signal) => resolve({ status, stdout, stderr, error: signal ? new Error(`killed by ${signal}`) : undefined }));
  });
}

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

/** A zip (stored, no compression) of the given files, Unix modes kept, as Electron's release zips are. */
function zip(files: Array<{ name: string; data: Buffer; mode: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, mode } of files) {
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Stand-in for Electron's executable (the real one cannot be downloaded here): records how it was launched. */
const STANDIN_EXECUTABLE = '#!/bin/sh\n# stand-in for the Electron executable\nprintf "%s\\n" "$PWD" "$@" > "$MURMUR_STANDIN_ELECTRON_RECORD"\n';

describe('npm start / npm run dev: Electron binary', () => {
  it('without a reachable download host (closed 127.0.0.1 port) fails at once with one line naming the binary and the fix', async () => {
    const project = freshProject();
    const result = launch(project.dir, ['preview'], cleanEnv({ ELECTRON_MIRROR: await closedPortUrl(), electron_config_cache: project.cache }));
    expect(expectOneLineFailure(result)).toMatch(/ECONNREFUSED/);
    expect(existsSync(path.join(project.electronDir, 'dist')), 'nothing half-installed').toBe(false);
  });

  const isolation = offlineIsolation();
  it(`offline for real (default download host, ${isolation === 'namespace' ? 'user+net namespace' : 'socket guard'}) fails the same way`, () => {
    console.log(`electron launch offline isolation: ${describeIsolation(isolation)}`);
    const project = freshProject();
    const run = runNodeOffline([LAUNCHER, 'dev'], { cwd: project.dir, timeoutMs: 60_000, env: cleanEnv({ electron_config_cache: project.cache }) });
    expectOneLineFailure(run);
    // The download really was attempted, from inside the isolated process.
    const attempts = run.reports.flatMap((r) => r.attempts);
    expect(attempts.some((a) => a.startsWith('fetch ') && a.includes(`electron-v${electronVersion}-`)), attempts.join('\n')).toBe(true);
    if (isolation === 'namespace') expect(run.reports.every((r) => r.interfaces === null || r.interfaces.join() === 'lo')).toBe(true);
  });

  it('gives up on a download host that stops sending (stall timeout) instead of hanging', async () => {
    const project = freshProject();
    const mirror = await listen(() => {
      // accept the request, never answer
    });
    const result = await launchAsync(project.dir, ['preview'], cleanEnv({ ELECTRON_MIRROR: mirror, electron_config_cache: project.cache, MURMUR_ELECTRON_STALL_S: '1' }));
    expect(expectOneLineFailure(result)).toContain('no data from the download host for 1 s');
  });

  it('downloads with visible progress and installs with Electron\'s own installer, once', async () => {
    const project = freshProject();
    const archive = zip([
      { name: executableName, data: Buffer.from(STANDIN_EXECUTABLE), mode: 0o755 },
      { name: 'version', data: Buffer.from(electronVersion), mode: 0o644 },
    ]);
    const requests: string[] = [];
    let zipName = '';
    const mirror = await listen((req, res) => {
      requests.push(req.url ?? '');
      if (req.url?.endsWith('.zip')) {
        zipName = path.posix.basename(req.url);
        res.writeHead(200, { 'content-length': archive.length }).end(archive);
      } else if (req.url?.endsWith('/SHASUMS256.txt')) {
        res.end(`${createHash('sha256').update(archive).digest('hex')} *${zipName}\n`);
      } else {
        res.writeHead(404).end();
      }
    });
    // The stand-in zip is not in Electron's checksums.json: verify against the mirror's SHASUMS256.txt instead.
    const env = cleanEnv({ ELECTRON_MIRROR: mirror, electron_config_cache: project.cache, electron_use_remote_checksums: '1' });
    const first = await launchAsync(project.dir, ['ensure'], env);
    expect(first.status, first.stderr).toBe(0);
    const executable = path.join(project.electronDir, 'dist', executableName);
    expect(first.stdout.trim()).toBe(executable);
    expect(first.stderr).toContain(`Downloading Electron ${electronVersion} for ${process.platform}-${process.arch}`);
    expect(first.stderr).toMatch(/100% \(/);
    expect(readFileSync(path.join(project.electronDir, 'path.txt'), 'utf8')).toBe(executableName);
    expect(requests.filter((r) => r.endsWith('.zip'))).toHaveLength(1);

    const again = launch(project.dir, ['ensure'], { ...env, ELECTRON_MIRROR: await closedPortUrl() });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(executable);
    expect(again.stderr).toBe('');
  });

  it('ELECTRON_OVERRIDE_DIST_PATH without an executable in it fails with one line naming the variable', () => {
    const project = freshProject();
    const empty = path.join(project.dir, 'empty-electron');
    mkdirSync(empty);
    const result = launch(project.dir, ['preview'], cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: empty }));
    expect(expectOneLineFailure(result)).toContain(`ELECTRON_OVERRIDE_DIST_PATH=${empty} has no ${executableName}`);
  });

  it('`npm start` builds the app and launches the Electron in ELECTRON_OVERRIDE_DIST_PATH (a stand-in script)', () => {
    const dist = path.join(tmp, 'unpacked-electron');
    const executable = path.join(dist, executableName);
    mkdirSync(path.dirname(executable), { recursive: true });
    writeFileSync(executable, STANDIN_EXECUTABLE);
    chmodSync(executable, 0o755);
    const record = path.join(tmp, 'launched.txt');
    const result = spawnSync('npm', ['start'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      env: cleanEnv({ ELECTRON_OVERRIDE_DIST_PATH: dist, MURMUR_STANDIN_ELECTRON_RECORD: record }),
    });
    expect(result.error, String(result.error)).toBeUndefined();
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(readFileSync(record, 'utf8').trim().split('\n')).toEqual([root, '.']);
    expect(existsSync(path.join(root, 'out', 'main', 'index.js'))).toBe(true);
  });
});
