import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as wavefileModule from 'wavefile';
import { describe, expect, it } from 'vitest';
import {
  WavFormatError,
  readWav,
  readWavAs16kMono,
  resample,
  resampleLinear,
  toMono,
  writeWav,
} from '../../src-main/audio/wav';
import { cacheDir, sharedPath } from '../../src-main/tools/dev/shared-data';

type WaveFileCtor = new () => { fromScratch(ch: number, sr: number, depth: string, samples: unknown): void; toBuffer(): Uint8Array };
const WaveFile: WaveFileCtor =
  (wavefileModule as unknown as { WaveFile?: WaveFileCtor }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileCtor } }).default.WaveFile;

const dir = cacheDir('wav-test');
mkdirSync(dir, { recursive: true });

function sine(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
}

function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] ?? 0) ** 2;
  return Math.sqrt(s / (to - from));
}

describe('wav', () => {
  it('reads a real 16 kHz mono clip', () => {
    const wav = readWav(sharedPath('speech/jfk.wav'));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toBe(1);
    expect(wav.samples.length).toBe(176000);
    expect(wav.durationMs).toBe(11000);
    expect(wav.samples.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(rms(wav.samples)).toBeGreaterThan(0.01);
    const same = readWavAs16kMono(sharedPath('speech/jfk.wav'));
    expect(same.converted).toBe(false);
    expect(same.samples).toEqual(wav.samples);
  });

  it('round-trips through 16-bit PCM within one quantization step, clipping out-of-range values', () => {
    const file = path.join(dir, 'roundtrip.wav');
    const samples = sine(440, 16000, 0.5);
    samples[0] = 1.7;
    samples[1] = -3;
    samples[2] = NaN;
    writeWav(file, samples, 16000);
    const back = readWav(file);
    expect(back.sampleRate).toBe(16000);
    expect(back.channels).toBe(1);
    expect(back.samples.length).toBe(samples.length);
    expect(back.samples[0]).toBeCloseTo(1, 4);
    expect(back.samples[1]).toBe(-1);
    expect(back.samples[2]).toBe(0);
    for (let i = 3; i < samples.length; i++) expect(Math.abs((back.samples[i] ?? 0) - (samples[i] ?? 0))).toBeLessThanOrEqual(0.5 / 32768 + 1e-9);
    expect(readFileSync(file).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('reads a real clip written back unchanged (bit-exact for 16-bit)', () => {
    const original = readWav(sharedPath('speech/cards_001.wav'));
    const file = path.join(dir, 'cards_copy.wav');
    writeWav(file, original.samples, original.sampleRate);
    expect(readWav(file).samples).toEqual(original.samples);
  });

  it('gives a clear error for a file that is not WAV', () => {
    const file = path.join(dir, 'notes.wav');
    writeFileSync(file, 'just some text, not audio\n');
    expect(() => readWav(file)).toThrow(WavFormatError);
    expect(() => readWav(file)).toThrow(/notes\.wav: not a WAV file.*ffmpeg/);
    expect(() => readWav(path.join(dir, 'missing.wav'))).toThrow(/missing\.wav: cannot read the file \(ENOENT\)/);
  });

  it('gives a clear error for a WAV cut inside its header, and decodes µ-law', () => {
    const truncated = path.join(dir, 'truncated.wav');
    writeFileSync(truncated, readFileSync(sharedPath('speech/jfk.wav')).subarray(0, 30));
    expect(() => readWav(truncated)).toThrow(/truncated\.wav: malformed WAV file/);
    const mulaw = new WaveFile();
    mulaw.fromScratch(1, 8000, '8m', new Uint8Array(800).fill(0xff));
    const file = path.join(dir, 'mulaw.wav');
    writeFileSync(file, mulaw.toBuffer());
    // 0xff is µ-law silence.
    expect(readWav(file)).toMatchObject({ sampleRate: 8000, channels: 1, warnings: [] });
    expect(readWav(file).samples.every((x) => x === 0)).toBe(true);
  });

  it('converts a stereo 44.1 kHz float file to 16 kHz mono', () => {
    const left = sine(440, 44100, 1, 0.6);
    const right = sine(440, 44100, 1, 0.2);
    const wav = new WaveFile();
    wav.fromScratch(2, 44100, '32f', [Array.from(left), Array.from(right)]);
    const file = path.join(dir, 'stereo44k.wav');
    writeFileSync(file, wav.toBuffer());
    const raw = readWav(file);
    expect(raw).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(raw.samples[100]).toBeCloseTo(((left[100] ?? 0) + (right[100] ?? 0)) / 2, 6);
    const converted = readWavAs16kMono(file);
    expect(converted).toMatchObject({ sampleRate: 16000, channels: 1, sourceSampleRate: 44100, sourceChannels: 2, converted: true });
    expect(converted.samples.length).toBe(16000);
    // A 440 Hz sine of amplitude 0.4 survives: rms 0.4/√2, and it matches the ideal 16 kHz sine.
    expect(rms(converted.samples, 200, 15800)).toBeCloseTo(0.4 / Math.SQRT2, 3);
    const ideal = sine(440, 16000, 1, 0.4);
    let maxErr = 0;
    for (let i = 200; i < 15800; i++) maxErr = Math.max(maxErr, Math.abs((converted.samples[i] ?? 0) - (ideal[i] ?? 0)));
    expect(maxErr).toBeLessThan(0.005);
  });

  it('reads 8-bit and 24-bit PCM on the same [-1, 1] scale', () => {
    for (const depth of ['8', '24']) {
      const full = depth === '8' ? 127 : 8388607;
      const wav = new WaveFile();
      const ints = depth === '8' ? [128, 128 + full, 0] : [0, full, -full - 1];
      wav.fromScratch(1, 16000, depth, ints);
      const file = path.join(dir, `pcm${depth}.wav`);
      writeFileSync(file, wav.toBuffer());
      const samples = Array.from(readWav(file).samples);
      expect(samples[0]).toBe(0);
      expect(samples[1]).toBe(depth === '8' ? 127 / 128 : 8388607 / 8388608);
      expect(samples[2]).toBe(-1);
    }
  });

  it('windowed-sinc downsampling removes content above the new Nyquist; linear keeps the length right', () => {
    const alias = sine(12000, 48000, 0.5); // above 8 kHz: must vanish at 16 kHz
    const down = resample(alias, 48000, 16000);
    expect(down.length).toBe(8000);
    expect(rms(down, 200, 7800)).toBeLessThan(0.01);
    const linear = resampleLinear(sine(1000, 16000, 0.25), 16000, 24000);
    expect(linear.length).toBe(6000);
    expect(rms(linear, 100, 5900)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    expect(() => resample(alias, 0, 16000)).toThrow(/invalid sample rates/);
  });

  it('toMono averages channels', () => {
    expect(Array.from(toMono([Float32Array.from([1, 0.5]), Float32Array.from([0, -0.5])]))).toEqual([0.5, 0]);
    expect(() => toMono([])).toThrow(/no channels/);
  });
});
