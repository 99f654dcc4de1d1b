#!/usr/bin/env node
// npm run dist [-- --linux|--mac|--win] [--dir] [--x64|--arm64] [--skip-build] [electron-builder options]
//
// Builds the app (electron-vite) and packages it with electron-builder, offline: Electron comes
// from ELECTRON_OVERRIDE_DIST_PATH or from the binary `npm start` already fetched
// (node_modules/electron/dist); a missing one is a clear error, never a download. Before packaging,
// out/THIRD_PARTY_NOTICES.txt is written (production dependencies' licences and the models').
//   MURMUR_DIST_CUDA=1   include node-llama-cpp's CUDA binaries (~540 MB)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { distConfig } from './dist-config.mjs';
import { writeNotices } from './notices.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const fail = (message) => {
  console.error(`[dist] ${message}`);
  process.exit(1);
};

const electronDist = process.env.ELECTRON_OVERRIDE_DIST_PATH
  ? path.resolve(process.env.ELECTRON_OVERRIDE_DIST_PATH)
  : path.join(root, 'node_modules', 'electron', 'dist');
if (!existsSync(electronDist)) {
  fail(
    `no Electron binary at ${electronDist}. Run \`npm start\` once on a connected machine (it fetches Electron), ` +
      'or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron folder. Packaging never downloads.',
  );
}
const electronPackage = JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8'));
const versionFile = path.join(electronDist, 'version');
const electronVersion = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim().replace(/^v/, '') : electronPackage.version;

const platformFlags = { '--linux': 'linux', '-l': 'linux', '--mac': 'mac', '-m': 'mac', '--win': 'win', '-w': 'win' };
const hostPlatform = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform] ?? 'linux';
const platforms = [...new Set(args.map((a) => platformFlags[a]).filter(Boolean))];
if (platforms.length === 0) platforms.push(hostPlatform);
const arches = ['x64', 'arm64', 'armv7l'].filter((a) => args.includes(`--${a}`));
if (arches.length === 0) arches.push(process.arch === 'arm64' ? 'arm64' : 'x64');

const run = (command, commandArgs) => {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit', env: process.env });
  if (result.status !== 0) fail(`${path.basename(commandArgs[0] ?? command)} failed (exit ${result.status})`);
};

if (!args.includes('--skip-build')) run(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build']);
if (!existsSync(path.join(root, 'out', 'main', 'index.js'))) fail('out/main/index.js is missing: the build did not run');
const notices = writeNotices(root, path.join(root, 'out', 'THIRD_PARTY_NOTICES.txt'));
console.log(`[dist] ${notices.packages} packages and ${notices.models} models in out/THIRD_PARTY_NOTICES.txt`);

const outputArg = args.find((a) => a.startsWith('--output='));
const config = distConfig({ platforms, arches, cuda: process.env.MURMUR_DIST_CUDA === '1', electronDist, output: outputArg?.slice('--output='.length) });
const configFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'murmur-dist-')), 'electron-builder.json');
writeFileSync(configFile, JSON.stringify({ ...config, electronVersion }, null, 2));
const passThrough = args.filter((a) => a !== '--skip-build' && !a.startsWith('--output='));
run(process.execPath, [path.join(root, 'node_modules', 'electron-builder', 'cli.js'), '--config', configFile, ...passThrough]);
