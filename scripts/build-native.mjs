#!/usr/bin/env node
// Builds the whisper.cpp binding (smart-whisper) with the CPU's SIMD enabled.
//
// Why: the binding's default build compiles whisper.cpp without -march flags, and on x86-64 that
// leaves AVX/AVX2/FMA/F16C off. Measured on this project's 2-core VM (docs/PERFORMANCE.md): the
// same 2.9 s clip took 8.6 s as installed and 0.95 s with -O3 -march=native.
//
// Env:
//   MURMUR_WHISPER_CFLAGS  compiler flags (default "-O3 -march=native"; release builds set a
//                          portable baseline such as "-O3 -march=x86-64-v3")
//   MURMUR_SKIP_NATIVE=1   skip (e.g. packaging on a CI box that rebuilds for each target)
//   COMPUTE_BACKEND        passed through to smart-whisper (cpu | openblas | metal | accelerate)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
if (process.env.MURMUR_SKIP_NATIVE === '1') {
  console.log('[build-native] MURMUR_SKIP_NATIVE=1, skipping');
  process.exit(0);
}

let pkgDir;
try {
  pkgDir = path.dirname(require.resolve('smart-whisper/package.json'));
} catch {
  console.log('[build-native] smart-whisper not installed, nothing to build');
  process.exit(0);
}

const flags = process.env.MURMUR_WHISPER_CFLAGS ?? '-O3 -march=native -DNDEBUG';
const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
const stampFile = path.join(pkgDir, 'build', 'Release', 'murmur-build.json');
const wanted = { version, flags, backend: process.env.COMPUTE_BACKEND ?? 'auto', node: process.versions.modules };
if (existsSync(stampFile)) {
  try {
    const have = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (JSON.stringify(have) === JSON.stringify(wanted)) {
      console.log(`[build-native] smart-whisper already built with "${flags}"`);
      process.exit(0);
    }
  } catch {
    /* rebuild */
  }
}

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const candidates = [
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => existsSync(c));
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error('[build-native] node-gyp not found: install it (npm i -g node-gyp) and run `node scripts/build-native.mjs`');
  process.exit(1);
}
console.log(`[build-native] building smart-whisper ${version} with "${flags}" (takes a minute or two)`);
const started = Date.now();
const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));
// Offline machines cannot fetch Node's headers: build against the ones installed beside node.
const installPrefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir =
  process.env.npm_config_nodedir ??
  (existsSync(path.join(installPrefix, 'include', 'node', 'node.h')) ? installPrefix : undefined);
const gypArgs = [nodeGyp, 'rebuild', '-j', jobs, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(process.execPath, gypArgs, {
  cwd: pkgDir,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CFLAGS: flags, CXXFLAGS: flags },
});
if (result.status !== 0) {
  console.error('[build-native] smart-whisper build failed; see the compiler output above');
  process.exit(result.status ?? 1);
}
writeFileSync(stampFile, JSON.stringify(wanted));
console.log(`[build-native] done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
