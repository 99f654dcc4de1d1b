import type { EngineEvent } from '../../shared/events';
import type { HostNotice } from '../../shared/host-types';

export interface RestartPolicyOptions {
  /** Delay before restarting a crashed engine; the whole restart must stay under 2 s. */
  restartDelayMs?: number;
  /** Give up after this many crashes in a row without a completed turn. */
  maxConsecutiveRestarts?: number;
  /** Appended to the give-up message: what the user can do (the app's wording differs from web mode's). */
  giveUpAdvice?: string;
}

export type CrashDecision = { restart: true; delayMs: number } | { restart: false; fatal: EngineEvent };

/**
 * When a crashed engine process is restarted, and the notices around it. One policy for every host
 * (the Electron utilityProcess host and the child-process host of web mode, tests and soak): restart
 * after a short delay, stop after a crash loop; a completed turn ends a streak of crashes.
 */
export class RestartPolicy {
  private consecutiveCrashes = 0;
  private crashedAt = 0;

  constructor(
    private readonly options: RestartPolicyOptions = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** A crash happened and the new engine is not ready yet. */
  get recovering(): boolean {
    return this.crashedAt > 0;
  }

  /** Every event of the engine passes here: returns the `restarted` notice when a restarted engine is ready. */
  observe(event: EngineEvent, pid: number | undefined): HostNotice | undefined {
    if (event.type === 'turn_done') this.consecutiveCrashes = 0;
    if (event.type !== 'state' || event.state !== 'ready' || this.crashedAt === 0) return undefined;
    const notice: HostNotice = { type: 'host', status: 'restarted', pid, restartMs: this.now() - this.crashedAt };
    this.crashedAt = 0;
    return notice;
  }

  /** The engine process died unasked: restart it after the delay, or give up on a crash loop. */
  crashed(): CrashDecision {
    this.crashedAt = this.now();
    const limit = this.options.maxConsecutiveRestarts ?? 5;
    if (++this.consecutiveCrashes > limit) {
      const advice = this.options.giveUpAdvice ? ` ${this.options.giveUpAdvice}` : '';
      const message = `the speech engine crashed ${limit} times in a row; not restarting.${advice}`;
      return { restart: false, fatal: { type: 'error', code: 'engine_crash_loop', message, fatal: true } };
    }
    return { restart: true, delayMs: this.options.restartDelayMs ?? 100 };
  }
}
