import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { env as transformersEnv } from '@huggingface/transformers';
import { KokoroTTS } from 'kokoro-js';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildKokoroStandinModel,
  ensureKokoroStandin,
  KOKORO_STANDIN_SAMPLES_PER_TOKEN as SAMPLES_PER_TOKEN,
  writeKokoroStandin,
} from '../../src-main/tools/dev/standins/kokoro-onnx';

describe('Kokoro-82M ONNX stand-in', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await ensureKokoroStandin('light');
  });

  it('is deterministic: the same profile gives byte-identical model files', () => {
    const a = buildKokoroStandinModel('light');
    const b = buildKokoroStandinModel('light');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('has the real Kokoro interface in onnxruntime (input_ids, style, speed → waveform)', async () => {
    const session = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model_quantized.onnx'), {
      intraOpNumThreads: 1,
    });
    try {
      expect([...session.inputNames].sort()).toEqual(['input_ids', 'speed', 'style']);
      expect(session.outputNames).toEqual(['waveform']);
      const run = async (tokens: number, speed: number): Promise<Float32Array> => {
        const ids = BigInt64Array.from({ length: tokens }, (_, i) => BigInt(i === 0 || i === tokens - 1 ? 0 : 40 + (i % 50)));
        const out = await session.run({
          input_ids: new ort.Tensor('int64', ids, [1, tokens]),
          style: new ort.Tensor('float32', new Float32Array(256).fill(0.1), [1, 256]),
          speed: new ort.Tensor('float32', Float32Array.of(speed), [1]),
        });
        const waveform = out.waveform!;
        expect(waveform.dims.length).toBe(1);
        return waveform.data as Float32Array;
      };
      const short = await run(12, 1);
      const long = await run(48, 1);
      const fast = await run(48, 2);
      expect(short.length).toBe(12 * SAMPLES_PER_TOKEN);
      expect(long.length).toBe(48 * SAMPLES_PER_TOKEN);
      expect(fast.length).toBe(24 * SAMPLES_PER_TOKEN);
      const peak = long.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peak).toBeGreaterThan(0.05);
      expect(peak).toBeLessThanOrEqual(1);
      expect(long.every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it('loads through the real KokoroTTS.from_pretrained path offline and speaks', async () => {
    transformersEnv.allowRemoteModels = false;
    const tts = await KokoroTTS.from_pretrained(dir, { dtype: 'q8', device: 'cpu' });
    try {
      const audio = await tts.generate('Hello there, how are you?', { voice: 'af_heart' });
      expect(audio.sampling_rate).toBe(24000);
      const samples = audio.audio as Float32Array;
      // "Hello there, how are you?" is ~25 phoneme tokens: roughly 1.5–3 s at Kokoro's pace.
      expect(samples.length).toBeGreaterThan(1.2 * 24000);
      expect(samples.length).toBeLessThan(4 * 24000);
    } finally {
      await tts.model.dispose();
    }
  });

  describe('writeKokoroStandin', () => {
    let tmp: string;
    beforeAll(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'kokoro-standin-'));
    });
    afterAll(async () => {
      await rm(tmp, { recursive: true, force: true });
    });

    it('writes the onnx-community layout with the real config and tokenizer', async () => {
      await writeKokoroStandin({ outDir: tmp, costProfile: 'light' });
      const config = JSON.parse(await readFile(path.join(tmp, 'config.json'), 'utf8')) as { model_type: string };
      expect(config.model_type).toBe('style_text_to_speech_2');
      const tokenizer = JSON.parse(await readFile(path.join(tmp, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
      expect(tokenizer.model.vocab.$).toBe(0);
      const model = await readFile(path.join(tmp, 'onnx', 'model_quantized.onnx'));
      expect(model[0]).toBe(0x08); // ModelProto.ir_version first
      expect((await readFile(path.join(tmp, 'onnx', 'model.onnx'))).equals(model)).toBe(true);
    });
  });
});
