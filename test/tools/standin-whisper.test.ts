import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WhisperModel } from 'smart-whisper';
import { afterAll, describe, expect, it } from 'vitest';
import { validateWhisperModelFile } from '../../src-main/engine/stages/stt/whisper-stt';
import {
  ensureWhisperStandin,
  floatBitsToHalf,
  WHISPER_STANDIN_SHAPES,
  whisperTensorList,
  writeWhisperStandin,
} from '../../src-main/tools/dev/standins/whisper-ggml';

const work = mkdtempSync(path.join(tmpdir(), 'murmur-whisper-standin-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Tensor records of a legacy ggml whisper file: name → { type, ne, data offset }. */
function tensorIndex(file: string): Map<string, { type: number; ne: number[]; offset: number }> {
  const b = readFileSync(file);
  let off = 48;
  const nMel = b.readInt32LE(off);
  const nFft = b.readInt32LE(off + 4);
  off += 8 + 4 * nMel * nFft;
  const nTok = b.readInt32LE(off);
  off += 4;
  for (let i = 0; i < nTok; i++) off += 4 + b.readUInt32LE(off);
  const out = new Map<string, { type: number; ne: number[]; offset: number }>();
  while (off < b.length) {
    const nDims = b.readInt32LE(off);
    const nameLen = b.readInt32LE(off + 4);
    const type = b.readInt32LE(off + 8);
    off += 12;
    const ne = Array.from({ length: nDims }, (_, i) => b.readInt32LE(off + 4 * i));
    off += 4 * nDims;
    const name = b.subarray(off, off + nameLen).toString('utf8');
    off += nameLen;
    out.set(name, { type, ne, offset: off });
    off += ne.reduce((x, y) => x * y, 1) * (type === 1 ? 2 : 4);
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function stats(values: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean), min, max };
}

describe('float → half conversion', () => {
  it('rounds to nearest even and handles the edge cases', () => {
    const bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;
    expect(floatBitsToHalf(bits(1))).toBe(0x3c00);
    expect(floatBitsToHalf(bits(-2))).toBe(0xc000);
    expect(floatBitsToHalf(bits(0.5))).toBe(0x3800);
    expect(floatBitsToHalf(bits(65504))).toBe(0x7bff);
    expect(floatBitsToHalf(bits(1e6))).toBe(0x7c00);
    expect(floatBitsToHalf(bits(2 ** -14))).toBe(0x0400);
    expect(floatBitsToHalf(bits(2 ** -24))).toBe(0x0001);
    expect(floatBitsToHalf(bits(1e-9))).toBe(0);
    expect(floatBitsToHalf(bits(1 + 2 ** -11))).toBe(0x3c00); // tie → even
    expect(floatBitsToHalf(bits(1 + 3 * 2 ** -11))).toBe(0x3c02); // tie → even (up)
    expect(Math.abs(halfToFloat(floatBitsToHalf(bits(0.0213))) - 0.0213)).toBeLessThan(2e-5);
  });
});

describe('whisper ggml stand-in generator', () => {
  it('writes a small "test" model that validates and that whisper.cpp loads', async () => {
    const file = path.join(work, 'test-a.bin');
    await writeWhisperStandin({ dims: 'test', outFile: file, seed: 7 });
    const info = await validateWhisperModelFile(file);
    expect(info.hparams).toMatchObject(WHISPER_STANDIN_SHAPES.test);
    expect(info.tensors).toBe(whisperTensorList(WHISPER_STANDIN_SHAPES.test).length);
    const model = await WhisperModel.load(file, false);
    expect(model.freed).toBe(false);
    await model.free();
  });

  it('is deterministic: same seed → same bytes, other seed → other bytes', async () => {
    const a = path.join(work, 'test-a.bin');
    const b = path.join(work, 'test-b.bin');
    const c = path.join(work, 'test-c.bin');
    if (!existsSync(a)) await writeWhisperStandin({ dims: 'test', outFile: a, seed: 7 });
    await writeWhisperStandin({ dims: 'test', outFile: b, seed: 7 });
    await writeWhisperStandin({ dims: 'test', outFile: c, seed: 8 });
    expect(sha256(b)).toBe(sha256(a));
    expect(sha256(c)).not.toBe(sha256(a));
    expect(statSync(c).size).toBe(statSync(a).size);
  });

  it('fills every tensor: N(0, 0.02) weights, LayerNorm weights 1 and biases 0', () => {
    const file = path.join(work, 'test-a.bin');
    const bytes = readFileSync(file);
    const index = tensorIndex(file);
    expect(index.size).toBe(whisperTensorList(WHISPER_STANDIN_SHAPES.test).length);
    for (const t of whisperTensorList(WHISPER_STANDIN_SHAPES.test)) {
      const rec = index.get(t.name);
      expect(rec, t.name).toBeDefined();
      const n = t.shape.reduce((x, y) => x * y, 1);
      expect(rec!.ne).toEqual([...t.shape].reverse());
      const sample = Math.min(n, 20_000);
      const values =
        rec!.type === 1
          ? Array.from({ length: sample }, (_, i) => halfToFloat(bytes.readUInt16LE(rec!.offset + 2 * i)))
          : Array.from({ length: sample }, (_, i) => bytes.readFloatLE(rec!.offset + 4 * i));
      const s = stats(values);
      if (t.kind === 'lnw') expect([s.min, s.max], t.name).toEqual([1, 1]);
      else if (t.kind === 'lnb') expect([s.min, s.max], t.name).toEqual([0, 0]);
      else {
        expect(Math.abs(s.mean), t.name).toBeLessThan(0.02 * 5 / Math.sqrt(sample) + 1e-4);
        // 5 standard errors of the sample std
        expect(Math.abs(s.std - 0.02), t.name).toBeLessThan((5 * 0.02) / Math.sqrt(2 * sample) + 2e-4);
      }
    }
    // 2-D weights are f16, 1-D tensors, conv biases and positional embeddings f32 (as the converter writes them)
    expect(index.get('decoder.token_embedding.weight')!.type).toBe(1);
    expect(index.get('encoder.conv1.weight')!.type).toBe(1);
    expect(index.get('encoder.conv1.bias')!.type).toBe(0);
    expect(index.get('encoder.positional_embedding')!.type).toBe(0);
    expect(index.get('decoder.ln.weight')!.type).toBe(0);
  });

  it('tiny.en has the real size and layout, is cached, and whisper.cpp loads it', async () => {
    const t0 = performance.now();
    const file = await ensureWhisperStandin('tiny.en');
    const firstMs = performance.now() - t0;
    expect(statSync(file).size).toBe(77_705_316); // whisper_ggml_standin.py: 167 tensors, 77.7 MB
    const info = await validateWhisperModelFile(file);
    expect(info.tensors).toBe(167);
    expect(info.hparams).toMatchObject({ n_audio_state: 384, n_audio_layer: 4, n_text_layer: 4, n_audio_head: 6, ftype: 1 });

    const mtime = statSync(file).mtimeMs;
    const t1 = performance.now();
    expect(await ensureWhisperStandin('tiny.en')).toBe(file);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(performance.now() - t1).toBeLessThan(Math.max(2000, firstMs));

    const model = await WhisperModel.load(file, false);
    await model.free();
    expect(model.freed).toBe(true);
  });
});
