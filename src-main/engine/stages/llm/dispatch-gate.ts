/**
 * Holds llama.cpp's next evaluation batch while something more urgent uses the cores.
 *
 * node-llama-cpp dispatches each decode batch (one generated token, or a chunk of prompt) through
 * its context's `batching.dispatchSchedule`; this gate is that schedule. While held, dispatches
 * wait (the batch in flight finishes); on release they run. A hold always ends: by its release or,
 * at the latest, after `maxHoldMs`, so a forgotten release can only slow generation, never stop it.
 */
export class DispatchGate {
  private holds = 0;
  private waiting: Array<() => void> = [];

  constructor(private readonly maxHoldMs = 5000) {}

  /** The context's `batching.dispatchSchedule`. */
  readonly schedule = (dispatch: () => void): void => {
    if (this.holds > 0) this.waiting.push(dispatch);
    else setImmediate(dispatch);
  };

  get held(): boolean {
    return this.holds > 0;
  }

  /** Holds dispatches until the returned release is called (idempotent). */
  hold(): () => void {
    this.holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.holds--;
      if (this.holds === 0) this.flush();
    };
    const timer = setTimeout(release, this.maxHoldMs);
    return release;
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const dispatch of waiting) setImmediate(dispatch);
  }
}
