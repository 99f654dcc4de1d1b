/**
 * Streaming mono resampler for the mic path (e.g. 48 kHz → 16 kHz): a windowed-sinc low-pass
 * (only when downsampling, against aliasing) followed by linear interpolation. Stateful across
 * blocks, so 128-sample render quanta resample seamlessly. Pure: used inside the AudioWorklet.
 */
export class StreamingResampler {
  private readonly step: number;
  private readonly taps: Float32Array | undefined;
  private readonly history: Float32Array;
  /** Position of the next output sample in the current block's coordinates (-1 = last sample of the previous block). */
  private pos = 0;
  private prev = 0;

  constructor(
    readonly inRate: number,
    readonly outRate: number,
    tapCount = 31,
  ) {
    if (!(inRate > 0) || !(outRate > 0)) throw new Error(`resampler: bad rates ${inRate} → ${outRate}`);
    this.step = inRate / outRate;
    this.taps = inRate > outRate ? lowPassTaps(tapCount, (0.45 * outRate) / inRate) : undefined;
    this.history = new Float32Array(this.taps ? this.taps.length - 1 : 0);
  }

  process(input: Float32Array): Float32Array {
    const y = this.taps ? this.filter(input) : input;
    const n = y.length;
    if (n === 0) return new Float32Array(0);
    const out = new Float32Array(Math.ceil((n + 1) / this.step) + 1);
    let count = 0;
    let pos = this.pos;
    while (pos < n - 1) {
      const i = Math.floor(pos);
      const frac = pos - i;
      const a = i < 0 ? this.prev : (y[i] as number);
      const b = y[i + 1] as number;
      out[count++] = a + (b - a) * frac;
      pos += this.step;
    }
    this.pos = pos - n;
    this.prev = y[n - 1] as number;
    return out.subarray(0, count);
  }

  private filter(input: Float32Array): Float32Array {
    const taps = this.taps as Float32Array;
    const h = this.history;
    const out = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      let acc = 0;
      for (let k = 0; k < taps.length; k++) {
        const j = i - k;
        acc += (taps[k] as number) * (j >= 0 ? (input[j] as number) : (h[h.length + j] as number));
      }
      out[i] = acc;
    }
    // Keep the last taps-1 inputs for the next block.
    if (input.length >= h.length) {
      h.set(input.subarray(input.length - h.length));
    } else {
      h.copyWithin(0, input.length);
      h.set(input, h.length - input.length);
    }
    return out;
  }
}

/** Hamming-windowed sinc low-pass; `cutoff` is a fraction of the input rate (0..0.5). Unity DC gain. */
export function lowPassTaps(count: number, cutoff: number): Float32Array {
  const taps = new Float32Array(count);
  const mid = (count - 1) / 2;
  let sum = 0;
  for (let k = 0; k < count; k++) {
    const x = k - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * k) / (count - 1));
    taps[k] = sinc * window;
    sum += sinc * window;
  }
  for (let k = 0; k < count; k++) taps[k] = (taps[k] as number) / sum;
  return taps;
}

/** Collects resampled audio into fixed-size frames (512 samples = 32 ms at 16 kHz). */
export class FrameAccumulator {
  private buffer: Float32Array;
  private filled = 0;

  constructor(readonly frameSize: number) {
    this.buffer = new Float32Array(frameSize);
  }

  /** Returns the frames completed by `input` (each its own buffer, safe to transfer). */
  push(input: Float32Array): Float32Array[] {
    const frames: Float32Array[] = [];
    let offset = 0;
    while (offset < input.length) {
      const take = Math.min(this.frameSize - this.filled, input.length - offset);
      this.buffer.set(input.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameSize) {
        frames.push(this.buffer);
        this.buffer = new Float32Array(this.frameSize);
        this.filled = 0;
      }
    }
    return frames;
  }
}
