import { readFileSync, writeFileSync } from 'node:fs';
import * as wavefileModule from 'wavefile';

/**
 * WAV file I/O for the CLI, tests and the benchmark. Reads RIFF/RIFX/RF64 WAV with any chunk
 * layout: integer PCM of any valid width (1–64 bits, also in wider containers such as 24-in-32),
 * IEEE float 32/64-bit, A-law, µ-law and mono IMA ADPCM (the codecs decoded by `wavefile`), plain
 * or inside WAVE_FORMAT_EXTENSIBLE, any channel count; writes 16-bit PCM mono. Samples inside the
 * engine are always Float32 in [-1, 1]. A damaged but readable file decodes with `warnings`.
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
  /** What was wrong with a file that still decoded (truncated data, no data chunk…); empty when none. */
  warnings: string[];
}

export interface WavAudio16k extends WavAudio {
  /** The file's own rate and channel count before conversion. */
  sourceSampleRate: number;
  sourceChannels: number;
  /** True when the file was resampled and/or mixed down. */
  converted: boolean;
}

export interface ReadWavOptions {
  /** Called with each warning as well (they are also returned in `warnings`). */
  onWarning?: (message: string) => void;
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

const CONVERT_HINT = 'convert it to 16-bit PCM WAV first, e.g. `ffmpeg -i in.wav -ac 1 -ar 16000 -c:a pcm_s16le out.wav`';

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_IMA_ADPCM = 0x0011;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: 'MS ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
  0x00ff: 'AAC',
  0x1610: 'AAC',
  0xf1ac: 'FLAC',
};

/** Reads a WAV file and returns its mono mix at the file's own sample rate. */
export function readWav(file: string, options: ReadWavOptions = {}): WavAudio {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new WavFormatError(file, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return decodeWav(bytes, file, options);
}

interface Chunk {
  id: string;
  /** Offset of the chunk's data. */
  start: number;
  /** Declared data size. */
  size: number;
}

interface WavFmt {
  formatTag: number;
  /** The format proper: the extensible sub-format's code, or the format tag. */
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Meaningful bits per sample (the extensible header's wValidBitsPerSample, else bitsPerSample). */
  validBits: number;
}

/** Decodes WAV bytes; `name` is used in error and warning messages. */
export function decodeWav(bytes: Uint8Array, name = 'WAV data', options: ReadWavOptions = {}): WavAudio {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(`${name}: ${message}`);
    options.onWarning?.(`${name}: ${message}`);
  };
  if (bytes.length === 0) throw new WavFormatError(name, `empty file (0 bytes); ${CONVERT_HINT}`);
  const tag = latin1(bytes, 0, 4);
  if (bytes.length < 12 || !['RIFF', 'RIFX', 'RF64'].includes(tag) || latin1(bytes, 8, 4) !== 'WAVE') {
    throw new WavFormatError(name, `not a WAV file (no RIFF/WAVE header); ${CONVERT_HINT}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const littleEndian = tag !== 'RIFX';
  const chunks = readChunks(bytes, view, littleEndian, tag === 'RF64');

  const fmtChunk = chunks.find((c) => c.id === 'fmt ');
  if (!fmtChunk) throw new WavFormatError(name, `malformed WAV file (no "fmt " chunk); ${CONVERT_HINT}`);
  const fmt = readFmt(view, fmtChunk, littleEndian, name);

  const dataChunk = chunks.find((c) => c.id === 'data');
  let data: Uint8Array = new Uint8Array(0);
  if (!dataChunk) {
    warn('no "data" chunk: the file has a header but no audio');
  } else {
    const present = Math.max(0, Math.min(dataChunk.size, bytes.length - dataChunk.start));
    if (present < dataChunk.size) {
      warn(`truncated: the data chunk declares ${dataChunk.size} bytes but only ${present} are present`);
    }
    data = bytes.subarray(dataChunk.start, dataChunk.start + present);
    if (present === 0 && dataChunk.size === 0) warn('the data chunk is empty: the file has no audio');
  }

  let samples = decodeSamples(data, fmt, littleEndian, name, warn);
  // A compressed file's "fact" chunk gives its true length (the last ADPCM block may be padded).
  const fact = chunks.find((c) => c.id === 'fact');
  if (fmt.format === FORMAT_IMA_ADPCM && fact && fact.size >= 4 && fact.start + 4 <= bytes.length) {
    const length = view.getUint32(fact.start, littleEndian);
    if (length < samples.length) samples = samples.subarray(0, length);
  }
  sanitizeInPlace(samples);
  return {
    sampleRate: fmt.sampleRate,
    channels: fmt.channels,
    samples,
    durationMs: (samples.length * 1000) / fmt.sampleRate,
    warnings,
  };
}

/**
 * The chunk list. Chunks are word-aligned (a pad byte follows odd-sized data), but some writers
 * omit the pad: when the aligned position holds no plausible chunk id and the unaligned one does,
 * the unaligned one is taken. RF64 sizes come from the ds64 chunk.
 */
function readChunks(bytes: Uint8Array, view: DataView, littleEndian: boolean, rf64: boolean): Chunk[] {
  const chunks: Chunk[] = [];
  let ds64DataSize: number | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = latin1(bytes, offset, 4);
    let size = view.getUint32(offset + 4, littleEndian);
    const start = offset + 8;
    if (id === 'ds64' && size >= 16 && start + 16 <= bytes.length) {
      ds64DataSize = Number(view.getBigUint64(start + 8, littleEndian));
    }
    if (id === 'data' && ((rf64 && size === 0xffffffff) || (rf64 && ds64DataSize !== undefined))) {
      size = ds64DataSize ?? bytes.length - start;
    } else if (id === 'data' && size === 0xffffffff) {
      size = bytes.length - start; // a stream written without knowing its length
    }
    chunks.push({ id, start, size });
    const unpadded = start + size;
    const padded = unpadded + (size & 1);
    offset = !isChunkId(bytes, padded) && isChunkId(bytes, unpadded) ? unpadded : padded;
  }
  return chunks;
}

function isChunkId(bytes: Uint8Array, offset: number): boolean {
  if (offset + 8 > bytes.length) return false;
  for (let i = offset; i < offset + 4; i++) {
    const c = bytes[i] as number;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function readFmt(view: DataView, chunk: Chunk, littleEndian: boolean, name: string): WavFmt {
  if (chunk.size < 16 || chunk.start + 16 > view.byteLength) {
    throw new WavFormatError(name, `malformed WAV file ("fmt " chunk of ${chunk.size} bytes, at least 16 needed); ${CONVERT_HINT}`);
  }
  const at = chunk.start;
  const formatTag = view.getUint16(at, littleEndian);
  const channels = view.getUint16(at + 2, littleEndian);
  const sampleRate = view.getUint32(at + 4, littleEndian);
  const blockAlign = view.getUint16(at + 12, littleEndian);
  const bitsPerSample = view.getUint16(at + 14, littleEndian);
  let format = formatTag;
  let validBits = bitsPerSample;
  if (formatTag === FORMAT_EXTENSIBLE) {
    if (chunk.size < 40 || at + 40 > view.byteLength) {
      throw new WavFormatError(name, `malformed WAV file (extensible "fmt " chunk of ${chunk.size} bytes, 40 needed); ${CONVERT_HINT}`);
    }
    validBits = view.getUint16(at + 18, littleEndian) || bitsPerSample;
    format = view.getUint16(at + 24, littleEndian); // the sub-format GUID starts with the format code
  }
  if (channels < 1) throw new WavFormatError(name, `invalid channel count ${channels}`);
  if (sampleRate < 1000 || sampleRate > 768000) throw new WavFormatError(name, `invalid sample rate ${sampleRate}`);
  if (blockAlign < 1) throw new WavFormatError(name, `invalid block align ${blockAlign}`);
  return { formatTag, format, channels, sampleRate, blockAlign, bitsPerSample, validBits };
}

function decodeSamples(data: Uint8Array, fmt: WavFmt, littleEndian: boolean, name: string, warn: (m: string) => void): Float32Array {
  const unsupported = (detail: string): WavFormatError =>
    new WavFormatError(
      name,
      `unsupported WAV encoding (${detail}; format tag 0x${fmt.formatTag.toString(16).padStart(4, '0')}, ` +
        `${fmt.bitsPerSample} bits): PCM, float, A-law, µ-law and mono IMA ADPCM are read; ${CONVERT_HINT}`,
    );
  switch (fmt.format) {
    case FORMAT_PCM:
    case FORMAT_FLOAT: {
      const container = fmt.blockAlign / fmt.channels;
      if (!Number.isInteger(container) || container < 1 || container > 8 || container * 8 < fmt.bitsPerSample) {
        throw new WavFormatError(name, `invalid block align ${fmt.blockAlign} for ${fmt.channels} channels of ${fmt.bitsPerSample} bits`);
      }
      const frames = Math.floor(data.length / fmt.blockAlign);
      if (data.length % fmt.blockAlign !== 0) {
        warn(`the data ends with ${data.length % fmt.blockAlign} bytes of an incomplete frame (ignored)`);
      }
      if (fmt.format === FORMAT_FLOAT) {
        if (container !== 4 && container !== 8) throw unsupported(`${container * 8}-bit float`);
        return mixFloat(data, fmt, frames, container, littleEndian);
      }
      if (fmt.validBits < 1 || fmt.validBits > container * 8) throw unsupported(`${fmt.validBits} valid bits in ${container * 8}`);
      return mixInteger(data, fmt, frames, container, littleEndian);
    }
    case FORMAT_ALAW:
    case FORMAT_MULAW:
      if (fmt.bitsPerSample !== 8) throw unsupported(`${fmt.bitsPerSample}-bit companded audio`);
      return decodeWithWavefile(data, fmt, fmt.format === FORMAT_ALAW ? '8a' : '8m');
    case FORMAT_IMA_ADPCM:
      if (fmt.channels !== 1) throw unsupported(`IMA ADPCM with ${fmt.channels} channels`);
      if (fmt.bitsPerSample !== 4 || fmt.blockAlign < 5) throw unsupported(`IMA ADPCM with block align ${fmt.blockAlign}`);
      return decodeImaAdpcm(data, fmt);
    default:
      throw unsupported(FORMAT_NAMES[fmt.format] ?? `audio format ${fmt.format}`);
  }
}

function mixFloat(data: Uint8Array, fmt: WavFmt, frames: number, container: number, littleEndian: boolean): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let ch = 0; ch < fmt.channels; ch++) {
      const at = f * fmt.blockAlign + ch * container;
      const v = container === 4 ? view.getFloat32(at, littleEndian) : view.getFloat64(at, littleEndian);
      sum += Number.isFinite(v) ? v : 0;
    }
    out[f] = sum / fmt.channels;
  }
  return out;
}

/**
 * Integer PCM in any container (1–8 bytes). The valid bits are meant to be left-justified (the
 * low pad bits zero), so dividing by the container's full scale is right for any valid width;
 * writers that right-justify instead (24-bit values in the low bytes of a 4-byte container) are
 * recognised by non-zero bits below the valid ones and scaled by the valid width.
 */
function mixInteger(data: Uint8Array, fmt: WavFmt, frames: number, container: number, littleEndian: boolean): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = integerReader(view, container, littleEndian);
  const count = frames * fmt.channels;
  const at = (i: number): number => Math.floor(i / fmt.channels) * fmt.blockAlign + (i % fmt.channels) * container;
  const padBits = container * 8 - fmt.validBits;
  const validScale = 2 ** (fmt.validBits - 1);
  let rightJustified = false;
  if (padBits > 0) {
    // Left-justified data has zero pad bits. Data with bits set below the valid ones sits in the
    // low bits (a 24-bit value in the low three bytes of a 4-byte container) when the bits above
    // it are padding: zero, the sign extended, or one constant filler byte (hound's test files;
    // hound ignores that byte too). Bits above that vary otherwise are data: the file is read
    // left-justified, as the spec says.
    const padSpan = 2 ** padBits;
    const containerSpan = 2 ** (container * 8);
    const allOnes = padSpan - 1;
    let lowBitsUsed = false;
    let extended = true;
    let filler: number | undefined;
    let constantFiller = true;
    for (let i = 0; i < count && (extended || constantFiller); i++) {
      const v = read(at(i));
      if (v % padSpan !== 0) lowBitsUsed = true;
      const high = Math.floor((v < 0 ? v + containerSpan : v) / (2 * validScale));
      if (high !== 0 && high !== allOnes) extended = false;
      filler ??= high;
      if (high !== filler) constantFiller = false;
    }
    rightJustified = lowBitsUsed && (extended || constantFiller);
  }
  const fullScale = rightJustified ? validScale : 2 ** (container * 8 - 1);
  const span = 2 * validScale;
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let ch = 0; ch < fmt.channels; ch++) {
      let v = read(f * fmt.blockAlign + ch * container);
      if (rightJustified) {
        // The value sits in the low validBits bits, sign-extended or not.
        v %= span;
        if (v < 0) v += span;
        if (v >= validScale) v -= span;
      }
      sum += v / fullScale;
    }
    out[f] = sum / fmt.channels;
  }
  return out;
}

/** Reads a signed integer (unsigned offset by 128 for 8-bit) of `bytes` width as a Number. */
function integerReader(view: DataView, bytes: number, littleEndian: boolean): (at: number) => number {
  switch (bytes) {
    case 1:
      return (at) => view.getUint8(at) - 128;
    case 2:
      return (at) => view.getInt16(at, littleEndian);
    case 4:
      return (at) => view.getInt32(at, littleEndian);
    case 8:
      return (at) => Number(view.getBigInt64(at, littleEndian));
    default:
      return (at) => {
        let value = 0;
        for (let b = 0; b < bytes; b++) {
          const byte = view.getUint8(littleEndian ? at + bytes - 1 - b : at + b);
          value = value * 256 + byte;
        }
        const span = 2 ** (bytes * 8);
        return value >= span / 2 ? value - span : value;
      };
  }
}

/** A-law / µ-law through `wavefile`'s codecs: the data is wrapped in a minimal file it can parse. */
function decodeWithWavefile(data: Uint8Array, fmt: WavFmt, code: '8a' | '8m'): Float32Array {
  const frames = Math.floor(data.length / fmt.channels);
  const wav = new WaveFile();
  wav.fromScratch(fmt.channels, fmt.sampleRate, code, data.subarray(0, frames * fmt.channels));
  if (code === '8a') wav.fromALaw();
  else wav.fromMuLaw();
  return mixInt16(wav.getSamples(true, Int16Array) as unknown as Int16Array, fmt.channels);
}

/**
 * Mono IMA ADPCM through `wavefile`. Its decoder only decodes a block when the next one starts, so
 * the data is followed by one extra byte; the output is cut to the samples the blocks hold.
 */
function decodeImaAdpcm(data: Uint8Array, fmt: WavFmt): Float32Array {
  const blockAlign = fmt.blockAlign;
  const samplesPerBlock = (blockAlign - 4) * 2 + 1;
  const whole = Math.floor(data.length / blockAlign);
  const tail = data.length % blockAlign;
  const expected = whole * samplesPerBlock + (tail >= 4 ? (tail - 4) * 2 + 1 : 0);
  const blocks = whole + (tail > 0 ? 1 : 0);
  const padded = new Uint8Array(blocks * blockAlign + 1);
  padded.set(data);
  const wav = new WaveFile();
  wav.fromScratch(1, fmt.sampleRate, '4', padded);
  (wav.fmt as { blockAlign: number }).blockAlign = blockAlign;
  wav.fromIMAADPCM();
  const decoded = wav.getSamples(true, Int16Array) as unknown as Int16Array;
  return mixInt16(decoded.subarray(0, expected), 1);
}

function mixInt16(interleaved: Int16Array, channels: number): Float32Array {
  const frames = Math.floor(interleaved.length / channels);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let ch = 0; ch < channels; ch++) sum += (interleaved[f * channels + ch] ?? 0) / 32768;
    out[f] = sum / channels;
  }
  return out;
}

function latin1(bytes: Uint8Array, start: number, length: number): string {
  return Buffer.from(bytes.subarray(start, start + length)).toString('latin1');
}

/** Reads any supported WAV and converts it to 16 kHz mono (windowed-sinc resampling, channel average). */
export function readWavAs16kMono(file: string, options?: ReadWavOptions): WavAudio16k {
  return readWavAsMono(file, 16000, options);
}

export function readWavAsMono(file: string, targetRate: number, options?: ReadWavOptions): WavAudio16k {
  const wav = readWav(file, options);
  const samples = wav.sampleRate === targetRate ? wav.samples : resample(wav.samples, wav.sampleRate, targetRate);
  return {
    sampleRate: targetRate,
    channels: 1,
    samples,
    durationMs: (samples.length * 1000) / targetRate,
    warnings: wav.warnings,
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
    // The sinc rings past full scale near clipped input (up to ~1.08): the engine promises [-1, 1].
    out[i] = norm !== 0 ? Math.max(-1, Math.min(1, acc / norm)) : 0;
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

function sanitizeInPlace(samples: Float32Array): void {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] ?? 0;
    samples[i] = Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
  }
}
