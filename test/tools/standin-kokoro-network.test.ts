import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { env as transformersEnv, type StyleTextToSpeech2Model, type Tensor } from '@huggingface/transformers';
import { KokoroTTS } from 'kokoro-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKokoroNetworkStandin, KOKORO_SPEAKING_RATE } from '../../src-main/tools/dev/standins/kokoro-network';

/**
 * The TTS stand-in of `standin-real` is Kokoro-82M's own network (seeded weights) and goes through
 * the real kokoro-js path: phonemizer, tokenizer, bundled voice, onnxruntime-node at the default
 * graph optimisation level.
 */
describe('Kokoro-82M network stand-in', () => {
  let dir: string;
  let tts: KokoroTTS;
  beforeAll(async () => {
    dir = await ensureKokoroNetworkStandin();
    transformersEnv.allowRemoteModels = false;
    tts = await KokoroTTS.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
  }, 600_000);
  afterAll(async () => {
    await tts?.model.dispose();
  });

  it('has the size of the real fp32 export (81.8 M parameters, ~325 MB)', async () => {
    const report = JSON.parse(await readFile(path.join(dir, 'standin.json'), 'utf8')) as { parameters: number };
    expect(report.parameters).toBeGreaterThan(81_000_000);
    expect(report.parameters).toBeLessThan(83_000_000);
    // onnx-community/Kokoro-82M-v1.0-ONNX onnx/model.onnx is 325,532,232 bytes.
    const bytes = (await stat(path.join(dir, 'onnx', 'model.onnx'))).size;
    expect(bytes).toBeGreaterThan(310_000_000);
    expect(bytes).toBeLessThan(330_000_000);
  });

  it("speaks a sentence at Kokoro's rate (within 15 %), bounded and finite, and faster at speed 2", async () => {
    let tokens = 0;
    // The real model, counting the tokens kokoro-js gives it.
    const counting = async (inputs: { input_ids: Tensor }): Promise<unknown> => {
      tokens = inputs.input_ids.dims.at(-1) ?? 0;
      return (tts.model as unknown as (i: unknown) => Promise<unknown>)(inputs);
    };
    const speaker = new KokoroTTS(counting as unknown as StyleTextToSpeech2Model, tts.tokenizer);
    for (const sentence of ['Could you remind me to call the dentist on Thursday morning?', 'Paris is the capital of France.']) {
      const audio = await speaker.generate(sentence, { voice: 'af_heart' });
      const samples = audio.audio as Float32Array;
      expect(audio.sampling_rate).toBe(24000);
      const ratio = samples.length / (tokens * KOKORO_SPEAKING_RATE.samplesPerToken);
      expect(ratio, `${sentence}: ${tokens} tokens, ${samples.length} samples`).toBeGreaterThan(0.85);
      expect(ratio).toBeLessThan(1.15);
      let peak = 0;
      for (const v of samples) {
        expect(Number.isFinite(v)).toBe(true);
        peak = Math.max(peak, Math.abs(v));
      }
      expect(peak).toBeGreaterThan(0.01);
      expect(peak).toBeLessThanOrEqual(1);
    }
    const normal = (await speaker.generate('Paris is the capital of France.', { voice: 'af_heart' })).audio.length;
    const fast = (await speaker.generate('Paris is the capital of France.', { voice: 'af_heart', speed: 2 })).audio.length;
    // Kokoro divides each token's frames by the speed and rounds: 3 / 2 → 2 frames.
    expect(fast / normal).toBeGreaterThan(0.45);
    expect(fast / normal).toBeLessThan(0.7);
  }, 120_000);
});
