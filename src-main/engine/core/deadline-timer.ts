/** Timers the engine uses for its deadlines (tests inject a manual clock's). */
export interface EngineTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: EngineTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One pending deadline at a time: arming it again replaces the previous one. */
export class DeadlineTimer {
  private handle: unknown;

  constructor(
    private readonly timers: EngineTimers,
    private readonly now: () => number,
  ) {}

  /** Calls `onDeadline` at engine time `deadline` (none: nothing pending). */
  arm(deadline: number | undefined, onDeadline: () => void): void {
    this.cancel();
    if (deadline === undefined) return;
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      onDeadline();
    }, Math.max(0, deadline - this.now()));
  }

  cancel(): void {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
