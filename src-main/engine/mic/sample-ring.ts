/** Fixed-size ring of the most recent samples. */
export class SampleRing {
  private readonly data: Float32Array;
  private writePos = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.data = new Float32Array(capacity);
  }

  get length(): number {
    return this.filled;
  }

  write(samples: Float32Array): void {
    if (this.capacity === 0) return;
    const src = samples.length > this.capacity ? samples.subarray(samples.length - this.capacity) : samples;
    const firstPart = Math.min(src.length, this.capacity - this.writePos);
    this.data.set(src.subarray(0, firstPart), this.writePos);
    this.data.set(src.subarray(firstPart), 0);
    this.writePos = (this.writePos + src.length) % this.capacity;
    this.filled = Math.min(this.capacity, this.filled + src.length);
  }

  /** The held samples, oldest first (a copy). */
  read(): Float32Array {
    const out = new Float32Array(this.filled);
    const start = (this.writePos - this.filled + this.capacity) % this.capacity;
    const firstPart = Math.min(this.filled, this.capacity - start);
    out.set(this.data.subarray(start, start + firstPart), 0);
    out.set(this.data.subarray(0, this.filled - firstPart), firstPart);
    return out;
  }

  clear(): void {
    this.writePos = 0;
    this.filled = 0;
  }
}
