import type { EngineTimers } from '../../src-main/engine/core/deadline-timer';

/**
 * FAKE (for race tests): a manual clock with its own timers. Time moves only when a test calls
 * `advance`; timers due by then run in time order.
 */
export class ManualClock implements EngineTimers {
  private t = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  now = (): number => this.t;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.t + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Timers that have not run yet. */
  get timers(): number {
    return this.pending.size;
  }

  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].callback();
    }
    this.t = until;
  }
}
