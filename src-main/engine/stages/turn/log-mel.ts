/**
 * Whisper's log-mel front-end, fast: what transformers.js's `WhisperFeatureExtractor` computes
 * (its Hann window and Slaney mel filters are taken from it, so the front-end stays the library's),
 * with the short-time Fourier transform done here. The library runs a 400-point FFT through a
 * Bluestein transform and the mel projection as a dense matrix product: ~100 ms for an 8 s window
 * on a 2-core machine, more than the model itself. This runs an exact mixed-radix (4, 5) FFT of 400
 * points and a sparse mel projection; `test/engine/stages/smart-turn.test.ts` checks it equals the
 * library's output.
 */

export interface LogMelSpec {
  /** The library's window (n_fft samples) and mel filters (mels × (n_fft/2 + 1)). */
  window: ArrayLike<number>;
  melFilters: ReadonlyArray<ArrayLike<number>>;
  hop: number;
  /** Output frames (Whisper drops the centred STFT's last frame). */
  frames: number;
}

export class LogMel {
  private readonly nFft: number;
  private readonly bins: number;
  private readonly fft: MixedRadixFft;
  private readonly filters: Array<{ from: number; weights: Float64Array }>;
  private readonly frame: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;

  constructor(private readonly spec: LogMelSpec) {
    this.nFft = spec.window.length;
    this.bins = Math.floor(this.nFft / 2) + 1;
    this.fft = new MixedRadixFft(this.nFft);
    this.frame = new Float64Array(this.nFft);
    this.re = new Float64Array(this.nFft);
    this.im = new Float64Array(this.nFft);
    // Each mel filter is non-zero on a short run of bins: keep only that run.
    this.filters = spec.melFilters.map((row) => {
      let from = 0;
      while (from < this.bins && row[from] === 0) from++;
      let to = this.bins;
      while (to > from && row[to - 1] === 0) to--;
      return { from, weights: Float64Array.from({ length: to - from }, (_, i) => row[from + i] as number) };
    });
  }

  /** `audio`: exactly the samples the model hears (already padded); returns [mels × frames], mel-major. */
  compute(audio: Float32Array): Float32Array {
    const { hop, frames, window } = this.spec;
    const half = Math.floor(this.nFft / 2);
    const mels = this.filters.length;
    const out = new Float32Array(mels * frames);
    const power = new Float64Array(this.bins);
    // Centred frames over the audio reflected at both ends (as numpy's "reflect").
    const padded = new Float64Array(audio.length + 2 * half);
    for (let i = 0; i < padded.length; i++) padded[i] = sampleReflected(audio, i - half);
    const silent = Math.log10(1e-10);
    for (let f = 0; f < frames; f++) {
      const start = f * hop;
      let energy = 0;
      for (let j = 0; j < this.nFft; j++) {
        const v = (padded[start + j] ?? 0) * (window[j] as number);
        this.frame[j] = v;
        energy += v * v;
      }
      if (energy === 0) {
        // A frame of the zero padding after a short turn: its spectrum is zero, no transform needed.
        for (let m = 0; m < mels; m++) out[m * frames + f] = silent;
        continue;
      }
      this.fft.transform(this.frame, 0, this.re, this.im);
      for (let k = 0; k < this.bins; k++) power[k] = (this.re[k] as number) ** 2 + (this.im[k] as number) ** 2;
      for (let m = 0; m < mels; m++) {
        const { from, weights } = this.filters[m] as { from: number; weights: Float64Array };
        let sum = 0;
        for (let i = 0; i < weights.length; i++) sum += (weights[i] as number) * (power[from + i] as number);
        out[m * frames + f] = Math.log10(Math.max(1e-10, sum));
      }
    }
    // Whisper's dynamic range: 8 decades below the loudest value, then scaled to about [-1, 1].
    let max = -Infinity;
    for (const v of out) if (v > max) max = v;
    const floor = max - 8;
    for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i] as number, floor) + 4) / 4;
    return out;
  }
}

function sampleReflected(audio: Float32Array, i: number): number {
  const n = audio.length;
  if (n === 1) return audio[0] as number;
  let j = i;
  const period = 2 * (n - 1);
  j = ((j % period) + period) % period;
  if (j >= n) j = period - j;
  return audio[j] as number;
}

/** The 5-point DFT's constants: cos and sin of 2π/5 and 4π/5. */
const C1 = Math.cos((2 * Math.PI) / 5);
const C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5);
const S2 = Math.sin((4 * Math.PI) / 5);

/**
 * An exact FFT for sizes whose prime factors are 2, 3 and 5: iterative mixed-radix decimation in
 * time (inputs in digit-reversed order, then one pass per factor: twiddle by W_size^(r·k), p-point
 * DFT; p = 4 needs additions only, p = 5 the symmetric form with four constants).
 */
class MixedRadixFft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly factors: number[];
  /** Input index of each output position before the first pass. */
  private readonly order: Int32Array;
  private readonly small = new Map<number, { cos: Float64Array; sin: Float64Array }>();
  private readonly xRe = new Float64Array(8);
  private readonly xIm = new Float64Array(8);

  constructor(private readonly n: number) {
    this.factors = [];
    let rest = n;
    for (const p of [4, 2, 3, 5]) {
      while (rest % p === 0) {
        this.factors.push(p);
        rest /= p;
      }
    }
    if (rest !== 1) throw new RangeError(`MixedRadixFft: ${n} has prime factors other than 2, 3 and 5`);
    this.cos = Float64Array.from({ length: n }, (_, k) => Math.cos((2 * Math.PI * k) / n));
    this.sin = Float64Array.from({ length: n }, (_, k) => -Math.sin((2 * Math.PI * k) / n));
    for (const p of new Set(this.factors)) {
      const angle = (i: number): number => (2 * Math.PI * Math.floor(i / p) * (i % p)) / p;
      this.small.set(p, { cos: Float64Array.from({ length: p * p }, (_, i) => Math.cos(angle(i))), sin: Float64Array.from({ length: p * p }, (_, i) => -Math.sin(angle(i))) });
    }
    this.order = new Int32Array(n);
    const place = (inOffset: number, inStride: number, outOffset: number, size: number, level: number): void => {
      if (size === 1) {
        this.order[outOffset] = inOffset;
        return;
      }
      const p = this.factors[level] as number;
      const m = size / p;
      for (let r = 0; r < p; r++) place(inOffset + r * inStride, inStride * p, outOffset + r * m, m, level + 1);
    };
    place(0, 1, 0, n, 0);
  }

  /** Forward DFT of the real signal `input[offset …]` into (re, im). */
  transform(input: Float64Array, offset: number, re: Float64Array, im: Float64Array): void {
    const { n, order, cos, sin, xRe, xIm, factors } = this;
    for (let i = 0; i < n; i++) {
      re[i] = input[offset + (order[i] as number)] as number;
      im[i] = 0;
    }
    let size = 1;
    for (let level = factors.length - 1; level >= 0; level--) {
      const p = factors[level] as number;
      const m = size;
      size *= p;
      const twiddleStep = n / size;
      const small = this.small.get(p) as { cos: Float64Array; sin: Float64Array };
      for (let block = 0; block < n; block += size) {
        for (let k = 0; k < m; k++) {
          for (let r = 0; r < p; r++) {
            const at = block + r * m + k;
            const t = r * k * twiddleStep;
            const c = cos[t] as number;
            const sn = sin[t] as number;
            const yRe = re[at] as number;
            const yIm = im[at] as number;
            xRe[r] = yRe * c - yIm * sn;
            xIm[r] = yRe * sn + yIm * c;
          }
          // The p outputs of this k occupy exactly the p inputs it read.
          if (p === 4) {
            const aRe = (xRe[0] as number) + (xRe[2] as number);
            const aIm = (xIm[0] as number) + (xIm[2] as number);
            const bRe = (xRe[0] as number) - (xRe[2] as number);
            const bIm = (xIm[0] as number) - (xIm[2] as number);
            const cRe = (xRe[1] as number) + (xRe[3] as number);
            const cIm = (xIm[1] as number) + (xIm[3] as number);
            const dRe = (xRe[1] as number) - (xRe[3] as number);
            const dIm = (xIm[1] as number) - (xIm[3] as number);
            re[block + k] = aRe + cRe;
            im[block + k] = aIm + cIm;
            re[block + k + m] = bRe + dIm; // b − i·d
            im[block + k + m] = bIm - dRe;
            re[block + k + 2 * m] = aRe - cRe;
            im[block + k + 2 * m] = aIm - cIm;
            re[block + k + 3 * m] = bRe - dIm; // b + i·d
            im[block + k + 3 * m] = bIm + dRe;
            continue;
          }
          if (p === 5) {
            const t1Re = (xRe[1] as number) + (xRe[4] as number);
            const t1Im = (xIm[1] as number) + (xIm[4] as number);
            const t2Re = (xRe[2] as number) + (xRe[3] as number);
            const t2Im = (xIm[2] as number) + (xIm[3] as number);
            const t3Re = (xRe[1] as number) - (xRe[4] as number);
            const t3Im = (xIm[1] as number) - (xIm[4] as number);
            const t4Re = (xRe[2] as number) - (xRe[3] as number);
            const t4Im = (xIm[2] as number) - (xIm[3] as number);
            const x0Re = xRe[0] as number;
            const x0Im = xIm[0] as number;
            const a1Re = x0Re + C1 * t1Re + C2 * t2Re;
            const a1Im = x0Im + C1 * t1Im + C2 * t2Im;
            const a2Re = x0Re + C2 * t1Re + C1 * t2Re;
            const a2Im = x0Im + C2 * t1Im + C1 * t2Im;
            const b1Re = S1 * t3Re + S2 * t4Re;
            const b1Im = S1 * t3Im + S2 * t4Im;
            const b2Re = S2 * t3Re - S1 * t4Re;
            const b2Im = S2 * t3Im - S1 * t4Im;
            re[block + k] = x0Re + t1Re + t2Re;
            im[block + k] = x0Im + t1Im + t2Im;
            re[block + k + m] = a1Re + b1Im; // a1 − i·b1
            im[block + k + m] = a1Im - b1Re;
            re[block + k + 4 * m] = a1Re - b1Im; // a1 + i·b1
            im[block + k + 4 * m] = a1Im + b1Re;
            re[block + k + 2 * m] = a2Re + b2Im; // a2 − i·b2
            im[block + k + 2 * m] = a2Im - b2Re;
            re[block + k + 3 * m] = a2Re - b2Im; // a2 + i·b2
            im[block + k + 3 * m] = a2Im + b2Re;
            continue;
          }
          for (let q = 0; q < p; q++) {
            let accRe = 0;
            let accIm = 0;
            for (let r = 0; r < p; r++) {
              const c = small.cos[q * p + r] as number;
              const sn = small.sin[q * p + r] as number;
              accRe += (xRe[r] as number) * c - (xIm[r] as number) * sn;
              accIm += (xRe[r] as number) * sn + (xIm[r] as number) * c;
            }
            re[block + k + q * m] = accRe;
            im[block + k + q * m] = accIm;
          }
        }
      }
    }
  }
}
