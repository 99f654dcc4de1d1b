/**
 * The small toolkit every stage shares: abort errors, a disposed error, one error-message helper
 * and the serial queue that native runtimes need (one inference at a time per model) but that a
 * cancelled caller must be able to walk away from.
 */

/** The error a stage rejects with when its AbortSignal fires. */
export function abortError(signal?: AbortSignal, what = 'operation'): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException(`${what} aborted`, 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return (error instanceof Error || error instanceof DOMException) && error.name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** A stage was used after `dispose()`. */
export class DisposedError extends Error {
  override name = 'DisposedError';
  constructor(stage: string) {
    super(`${stage} was disposed`);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Settles like `promise`, or rejects with an AbortError as soon as `signal` fires (the work behind
 * `promise` may go on; whoever owns it decides what to do with its result).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(abortError(signal, what));
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(error));
      },
    );
  });
}

/**
 * Runs tasks one at a time, in call order. A caller whose signal fires gets an AbortError at once;
 * a task that has not started yet is skipped, one that is running keeps its slot until it finishes
 * (native inferences cannot be interrupted), so the next task never overlaps it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;

  constructor(private readonly what = 'operation') {}

  /** True while a task (possibly one whose caller gave up) is running. */
  get busy(): boolean {
    return this.running > 0;
  }

  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, this.what));
    const run = this.tail.then(async () => {
      throwIfAborted(signal, this.what);
      this.running++;
      try {
        return await task();
      } finally {
        this.running--;
      }
    });
    this.tail = run.catch(() => undefined);
    return raceAbort(run, signal, this.what);
  }

  /** Resolves when every task queued so far has finished (for dispose). */
  async drained(): Promise<void> {
    await this.tail;
  }
}
