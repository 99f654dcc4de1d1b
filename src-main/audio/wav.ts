import { readFileSync, writeFileSync } from 'node:fs';
import * as wavefileModule from 'wavefile';

/**
 * WAV file I/O for the CLI, tests and the benchmark. Reads PCM 8/16/24/32-bit and IEEE float
 * 32/64-bit WAV (RIFF/RIFX/RF64, any channel count); writes 16-bit PCM mono.
 * Samples inside the engine are always Float32 in [-1, 1].
 */

type WaveFileInstance = InstanceType<typeof wavefileModule.WaveFile>;
type WaveFileConstructor = new (bytes?: Uint8Array) => WaveFileInstance;

/** `wavefile` is CommonJS under Node and ESM under bundlers: take the class from whichever shape loaded. */
const WaveFile: WaveFileConstructor =
  (wavefileModule as unknown as { WaveFile?: WaveFileConstructor }).WaveFile ??
  (wavefileModule as unknown as { default: { WaveFile: WaveFileConstructor } }).default.WaveFile;

export interface WavAudio {
  /** Sample rate of the returned `samples` (the file's rate for `readWav`). */
  sampleRate: number;
  /** Channel count of the file (the returned samples are always mono). */
  channels: number;
  /** Mono mix (average of the channels), Float32 in [-1, 1]. */
  samples: Float32Array;
  durationMs: number;
}

export interface WavAudio16k extends WavAudio {
  /** The file's own rate and channel count before conversion. */
  sourceSampleRate: number;
  sourceChannels: number;
  /** True when the file was resampled and/or mixed down. */
  converted: boolean;
}

export class WavFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'WavFormatError';
  }
}

interface WavFmt {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
}

const CONVERT_HINT = 'convert it to 16-bit PCM WAV first, e.g. `ffmpeg -i in.wav -ac 1 -ar 16000 -c:a pcm_s16le out.wav`';

/** Reads a WAV file and returns its mono mix at the file's own sample rate. */
export function readWav(file: string): WavAudio {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new WavFormatError(file, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeWav(bytes, file);
}

/** Decodes WAV bytes; `name` is used in error messages. */
export function decodeWav(bytes: Uint8Array, name = 'WAV data'): WavAudio {
  const tag = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  const wave = Buffer.from(bytes.subarray(8, 12)).toString('latin1');
  if (bytes.length < 12 || !['RIFF', 'RIFX', 'RF64'].includes(tag) || wave !== 'WAVE') {
    throw new WavFormatError(name, `not a WAV file (no RIFF/WAVE header); ${CONVERT_HINT}`);
  }
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
  } catch (err) {
    throw new WavFormatError(name, `malformed WAV file (${(err as Error).message}); ${CONVERT_HINT}`);
  }
  const fmt = wav.fmt as WavFmt;
  const bitDepth = wav.bitDepth;
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  const scale = sampleScale(bitDepth);
  if (!scale) {
    throw new WavFormatError(
      name,
      `unsupported WAV encoding (audio format ${fmt.audioFormat}, bit depth "${bitDepth}"): only PCM 8/16/24/32-bit ` +
        `and float 32/64-bit are read; ${CONVERT_HINT}`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1) throw new WavFormatError(name, `invalid channel count ${channels}`);
  if (!Number.isFinite(sampleRate) || sampleRate < 1000 || sampleRate > 768000) {
    throw new WavFormatError(name, `invalid sample rate ${sampleRate}`);
  }

  const interleaved = wav.getSamples(true, Float64Array) as unknown as Float64Array;
  const frames = Math.floor(interleaved.length / channels);
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let ch = 0; ch < channels; ch++) sum += ((interleaved[i * channels + ch] ?? 0) - scale.offset) / scale.divisor;
    samples[i] = sum / channels;
  }
  sanitizeInPlace(samples);
  return { sampleRate, channels, samples, durationMs: (frames * 1000) / sampleRate };
}

/** Reads any supported WAV and converts it to 16 kHz mono (windowed-sinc resampling, channel average). */
export function readWavAs16kMono(file: string): WavAudio16k {
  return readWavAsMono(file, 16000);
}

export function readWavAsMono(file: string, targetRate: number): WavAudio16k {
  const wav = readWav(file);
  const samples = wav.sampleRate === targetRate ? wav.samples : resample(wav.samples, wav.sampleRate, targetRate);
  return {
    sampleRate: targetRate,
    channels: 1,
    samples,
    durationMs: (samples.length * 1000) / targetRate,
    sourceSampleRate: wav.sampleRate,
    sourceChannels: wav.channels,
    converted: wav.sampleRate !== targetRate || wav.channels !== 1,
  };
}

/** Writes mono Float32 samples as 16-bit PCM; values outside [-1, 1] are clipped, NaN/Inf written as 0. */
export function writeWav(file: string, samples: Float32Array, sampleRate: number): void {
  writeFileSync(file, encodeWav16(samples, sampleRate));
}

export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 768000) {
    throw new RangeError(`writeWav: invalid sample rate ${sampleRate}`);
  }
  const pcm = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] ?? 0;
    const clipped = Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
    // Same scale as the reader (÷32768), so a 16-bit file read and written back is bit-exact.
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(clipped * 32768)));
  }
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, '16', pcm);
  return wav.toBuffer();
}

/** Average of channels given as separate arrays (all the same length). */
export function toMono(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) throw new RangeError('toMono: no channels given');
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const ch of channels) {
    if (ch.length !== first.length) throw new RangeError('toMono: channels differ in length');
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + (ch[i] ?? 0);
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / channels.length;
  return out;
}

/** Linear interpolation resampler: cheap, no anti-aliasing (fine for upsampling or tests). */
export function resampleLinear(samples: Float32Array, from: number, to: number): Float32Array {
  checkRates(from, to);
  if (from === to) return samples.slice();
  const outLength = Math.round((samples.length * to) / from);
  const out = new Float32Array(outLength);
  const step = from / to;
  for (let i = 0; i < outLength; i++) {
    const pos = i * step;
    const i0 = Math.floor(pos);
    const frac = pos - i0;
    const a = samples[i0] ?? 0;
    const b = samples[Math.min(i0 + 1, samples.length - 1)] ?? a;
    out[i] = a + (b - a) * frac;
  }
  return out;
}

/** Zero crossings of the sinc on each side of the output sample. */
const SINC_HALF_WIDTH = 16;

/**
 * Windowed-sinc (Blackman) resampler with the low-pass cut-off at the lower Nyquist frequency, so
 * downsampling (44.1/48 kHz → 16 kHz) does not alias. O(n · 2·16·max(1, from/to)).
 */
export function resample(samples: Float32Array, from: number, to: number): Float32Array {
  checkRates(from, to);
  if (from === to) return samples.slice();
  const outLength = Math.round((samples.length * to) / from);
  const out = new Float32Array(outLength);
  const ratio = to / from;
  // Cut-off relative to the input rate (0.5 = input Nyquist), a little below the lower Nyquist.
  const cutoff = 0.5 * Math.min(1, ratio) * 0.97;
  const halfTaps = Math.ceil(SINC_HALF_WIDTH / (2 * cutoff));
  for (let i = 0; i < outLength; i++) {
    const center = i / ratio;
    const first = Math.max(0, Math.ceil(center - halfTaps));
    const last = Math.min(samples.length - 1, Math.floor(center + halfTaps));
    let acc = 0;
    let norm = 0;
    for (let j = first; j <= last; j++) {
      const x = j - center;
      const w = blackman(x / halfTaps);
      const k = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const weight = k * w;
      acc += (samples[j] ?? 0) * weight;
      norm += weight;
    }
    out[i] = norm !== 0 ? acc / norm : 0;
  }
  return out;
}

function blackman(u: number): number {
  // u in [-1, 1] maps onto the whole window.
  if (u <= -1 || u >= 1) return 0;
  const t = (u + 1) / 2;
  return 0.42 - 0.5 * Math.cos(2 * Math.PI * t) + 0.08 * Math.cos(4 * Math.PI * t);
}

function checkRates(from: number, to: number): void {
  if (!(from > 0) || !(to > 0) || !Number.isFinite(from) || !Number.isFinite(to)) {
    throw new RangeError(`resample: invalid sample rates ${from} → ${to}`);
  }
}

function sampleScale(bitDepth: string): { offset: number; divisor: number } | undefined {
  switch (bitDepth) {
    case '8':
      return { offset: 128, divisor: 128 };
    case '16':
      return { offset: 0, divisor: 32768 };
    case '24':
      return { offset: 0, divisor: 8388608 };
    case '32':
      return { offset: 0, divisor: 2147483648 };
    case '32f':
    case '64':
      return { offset: 0, divisor: 1 };
    default:
      return undefined;
  }
}

function sanitizeInPlace(samples: Float32Array): void {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] ?? 0;
    samples[i] = Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
  }
}
