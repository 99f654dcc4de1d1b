import { RealFft } from './fft';
import type { SampleTimeline } from './timeline';

/**
 * Bulk delay between the reference (what the player was told to play) and its echo in the
 * microphone, by GCC-PHAT (generalized cross-correlation with phase transform) over the last
 * `analysisSamples` of microphone signal and a lag range of a few hundred ms. PHAT whitening makes
 * the peak sharp for speech and insensitive to the room's colouration and the loudspeaker's
 * distortion; the peak-to-floor ratio says how much to trust it.
 */
export interface DelayEstimate {
  /** mic[n] ≈ h * ref[n − lagSamples]. */
  lagSamples: number;
  /** Peak of the PHAT correlation over the rms of the whole searched lag range (≈ 3–5 for noise). */
  confidence: number;
}

export interface DelayEstimatorOptions {
  minLagSamples: number;
  maxLagSamples: number;
  analysisSamples: number;
  sampleRate: number;
}

/** Band used for the correlation: below it rumble and hum, above it little echo energy. */
const LOW_HZ = 200;
const HIGH_HZ = 4000;
/** A peak this close to the largest one, at a smaller lag, is taken as the direct path. */
const EARLIEST_PEAK_SHARE = 0.6;
/** …if it comes at most this much earlier (a reflection's extra path is a few metres). */
const EARLIEST_PEAK_WITHIN_MS = 40;

export class DelayEstimator {
  private readonly fft: RealFft;
  private readonly mic: Float64Array;
  private readonly ref: Float64Array;
  private readonly micRe: Float64Array;
  private readonly micIm: Float64Array;
  private readonly refRe: Float64Array;
  private readonly refIm: Float64Array;
  private readonly corr: Float64Array;
  private readonly span: number;
  private readonly lowBin: number;
  private readonly highBin: number;

  constructor(private readonly options: DelayEstimatorOptions) {
    const { minLagSamples, maxLagSamples, analysisSamples } = options;
    if (!(maxLagSamples > minLagSamples)) throw new RangeError('DelayEstimator: maxLag must exceed minLag');
    this.span = maxLagSamples - minLagSamples;
    let size = 4;
    while (size < analysisSamples + this.span) size *= 2;
    this.fft = new RealFft(size);
    this.mic = new Float64Array(analysisSamples);
    this.ref = new Float64Array(analysisSamples + this.span);
    const bins = this.fft.bins;
    this.micRe = new Float64Array(bins);
    this.micIm = new Float64Array(bins);
    this.refRe = new Float64Array(bins);
    this.refIm = new Float64Array(bins);
    this.corr = new Float64Array(size);
    this.lowBin = Math.max(1, Math.floor((LOW_HZ * size) / options.sampleRate));
    this.highBin = Math.min(bins - 1, Math.ceil((HIGH_HZ * size) / options.sampleRate));
  }

  /** Estimate over the microphone samples `[endIndex − analysisSamples, endIndex)`. */
  estimate(mic: SampleTimeline, reference: SampleTimeline, endIndex: number): DelayEstimate {
    const { analysisSamples, maxLagSamples } = this.options;
    const micStart = endIndex - analysisSamples;
    mic.read(micStart, this.mic);
    // ref[0] lines up with mic[0] at the largest lag.
    reference.read(micStart - maxLagSamples, this.ref);
    this.fft.forward(this.mic, this.micRe, this.micIm);
    this.fft.forward(this.ref, this.refRe, this.refIm);
    const re = this.refRe;
    const im = this.refIm;
    for (let k = 0; k < this.fft.bins; k++) {
      if (k < this.lowBin || k > this.highBin) {
        re[k] = 0;
        im[k] = 0;
        continue;
      }
      // conj(M) · R, whitened.
      const mr = this.micRe[k] ?? 0;
      const mi = this.micIm[k] ?? 0;
      const rr = re[k] ?? 0;
      const ri = im[k] ?? 0;
      const cr = mr * rr + mi * ri;
      const ci = mr * ri - mi * rr;
      const mag = Math.hypot(cr, ci) + 1e-20;
      re[k] = cr / mag;
      im[k] = ci / mag;
    }
    this.fft.inverse(re, im, this.corr);
    // corr[k] = Σ mic[i]·ref[i + k]; offset k ↔ lag maxLag − k.
    let best = 0;
    let bestOffset = 0;
    let sumSquares = 0;
    for (let k = 0; k <= this.span; k++) {
      const v = this.corr[k] ?? 0;
      sumSquares += v * v;
      if (v > best) {
        best = v;
        bestOffset = k;
      }
    }
    const rms = Math.sqrt(sumSquares / (this.span + 1)) + 1e-20;
    // A room adds reflections after the direct path, sometimes stronger: take the earliest strong peak.
    let earliest = bestOffset;
    const earliestOffset = Math.min(this.span - 1, bestOffset + Math.round((EARLIEST_PEAK_WITHIN_MS * this.options.sampleRate) / 1000));
    for (let k = earliestOffset; k > bestOffset; k--) {
      if ((this.corr[k] ?? 0) >= EARLIEST_PEAK_SHARE * best) {
        earliest = k;
        break;
      }
    }
    return { lagSamples: maxLagSamples - earliest, confidence: best / rms };
  }
}
