import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';
import { KokoroTts } from '../../../src-main/engine/stages/tts/kokoro-tts';
import { defaultVadModelPath } from '../../../src-main/engine/stages/vad/silero-vad';
import { ensureKokoroStandin } from '../../../src-main/tools/dev/standins/kokoro-onnx';

function assertAudio(samples: Float32Array): void {
  expect(samples).toBeInstanceOf(Float32Array);
  expect(samples.length).toBeGreaterThan(0);
  let peak = 0;
  for (const v of samples) {
    expect(Number.isFinite(v)).toBe(true);
    peak = Math.max(peak, Math.abs(v));
  }
  expect(peak).toBeGreaterThan(0.01);
  expect(peak).toBeLessThanOrEqual(1);
}

describe('KokoroTts (Kokoro-82M stand-in, light profile)', () => {
  let modelDir: string;
  let tts: KokoroTts;
  const fetchCalls: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    modelDir = await ensureKokoroStandin('light');
    // Network guard (not a mock): any fetch during load/phonemization/synthesis is recorded and refused.
    globalThis.fetch = ((input: string | URL | Request) => {
      fetchCalls.push(String(input instanceof Request ? input.url : input));
      return Promise.reject(new Error('network access is not allowed in the TTS stage'));
    }) as typeof fetch;
    tts = await KokoroTts.load({ modelDir, dtype: 'q8', device: 'cpu', threads: 1, voice: 'af_heart', speed: 1 });
    await tts.warm();
  });

  afterAll(async () => {
    await tts?.dispose();
    globalThis.fetch = realFetch;
  });

  it('reports its backend, sample rate and the voices that ship with kokoro-js', () => {
    expect(tts.sampleRate).toBe(24000);
    expect(tts.backend.device).toBe('cpu');
    expect(tts.backend.threads).toBe(1);
    expect(tts.backend.detail).toContain('model_quantized.onnx');
    const voices = tts.voices();
    expect(voices).toContain('af_heart');
    expect(voices).toContain('am_adam');
    expect(voices.length).toBeGreaterThan(20);
  });

  it('speaks with two voices; audio is finite, non-silent and grows with the text', async () => {
    const short = 'Sure.';
    const long = 'Sure, the weather in Paris today is mild and sunny, with a light breeze from the west.';
    for (const voice of ['af_heart', 'am_adam']) {
      const a = await tts.synthesize(short, { voice });
      const b = await tts.synthesize(long, { voice });
      assertAudio(a);
      assertAudio(b);
      expect(b.length).toBeGreaterThan(a.length * 3);
    }
    const heart = await tts.synthesize(long, { voice: 'af_heart' });
    const adam = await tts.synthesize(long, { voice: 'am_adam' });
    expect(heart.length).toBe(adam.length);
    expect(Buffer.from(heart.buffer).equals(Buffer.from(adam.buffer))).toBe(false);
  });

  it('speaks faster (shorter audio) at a higher speed', async () => {
    const text = 'This sentence is spoken at two different speeds.';
    const normal = await tts.synthesize(text, { speed: 1 });
    const fast = await tts.synthesize(text, { speed: 2 });
    expect(fast.length).toBeLessThan(normal.length * 0.6);
  });

  it('returns an empty array for empty text', async () => {
    expect((await tts.synthesize('')).length).toBe(0);
    expect((await tts.synthesize('   \n')).length).toBe(0);
  });

  it('rejects with AbortError when aborted before, while queued, and during a synthesis', async () => {
    const pre = new AbortController();
    pre.abort();
    await expect(tts.synthesize('Hello there.', { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const running = new AbortController();
    const queued = new AbortController();
    const first = tts.synthesize('A somewhat longer sentence, so the first call is still running.', { signal: running.signal });
    const second = tts.synthesize('Queued behind the first one.', { signal: queued.signal });
    running.abort();
    queued.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    // The stage is still usable afterwards.
    assertAudio(await tts.synthesize('Still working.'));
  });

  it('serializes concurrent calls and keeps their order', async () => {
    const texts = ['One.', 'Two, three.', 'Four, five, six, seven, eight.'];
    const results = await Promise.all(texts.map((t) => tts.synthesize(t)));
    results.forEach(assertAudio);
    expect(results[2]!.length).toBeGreaterThan(results[0]!.length);
  });

  it('rejects unknown voices and out-of-range speeds with clear errors', async () => {
    await expect(tts.synthesize('Hi.', { voice: 'xx_nobody' })).rejects.toThrow(/unknown Kokoro voice "xx_nobody"/);
    await expect(tts.synthesize('Hi.', { speed: 5 })).rejects.toThrow(/speed must be between/);
  });

  it('never touched the network', () => {
    expect(fetchCalls).toEqual([]);
  });
});

describe('KokoroTts.load bad input', () => {
  let tmp: string;
  let standinDir: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'kokoro-bad-'));
    standinDir = await ensureKokoroStandin('light');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** A copy of the stand-in folder whose q8 ONNX file is replaced by `onnxSource`. */
  async function folderWithOnnx(name: string, onnxSource: string): Promise<string> {
    const dir = path.join(tmp, name);
    await cp(standinDir, dir, { recursive: true });
    await copyFile(onnxSource, path.join(dir, 'onnx', 'model_quantized.onnx'));
    return dir;
  }

  it('names a missing folder', async () => {
    const missing = path.join(tmp, 'does-not-exist');
    await expect(KokoroTts.load({ modelDir: missing })).rejects.toThrow(`${missing} is not a Kokoro model: the folder does not exist`);
  });

  it('names a missing tokenizer and a missing ONNX file', async () => {
    const dir = path.join(tmp, 'empty');
    await mkdir(dir);
    await expect(KokoroTts.load({ modelDir: dir })).rejects.toThrow(/config\.json is missing/);
    const noOnnx = path.join(tmp, 'no-onnx');
    await cp(standinDir, noOnnx, { recursive: true });
    await rm(path.join(noOnnx, 'onnx'), { recursive: true });
    await expect(KokoroTts.load({ modelDir: noOnnx, dtype: 'q8' })).rejects.toThrow(/onnx\/model_quantized\.onnx is missing/);
  });

  it('rejects a GGUF file in place of the ONNX model', async () => {
    const dir = await folderWithOnnx('gguf', sharedPath('models/llm/stories260K.gguf'));
    const onnxFile = path.join(dir, 'onnx', 'model_quantized.onnx');
    await expect(KokoroTts.load({ modelDir: dir, dtype: 'q8' })).rejects.toThrow(`${onnxFile} is not a Kokoro model: it is a GGUF (llama.cpp) file`);
  });

  it('rejects an ONNX model that is not Kokoro (Silero VAD)', async () => {
    const dir = await folderWithOnnx('silero', defaultVadModelPath());
    const onnxFile = path.join(dir, 'onnx', 'model_quantized.onnx');
    await expect(KokoroTts.load({ modelDir: dir, dtype: 'q8' })).rejects.toThrow(
      new RegExp(`${onnxFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a Kokoro model: expected inputs input_ids, style, speed`),
    );
  });

  it('with dtype auto, loads fp32 when the folder has it and q8 otherwise; with neither, names what it looked for', async () => {
    const both = await KokoroTts.load({ modelDir: standinDir });
    expect(both.backend.detail).toContain('onnx/model.onnx (fp32)');
    await both.dispose();
    const q8Only = path.join(tmp, 'q8-only');
    await cp(standinDir, q8Only, { recursive: true });
    await rm(path.join(q8Only, 'onnx', 'model.onnx'));
    const q8 = await KokoroTts.load({ modelDir: q8Only, dtype: 'auto' });
    expect(q8.backend.detail).toContain('onnx/model_quantized.onnx (q8)');
    await q8.dispose();
    await rm(path.join(q8Only, 'onnx', 'model_quantized.onnx'));
    await expect(KokoroTts.load({ modelDir: q8Only })).rejects.toThrow(/no Kokoro ONNX file found \(looked for onnx\/model\.onnx, onnx\/model_fp16\.onnx, onnx\/model_quantized\.onnx/);
  });

  it('falls back to the CPU, and says why, when the chosen execution provider cannot start', async () => {
    // This machine has no CUDA libraries (onnxruntime-node is installed without them), and CoreML
    // exists only on macOS: both are real failures, not simulated ones.
    const cases = process.platform === 'linux' && process.arch === 'x64' ? (['cuda', 'coreml'] as const) : (['coreml'] as const);
    for (const device of cases) {
      if (device === 'coreml' && process.platform === 'darwin') continue;
      const reasons: string[] = [];
      const tts = await KokoroTts.load({ modelDir: standinDir, device, onFallback: (m) => reasons.push(m) });
      try {
        expect(tts.backend.device).toBe('cpu');
        expect(tts.backend.detail).toMatch(device === 'cuda' ? /onnxruntime could not start cuda: / : /coreml is not available on /);
        expect(reasons).toHaveLength(1);
        expect(reasons[0]).toMatch(/using the CPU$/);
        assertAudio(await tts.synthesize('Still speaking on the CPU.'));
      } finally {
        await tts.dispose();
      }
    }
  });

  it('rejects an unknown default voice at load', async () => {
    await expect(KokoroTts.load({ modelDir: standinDir, voice: 'zz_none' })).rejects.toThrow(/unknown Kokoro voice "zz_none"/);
  });
});
