import { RealFft } from '../../engine/mic/echo/fft';
import type { RoomSpec } from './scenario';

/**
 * The loudspeaker-to-microphone path of a scenario's room: what the player plays, hard-clipped
 * (a distorting speaker), convolved with the room's impulse response, delayed (device buffers) and
 * scaled to the scenario's user-to-echo ratio, plus white noise. Block convolution by FFT
 * (overlap-add): each played block adds its echo to an accumulator that the microphone reads from.
 */
export class AcousticPath {
  private readonly fft: RealFft;
  private readonly hRe: Float64Array;
  private readonly hIm: Float64Array;
  private readonly xRe: Float64Array;
  private readonly xIm: Float64Array;
  private readonly y: Float64Array;
  /** Echo still to reach the microphone; index 0 = the next sample the mic hears. */
  private pending: Float64Array;
  private readonly delaySamples: number;
  private gain: number | undefined;
  private readonly noise: (() => number) | undefined;

  constructor(
    private readonly room: RoomSpec,
    private readonly blockSize: number,
    /** RMS of the user's voiced audio at the microphone (the echo is set relative to it). */
    private readonly userLevel: number,
    seed = 7,
  ) {
    const size = nextPowerOfTwo(blockSize + room.rir.length - 1);
    this.fft = new RealFft(size);
    this.hRe = new Float64Array(this.fft.bins);
    this.hIm = new Float64Array(this.fft.bins);
    this.fft.forward(room.rir, this.hRe, this.hIm);
    this.xRe = new Float64Array(this.fft.bins);
    this.xIm = new Float64Array(this.fft.bins);
    this.y = new Float64Array(size);
    this.delaySamples = Math.round((room.delayMs * 16000) / 1000);
    this.pending = new Float64Array(this.delaySamples + size + blockSize);
    if (room.noiseDb !== null) {
      const rms = 10 ** (room.noiseDb / 20);
      const random = gaussian(seed);
      this.noise = () => rms * random();
    }
  }

  /** The echo gain is set once, from audio the assistant speaks (before any of it is played). */
  get calibrated(): boolean {
    return this.gain !== undefined;
  }

  /** Sets the gain so that this speech's echo has the RMS the scenario's ratio asks for. */
  calibrate(assistantSpeech: Float32Array): void {
    const echo = this.convolveWhole(this.clipped(assistantSpeech));
    const level = voicedRms(echo);
    if (level <= 0) return; // silence: calibrate on the next audio
    this.gain = (this.userLevel * 10 ** (-this.room.serDb / 20)) / level;
  }

  /** What reaches the microphone from the room while `played` (one block) is played, plus noise. */
  process(played: Float32Array): Float32Array {
    if (played.length !== this.blockSize) throw new RangeError(`AcousticPath: blocks of ${this.blockSize} samples`);
    const out = new Float32Array(this.blockSize);
    let loud = false;
    for (const v of played) if (v !== 0) loud = true;
    if (loud) {
      this.fft.forward(this.clipped(played), this.xRe, this.xIm);
      for (let k = 0; k < this.fft.bins; k++) {
        const re = (this.xRe[k] ?? 0) * (this.hRe[k] ?? 0) - (this.xIm[k] ?? 0) * (this.hIm[k] ?? 0);
        const im = (this.xRe[k] ?? 0) * (this.hIm[k] ?? 0) + (this.xIm[k] ?? 0) * (this.hRe[k] ?? 0);
        this.xRe[k] = re;
        this.xIm[k] = im;
      }
      this.fft.inverse(this.xRe, this.xIm, this.y);
      const gain = this.gain ?? 1;
      for (let i = 0; i < this.y.length; i++) this.pending[this.delaySamples + i] = (this.pending[this.delaySamples + i] ?? 0) + gain * (this.y[i] ?? 0);
    }
    for (let i = 0; i < this.blockSize; i++) out[i] = (this.pending[i] ?? 0) + (this.noise?.() ?? 0);
    this.pending.copyWithin(0, this.blockSize);
    this.pending.fill(0, this.pending.length - this.blockSize);
    return out;
  }

  private clipped(x: Float32Array): Float32Array {
    const limit = this.room.clip;
    if (limit === null) return x;
    return x.map((v) => Math.max(-limit, Math.min(limit, v)));
  }

  private convolveWhole(x: Float32Array): Float32Array {
    const h = this.room.rir;
    const size = nextPowerOfTwo(x.length + h.length - 1);
    const fft = new RealFft(size);
    const [aRe, aIm, bRe, bIm] = [0, 0, 0, 0].map(() => new Float64Array(fft.bins)) as [Float64Array, Float64Array, Float64Array, Float64Array];
    fft.forward(x, aRe, aIm);
    fft.forward(h, bRe, bIm);
    for (let k = 0; k < fft.bins; k++) {
      const re = (aRe[k] ?? 0) * (bRe[k] ?? 0) - (aIm[k] ?? 0) * (bIm[k] ?? 0);
      aIm[k] = (aRe[k] ?? 0) * (bIm[k] ?? 0) + (aIm[k] ?? 0) * (bRe[k] ?? 0);
      aRe[k] = re;
    }
    const y = new Float64Array(size);
    fft.inverse(aRe, aIm, y);
    return Float32Array.from(y.subarray(0, x.length + h.length - 1));
  }
}

/**
 * RMS over the voiced part of a signal: 32 ms windows within 35 dB of the loudest one (the
 * scenarios' "RMS over voiced audio"; pauses between words do not dilute it).
 */
export function voicedRms(x: Float32Array): number {
  const win = 512;
  const energies: number[] = [];
  for (let i = 0; i + win <= x.length; i += win) {
    let e = 0;
    for (let j = i; j < i + win; j++) e += (x[j] ?? 0) ** 2;
    energies.push(e / win);
  }
  const peak = Math.max(0, ...energies);
  if (peak === 0) return 0;
  const voiced = energies.filter((e) => e >= peak * 10 ** (-35 / 10));
  return Math.sqrt(voiced.reduce((a, b) => a + b, 0) / voiced.length);
}

function nextPowerOfTwo(n: number): number {
  let size = 4;
  while (size < n) size *= 2;
  return size;
}

/** Seeded standard normal samples (mulberry32 + Box–Muller). */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
