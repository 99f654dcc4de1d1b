import { RealFft } from './fft';

/**
 * Linear acoustic echo canceller: partitioned-block frequency-domain adaptive filter (PBFDAF,
 * overlap-save, gradient-constrained), the structure of Speex's MDF and WebRTC's AEC3 linear stage.
 * Block of B samples, FFT of 2B, P partitions → a filter of P·B taps. Step size is normalized per
 * frequency bin by the reference power and scaled down while the error is large compared with the
 * echo estimate (near-end talk), so double talk slows adaptation instead of wrecking the filter.
 */
export interface FdafOptions {
  blockSamples: number;
  partitions: number;
  /** Normalized step (0..1]. */
  step: number;
}

export interface FdafBlock {
  /** Microphone minus the linear echo estimate. */
  error: Float64Array;
  /** The linear echo estimate. */
  echo: Float64Array;
}

/** Reference blocks quieter than this (mean square) carry nothing to learn from (≈ -60 dBFS). */
const REFERENCE_ACTIVE_POWER = 1e-6;
/** Echo return loss enhancement (dB, smoothed over ~0.3 s) at which the filter counts as adapted. */
const ADAPTED_ERLE_DB = 12;
const ERLE_SMOOTHING = 0.95;

export class Fdaf {
  private readonly b: number;
  private readonly p: number;
  private readonly bins: number;
  private readonly fft: RealFft;
  private readonly wRe: Float64Array[];
  private readonly wIm: Float64Array[];
  private readonly xRe: Float64Array[];
  private readonly xIm: Float64Array[];
  private readonly xPower: Float64Array;
  private readonly frame: Float64Array;
  private readonly time: Float64Array;
  private readonly yRe: Float64Array;
  private readonly yIm: Float64Array;
  private readonly eRe: Float64Array;
  private readonly eIm: Float64Array;
  private readonly gRe: Float64Array;
  private readonly gIm: Float64Array;
  private readonly previousReference: Float64Array;
  private readonly out: FdafBlock;
  private head = 0;
  private echoPower = 0;
  private errorPower = 0;
  private micPower = 0;
  private adaptation = 0;
  private erleMic = 0;
  private erleError = 0;
  /** Best smoothed ERLE (dB) reached since the filter was last reset. */
  private bestErleDb = 0;

  constructor(private readonly options: FdafOptions) {
    const { blockSamples, partitions } = options;
    this.b = blockSamples;
    this.p = partitions;
    this.fft = new RealFft(2 * blockSamples);
    this.bins = this.fft.bins;
    const spectra = (): Float64Array[] => Array.from({ length: partitions }, () => new Float64Array(this.bins));
    this.wRe = spectra();
    this.wIm = spectra();
    this.xRe = spectra();
    this.xIm = spectra();
    this.xPower = new Float64Array(this.bins);
    this.frame = new Float64Array(2 * blockSamples);
    this.time = new Float64Array(2 * blockSamples);
    this.yRe = new Float64Array(this.bins);
    this.yIm = new Float64Array(this.bins);
    this.eRe = new Float64Array(this.bins);
    this.eIm = new Float64Array(this.bins);
    this.gRe = new Float64Array(this.bins);
    this.gIm = new Float64Array(this.bins);
    this.previousReference = new Float64Array(blockSamples);
    this.out = { error: new Float64Array(blockSamples), echo: new Float64Array(blockSamples) };
  }

  /** True once the filter has shown it removes the echo (ERLE reached ADAPTED_ERLE_DB). */
  get adapted(): boolean {
    return this.bestErleDb >= ADAPTED_ERLE_DB;
  }

  /** 0..1: the best echo reduction reached so far, relative to `adapted`. */
  get progress(): number {
    return Math.min(1, Math.max(0, this.bestErleDb / ADAPTED_ERLE_DB));
  }

  /** Best smoothed echo return loss enhancement reached since the last reset (dB). */
  get erleDb(): number {
    return this.bestErleDb;
  }

  /**
   * One block: `reference` = the delay-aligned reference, `mic` = the microphone; `nearEndTalking`
   * (from a double-talk detector) freezes adaptation. Returns views valid until the next call.
   */
  process(reference: ArrayLike<number>, mic: ArrayLike<number>, nearEndTalking = false): FdafBlock {
    const { b, p, bins } = this;
    // Newest reference spectrum of [previous block, this block] goes to the ring's head.
    this.head = (this.head + p - 1) % p;
    let referencePower = 0;
    for (let i = 0; i < b; i++) {
      const v = reference[i] ?? 0;
      this.frame[i] = this.previousReference[i] ?? 0;
      this.frame[b + i] = v;
      this.previousReference[i] = v;
      referencePower += v * v;
    }
    referencePower /= b;
    const headRe = this.xRe[this.head] as Float64Array;
    const headIm = this.xIm[this.head] as Float64Array;
    this.fft.forward(this.frame, headRe, headIm);

    // Echo estimate Y = Σ W_j · X_{k−j}.
    this.yRe.fill(0);
    this.yIm.fill(0);
    for (let j = 0; j < p; j++) {
      const slot = (this.head + j) % p;
      const xr = this.xRe[slot] as Float64Array;
      const xi = this.xIm[slot] as Float64Array;
      const wr = this.wRe[j] as Float64Array;
      const wi = this.wIm[j] as Float64Array;
      for (let k = 0; k < bins; k++) {
        const a = xr[k] ?? 0, c = xi[k] ?? 0, w1 = wr[k] ?? 0, w2 = wi[k] ?? 0;
        this.yRe[k] = (this.yRe[k] ?? 0) + a * w1 - c * w2;
        this.yIm[k] = (this.yIm[k] ?? 0) + a * w2 + c * w1;
      }
    }
    this.fft.inverse(this.yRe, this.yIm, this.time);
    const { error, echo } = this.out;
    let blockEcho = 0, blockError = 0, blockMic = 0;
    for (let i = 0; i < b; i++) {
      const y = this.time[b + i] ?? 0;
      const d = mic[i] ?? 0;
      echo[i] = y;
      error[i] = d - y;
      blockEcho += y * y;
      blockError += (d - y) * (d - y);
      blockMic += d * d;
    }
    const smoothing = 0.7;
    this.echoPower = smoothing * this.echoPower + (1 - smoothing) * (blockEcho / b);
    this.errorPower = smoothing * this.errorPower + (1 - smoothing) * (blockError / b);
    this.micPower = smoothing * this.micPower + (1 - smoothing) * (blockMic / b);

    if (this.micPower > 1e-9 && this.errorPower > 8 * this.micPower && this.adaptation > 0) {
      // Diverged (the echo path changed under it, or a bad delay): start over.
      this.resetFilter();
      error.set(Array.from(mic));
      echo.fill(0);
      return this.out;
    }

    // Per-bin reference power, smoothed.
    for (let k = 0; k < bins; k++) {
      const m = (headRe[k] ?? 0) ** 2 + (headIm[k] ?? 0) ** 2;
      this.xPower[k] = 0.9 * (this.xPower[k] ?? 0) + 0.1 * m;
    }
    if (referencePower < REFERENCE_ACTIVE_POWER) return this.out;
    this.erleMic = ERLE_SMOOTHING * this.erleMic + (1 - ERLE_SMOOTHING) * (blockMic / b);
    this.erleError = ERLE_SMOOTHING * this.erleError + (1 - ERLE_SMOOTHING) * (blockError / b);
    if (this.adaptation > 20 && this.erleMic > 1e-8) {
      this.bestErleDb = Math.max(this.bestErleDb, 10 * Math.log10(this.erleMic / (this.erleError + 1e-20)));
    }

    // Near-end talk guard: once adapted, a large error relative to the echo estimate means the
    // error is mostly someone else's voice; learn slowly from it.
    if (nearEndTalking) return this.out;
    const rate = this.adapted ? Math.min(1, (2 * this.echoPower) / (this.errorPower + 1e-12)) : 1;
    if (rate < 0.01) return this.out;
    this.adaptation += rate;
    const mu = this.options.step * rate;

    // E = FFT([0…0, e]).
    this.frame.fill(0, 0, b);
    for (let i = 0; i < b; i++) this.frame[b + i] = error[i] ?? 0;
    this.fft.forward(this.frame, this.eRe, this.eIm);
    let meanPower = 0;
    for (let k = 0; k < bins; k++) meanPower += this.xPower[k] ?? 0;
    const floor = 1e-3 * (meanPower / bins) + 1e-10;
    for (let k = 0; k < bins; k++) {
      const norm = mu / (p * (this.xPower[k] ?? 0) + floor);
      this.eRe[k] = (this.eRe[k] ?? 0) * norm;
      this.eIm[k] = (this.eIm[k] ?? 0) * norm;
    }
    for (let j = 0; j < p; j++) {
      const slot = (this.head + j) % p;
      const xr = this.xRe[slot] as Float64Array;
      const xi = this.xIm[slot] as Float64Array;
      // Gradient conj(X) · E, constrained to the first B taps (linear, not circular, convolution).
      for (let k = 0; k < bins; k++) {
        const a = xr[k] ?? 0, c = xi[k] ?? 0, er = this.eRe[k] ?? 0, ei = this.eIm[k] ?? 0;
        this.gRe[k] = a * er + c * ei;
        this.gIm[k] = a * ei - c * er;
      }
      this.fft.inverse(this.gRe, this.gIm, this.time);
      this.time.fill(0, b);
      this.fft.forward(this.time, this.gRe, this.gIm);
      const wr = this.wRe[j] as Float64Array;
      const wi = this.wIm[j] as Float64Array;
      for (let k = 0; k < bins; k++) {
        wr[k] = (wr[k] ?? 0) + (this.gRe[k] ?? 0);
        wi[k] = (wi[k] ?? 0) + (this.gIm[k] ?? 0);
      }
    }
    return this.out;
  }

  /** Forgets the echo path (the delay moved, or the filter diverged). */
  resetFilter(): void {
    for (const w of [...this.wRe, ...this.wIm]) w.fill(0);
    this.adaptation = 0;
    this.bestErleDb = 0;
    this.erleMic = 0;
    this.erleError = 0;
    this.echoPower = 0;
    this.errorPower = 0;
  }

  /**
   * Moves the learned echo path `samples` later (negative: earlier), as when the reference's
   * placement against the microphone moved but the room did not. Taps moved past either end of
   * the filter are dropped.
   */
  shiftTaps(samples: number): void {
    const { b, p } = this;
    const length = p * b;
    const shift = Math.round(samples);
    if (shift === 0) return;
    const taps = new Float64Array(length);
    for (let j = 0; j < p; j++) {
      this.fft.inverse(this.wRe[j] as Float64Array, this.wIm[j] as Float64Array, this.time);
      taps.set(this.time.subarray(0, b), j * b);
    }
    for (let j = 0; j < p; j++) {
      this.frame.fill(0);
      for (let n = 0; n < b; n++) {
        const from = j * b + n - shift;
        if (from >= 0 && from < length) this.frame[n] = taps[from] as number;
      }
      this.fft.forward(this.frame, this.wRe[j] as Float64Array, this.wIm[j] as Float64Array);
    }
  }

  /** Forgets the reference history (the filter, i.e. the learned room, is kept). */
  resetSignals(): void {
    for (const x of [...this.xRe, ...this.xIm]) x.fill(0);
    this.previousReference.fill(0);
    this.xPower.fill(0);
    this.echoPower = 0;
    this.errorPower = 0;
    this.micPower = 0;
  }
}
