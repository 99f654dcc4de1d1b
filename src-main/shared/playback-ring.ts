/**
 * The player's ring buffer (pure; runs inside the playback AudioWorklet, unit-tested in node).
 * Tracks which turn/unit each sample belongs to so it can say when a turn's first sample is
 * output (`started`) and when a unit's last sample is output (`unit_done`).
 */
export type PlaybackNotice =
  | { type: 'started'; turn: number }
  | { type: 'unit_done'; turn: number; unit: number }
  | { type: 'overflow'; dropped: number };

interface Segment {
  turn: number;
  unit: number;
  remaining: number;
}

export class PlaybackRing {
  private readonly data: Float32Array;
  private read = 0;
  private size = 0;
  private readonly segments: Segment[] = [];
  private startedTurn: number | undefined;
  private lastDone: string | undefined;

  constructor(readonly capacity: number) {
    this.data = new Float32Array(capacity);
  }

  get buffered(): number {
    return this.size;
  }

  /** Queues samples; returns an overflow notice when the ring was full (the excess is dropped). */
  push(turn: number, unit: number, samples: Float32Array): PlaybackNotice[] {
    const free = this.capacity - this.size;
    const take = Math.min(free, samples.length);
    let write = (this.read + this.size) % this.capacity;
    for (let i = 0; i < take; i++) {
      this.data[write] = samples[i] as number;
      write = write + 1 === this.capacity ? 0 : write + 1;
    }
    this.size += take;
    if (take > 0) {
      const last = this.segments[this.segments.length - 1];
      if (last && last.turn === turn && last.unit === unit) last.remaining += take;
      else this.segments.push({ turn, unit, remaining: take });
    }
    return take < samples.length ? [{ type: 'overflow', dropped: samples.length - take }] : [];
  }

  /** Drops everything queued (barge-in / cancel). */
  flush(): void {
    this.read = 0;
    this.size = 0;
    this.segments.length = 0;
  }

  /** Fills `out` (silence after the queue runs dry) and reports what happened. */
  render(out: Float32Array): PlaybackNotice[] {
    const notices: PlaybackNotice[] = [];
    let i = 0;
    while (i < out.length && this.segments.length > 0) {
      const segment = this.segments[0] as Segment;
      if (this.startedTurn !== segment.turn) {
        this.startedTurn = segment.turn;
        notices.push({ type: 'started', turn: segment.turn });
      }
      const n = Math.min(segment.remaining, out.length - i);
      for (let k = 0; k < n; k++) {
        out[i++] = this.data[this.read] as number;
        this.read = this.read + 1 === this.capacity ? 0 : this.read + 1;
      }
      segment.remaining -= n;
      this.size -= n;
      if (segment.remaining === 0) {
        this.segments.shift();
        const next = this.segments[0];
        const continues = next && next.turn === segment.turn && next.unit === segment.unit;
        const key = `${segment.turn}:${segment.unit}`;
        if (!continues && this.lastDone !== key) {
          this.lastDone = key;
          notices.push({ type: 'unit_done', turn: segment.turn, unit: segment.unit });
        }
      }
    }
    out.fill(0, i);
    return notices;
  }
}
