import FFT from 'fft.js';

/**
 * Real-signal FFT of a fixed power-of-two size over fft.js (radix-4, no allocations per call).
 * Spectra are split into `re`/`im` arrays of `size / 2 + 1` bins (DC … Nyquist).
 */
export class RealFft {
  readonly bins: number;
  private readonly fft: FFT;
  private readonly complexOut: Float64Array;
  private readonly complexIn: Float64Array;
  private readonly realIn: Float64Array;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 4 || (size & (size - 1)) !== 0) {
      throw new RangeError(`RealFft: size must be a power of two ≥ 4, got ${size}`);
    }
    this.bins = size / 2 + 1;
    this.fft = new FFT(size);
    this.complexOut = new Float64Array(2 * size);
    this.complexIn = new Float64Array(2 * size);
    this.realIn = new Float64Array(size);
  }

  /** Spectrum of `input` (zero-padded or truncated to `size`) into `re`/`im` (`bins` long). */
  forward(input: ArrayLike<number>, re: Float64Array, im: Float64Array): void {
    const n = Math.min(input.length, this.size);
    for (let i = 0; i < n; i++) this.realIn[i] = input[i] ?? 0;
    this.realIn.fill(0, n);
    this.fft.realTransform(this.complexOut, this.realIn);
    for (let k = 0; k < this.bins; k++) {
      re[k] = this.complexOut[2 * k] ?? 0;
      im[k] = this.complexOut[2 * k + 1] ?? 0;
    }
  }

  /** Real signal (`size` long, into `out`) of the Hermitian spectrum given by its `bins` half. */
  inverse(re: Float64Array, im: Float64Array, out: Float64Array): void {
    const n = this.size;
    const c = this.complexIn;
    for (let k = 0; k < this.bins; k++) {
      c[2 * k] = re[k] ?? 0;
      c[2 * k + 1] = im[k] ?? 0;
    }
    for (let k = this.bins; k < n; k++) {
      c[2 * k] = re[n - k] ?? 0;
      c[2 * k + 1] = -(im[n - k] ?? 0);
    }
    this.fft.inverseTransform(this.complexOut, c);
    for (let i = 0; i < n; i++) out[i] = this.complexOut[2 * i] ?? 0;
  }
}
