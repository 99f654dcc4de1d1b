/**
 * A stretch of a 16 kHz signal addressed by absolute sample index on the input clock
 * (index = ms × 16). Keeps the last `capacity` samples written; anything never written, or older
 * than that, reads as silence. Writes may arrive ahead of time (the player's queue) and may leave
 * gaps (pauses between answers), which read as zeros.
 */
export class SampleTimeline {
  private readonly data: Float32Array;
  private readonly mask: number;
  /** One past the newest index written; -Infinity until the first write. */
  private end = Number.NEGATIVE_INFINITY;
  private start = Number.POSITIVE_INFINITY;

  constructor(capacityPow2: number) {
    if (!Number.isInteger(capacityPow2) || capacityPow2 < 2 || (capacityPow2 & (capacityPow2 - 1)) !== 0) {
      throw new RangeError(`SampleTimeline: capacity must be a power of two, got ${capacityPow2}`);
    }
    this.data = new Float32Array(capacityPow2);
    this.mask = capacityPow2 - 1;
  }

  get capacity(): number {
    return this.data.length;
  }

  /** One past the newest sample index written (or -Infinity). */
  get endIndex(): number {
    return this.end;
  }

  write(samples: Float32Array, startIndex: number): void {
    if (!Number.isInteger(startIndex)) throw new RangeError(`SampleTimeline.write: start index must be an integer, got ${startIndex}`);
    if (samples.length === 0) return;
    const cap = this.data.length;
    const newEnd = startIndex + samples.length;
    if (Number.isFinite(this.end) && startIndex > this.end) {
      // Silence between the previous write and this one.
      const gapStart = Math.max(this.end, newEnd - cap);
      for (let i = gapStart; i < startIndex; i++) this.data[i & this.mask] = 0;
    }
    const from = Math.max(0, samples.length - cap);
    for (let i = from; i < samples.length; i++) this.data[(startIndex + i) & this.mask] = samples[i] ?? 0;
    if (!Number.isFinite(this.end) || newEnd > this.end) this.end = newEnd;
    this.start = Math.max(Math.min(this.start, startIndex), this.end - cap);
  }

  /** Sample at an absolute index, 0 outside what is held. */
  at(index: number): number {
    if (index < this.start || index >= this.end || index < this.end - this.data.length) return 0;
    return this.data[index & this.mask] ?? 0;
  }

  /** Copies `[startIndex, startIndex + out.length)` into `out` (zeros where nothing is held). */
  read(startIndex: number, out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.at(startIndex + i);
  }

  /** Forgets everything from `fromIndex` on (audio that was queued but will not be heard). */
  truncate(fromIndex: number): void {
    if (!Number.isInteger(fromIndex)) throw new RangeError(`SampleTimeline.truncate: index must be an integer, got ${fromIndex}`);
    if (fromIndex >= this.end) return;
    if (fromIndex <= this.start) {
      this.clear();
      return;
    }
    for (let i = Math.max(fromIndex, this.end - this.data.length); i < this.end; i++) this.data[i & this.mask] = 0;
    this.end = fromIndex;
  }

  clear(): void {
    this.data.fill(0);
    this.end = Number.NEGATIVE_INFINITY;
    this.start = Number.POSITIVE_INFINITY;
  }
}
