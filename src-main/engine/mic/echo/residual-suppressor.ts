import { RealFft } from './fft';

/**
 * Residual echo suppression after the linear canceller: a short-time spectral gain (sqrt-Hann
 * analysis/synthesis, 50 % overlap, so the output lags the input by one block) that removes what
 * the linear filter cannot: the loudspeaker's non-linear distortion, the reverberant tail beyond
 * the filter and the echo before the filter has adapted.
 *
 * The echo power per bin is the larger of
 *  - the linear echo estimate × a leak factor (the part of it the filter leaves behind, measured
 *    as Speex does: the correlation of the error's and the estimate's power spectra), spread over
 *    neighbouring bins and decaying over time like a room's reverberation; and
 *  - while the filter is still adapting, a coarse bound that needs no echo path: the reference's
 *    power at any lag in the search window × a generous gain, fading out as the filter adapts.
 * Also reports how much of the microphone's energy the echo explains (`echoFraction`).
 */
export interface ResidualSuppressorOptions {
  blockSamples: number;
  /** Lowest gain applied to a bin (linear amplitude). */
  floorGain: number;
  /** Over-subtraction applied to the residual-echo estimate. */
  overSubtraction: number;
  /**
   * Upper bound (and starting point) of the coarse echo-to-reference power gain used while the
   * linear filter has not adapted; the gain actually used is learned (see `coarseGainDb`).
   */
  unadaptedEchoGain: number;
  /** Per-block decay of the residual echo estimate (the room's tail). */
  tailDecay: number;
}

export interface SuppressorInput {
  mic: ArrayLike<number>;
  error: ArrayLike<number>;
  echo: ArrayLike<number>;
  /** Per bin: largest reference power over the delay search window (frame spectra, same FFT size). */
  referenceEnvelope: Float64Array;
  /** 0..1: the linear filter's adaptation progress. */
  adaptation: number;
  /**
   * The linear filter is not (yet) aligned to this stream: the coarse bound uses its generous
   * starting gain, not the one learned (which sits near the 90th percentile of the last stream's
   * echo, and the first words of a new one may exceed it).
   */
  unaligned?: boolean;
}

const MIN_LEAK = 0.05;
/** The coarse bound sits this far above the 90th percentile of the mic-to-reference power ratio. */
const COARSE_MARGIN_DB = 3;
/** Quantile tracking of that ratio, per block: up 0.45 dB, down 0.05 dB → settles at the 90th percentile. */
const COARSE_UP_DB = 0.18;
const COARSE_DOWN_DB = 0.02;
const COARSE_MIN_DB = -50;
/** Per block (16 ms): −0.22 dB, i.e. −14 dB a second, slower than most rooms decay. */
const ECHO_LEVEL_DECAY = 0.95;
const SPREAD_BINS = 2;

export class ResidualSuppressor {
  readonly bins: number;
  private readonly b: number;
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly frame: Float64Array;
  private readonly time: Float64Array;
  private readonly prevMic: Float64Array;
  private readonly prevError: Float64Array;
  private readonly prevEcho: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly echoPower: Float64Array;
  private readonly micPower: Float64Array;
  private readonly residual: Float64Array;
  private readonly overlap: Float64Array;
  private readonly output: Float64Array;
  private pey = 0;
  private pyy = 1e-12;
  private leak = 0.5;
  private lastEchoFraction = 0;
  private lastNearEndLikely = false;
  private echoLevel = 0;
  /** 90th percentile of the mic-to-reference-envelope power ratio while the reference plays (dB). */
  private ratioQuantileDb: number;

  constructor(private readonly options: ResidualSuppressorOptions) {
    const b = options.blockSamples;
    this.b = b;
    this.fft = new RealFft(2 * b);
    this.bins = this.fft.bins;
    this.window = new Float64Array(2 * b);
    for (let i = 0; i < 2 * b; i++) this.window[i] = Math.sqrt(0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / (2 * b)));
    this.frame = new Float64Array(2 * b);
    this.time = new Float64Array(2 * b);
    this.prevMic = new Float64Array(b);
    this.prevError = new Float64Array(b);
    this.prevEcho = new Float64Array(b);
    this.re = new Float64Array(this.bins);
    this.im = new Float64Array(this.bins);
    this.echoPower = new Float64Array(this.bins);
    this.micPower = new Float64Array(this.bins);
    this.residual = new Float64Array(this.bins);
    this.overlap = new Float64Array(b);
    this.output = new Float64Array(b);
    this.ratioQuantileDb = 10 * Math.log10(options.unadaptedEchoGain) - COARSE_MARGIN_DB;
  }

  /** Whether the last frame was louder than the echo could explain (double-talk detector for the canceller). */
  get nearEndLikely(): boolean {
    return this.lastNearEndLikely;
  }

  /** The coarse echo gain in use (dB): how loud the echo may be relative to the reference envelope. */
  get coarseGainDb(): number {
    return this.ratioQuantileDb + COARSE_MARGIN_DB;
  }

  /**
   * Share (0..1) of the echo in the last frame: recent echo level / (that + what passes the
   * suppressor). 1 = everything heard is the assistant; ≈ 0 = a voice the reference does not explain.
   */
  get echoFraction(): number {
    return this.lastEchoFraction;
  }

  /** The power spectrum of one windowed frame [previous block, block], as this class computes it. */
  framePower(previous: ArrayLike<number>, block: ArrayLike<number>, out: Float64Array): void {
    this.windowed(previous, block);
    this.fft.forward(this.frame, this.re, this.im);
    for (let k = 0; k < this.bins; k++) out[k] = (this.re[k] ?? 0) ** 2 + (this.im[k] ?? 0) ** 2;
  }

  /** One block in; one block out (the block before it, suppressed). The returned view is reused. */
  process(input: SuppressorInput): Float64Array {
    const { bins, b } = this;
    const { floorGain, overSubtraction, unadaptedEchoGain, tailDecay } = this.options;
    this.framePower(this.prevMic, input.mic, this.micPower);
    this.framePower(this.prevEcho, input.echo, this.echoPower);
    this.windowed(this.prevError, input.error);
    this.fft.forward(this.frame, this.re, this.im);
    copyInto(this.prevMic, input.mic);
    copyInto(this.prevEcho, input.echo);
    copyInto(this.prevError, input.error);

    let errorTotal = 0, echoTotal = 0;
    for (let k = 0; k < bins; k++) {
      errorTotal += (this.re[k] ?? 0) ** 2 + (this.im[k] ?? 0) ** 2;
      echoTotal += this.echoPower[k] ?? 0;
    }
    this.updateLeak(errorTotal, echoTotal);

    let micSum = 0, envelopeSum = 0;
    for (let k = 0; k < bins; k++) {
      micSum += this.micPower[k] ?? 0;
      envelopeSum += input.referenceEnvelope[k] ?? 0;
    }
    this.lastNearEndLikely = micSum > 1e-9 * bins;
    if (envelopeSum > 1e-6 * bins) {
      const ratioDb = 10 * Math.log10((micSum + 1e-12) / envelopeSum);
      // Louder than the echo has (nearly) ever been relative to the reference: someone is talking.
      this.lastNearEndLikely = ratioDb > this.ratioQuantileDb + COARSE_MARGIN_DB;
      const ceiling = 10 * Math.log10(unadaptedEchoGain) - COARSE_MARGIN_DB;
      this.ratioQuantileDb += ratioDb > this.ratioQuantileDb ? COARSE_UP_DB : -COARSE_DOWN_DB;
      this.ratioQuantileDb = Math.min(ceiling, Math.max(COARSE_MIN_DB, this.ratioQuantileDb));
    }
    const coarseGain = input.unaligned === true ? unadaptedEchoGain : 10 ** (this.coarseGainDb / 10);
    const prior = coarseGain * (1 - input.adaptation) ** 2;
    const leak = Math.max(MIN_LEAK, this.leak) * overSubtraction;
    let explained = 0, outTotal = 0;
    for (let k = 0; k < bins; k++) {
      let spread = 0;
      for (let j = Math.max(0, k - SPREAD_BINS); j <= Math.min(bins - 1, k + SPREAD_BINS); j++) spread = Math.max(spread, this.echoPower[j] ?? 0);
      const linear = leak * spread;
      const coarse = prior * (input.referenceEnvelope[k] ?? 0);
      const residual = Math.max(linear, coarse, tailDecay * (this.residual[k] ?? 0));
      this.residual[k] = residual;
      const errorPower = (this.re[k] ?? 0) ** 2 + (this.im[k] ?? 0) ** 2;
      const suppression = Math.max(floorGain, errorPower > 0 ? Math.sqrt(Math.max(0, 1 - residual / errorPower)) : 1);
      // Never louder than the microphone: where the linear filter added energy, it explained nothing.
      const micPower = this.micPower[k] ?? 0;
      const gain = errorPower * suppression * suppression > micPower ? Math.sqrt(micPower / errorPower) : suppression;
      this.re[k] = (this.re[k] ?? 0) * gain;
      this.im[k] = (this.im[k] ?? 0) * gain;
      explained += Math.min(micPower, (this.echoPower[k] ?? 0) + residual);
      outTotal += errorPower * gain * gain;
    }
    // The echo's level decays like a room after the reference stops, so the reverberant tail of the
    // assistant's last word still counts as explained while a user's fresh voice does not.
    this.echoLevel = Math.max(explained, ECHO_LEVEL_DECAY * this.echoLevel);
    this.lastEchoFraction = this.echoLevel + outTotal > 1e-12 ? this.echoLevel / (this.echoLevel + outTotal) : 0;

    this.fft.inverse(this.re, this.im, this.time);
    for (let i = 0; i < b; i++) {
      this.output[i] = (this.overlap[i] ?? 0) + (this.time[i] ?? 0) * (this.window[i] ?? 0);
      this.overlap[i] = (this.time[b + i] ?? 0) * (this.window[b + i] ?? 0);
    }
    return this.output;
  }

  reset(): void {
    for (const a of [this.prevMic, this.prevError, this.prevEcho, this.residual, this.overlap]) a.fill(0);
    this.lastEchoFraction = 0;
    this.echoLevel = 0;
  }

  /** Speex's leak estimate: how much of the echo estimate's power pattern is still in the error. */
  private updateLeak(errorTotal: number, echoTotal: number): void {
    if (echoTotal < 1e-9) return;
    const { bins } = this;
    const meanE = errorTotal / bins;
    const meanY = echoTotal / bins;
    let ey = 0, yy = 0;
    for (let k = 0; k < bins; k++) {
      const e = (this.re[k] ?? 0) ** 2 + (this.im[k] ?? 0) ** 2 - meanE;
      const y = (this.echoPower[k] ?? 0) - meanY;
      ey += e * y;
      yy += y * y;
    }
    // Adapt slowly while the error dwarfs the echo estimate (someone else is talking).
    const alpha = 0.05 * Math.min(1, echoTotal / (errorTotal + 1e-12));
    this.pey = (1 - alpha) * this.pey + alpha * ey;
    this.pyy = (1 - alpha) * this.pyy + alpha * yy;
    this.leak = Math.min(1, Math.max(0, this.pey / (this.pyy + 1e-20)));
  }

  private windowed(previous: ArrayLike<number>, block: ArrayLike<number>): void {
    const b = this.b;
    for (let i = 0; i < b; i++) {
      this.frame[i] = (previous[i] ?? 0) * (this.window[i] ?? 0);
      this.frame[b + i] = (block[i] ?? 0) * (this.window[b + i] ?? 0);
    }
  }
}

function copyInto(target: Float64Array, source: ArrayLike<number>): void {
  for (let i = 0; i < target.length; i++) target[i] = source[i] ?? 0;
}
