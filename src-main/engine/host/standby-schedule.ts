import type { EngineEvent } from '../../shared/events';

export interface StandbyScheduleOptions {
  /** Quiet time after the engine is ready and idle before the standby starts loading (default 750 ms). */
  delayMs?: number;
  /** It loads anyway this long after it was wanted, busy or not (default 8 s): a user who never pauses still gets one. */
  maxWaitMs?: number;
  /** Start loading a standby now. */
  load: () => void;
  /** The live engine wrote a turn or changed its history: the standby reads it again. */
  follow: () => void;
}

/**
 * When a host loads its standby engine, and when the standby follows the conversation: one rule for
 * both hosts. Loading a whole model set takes seconds of CPU, so it waits until the live engine is
 * ready and no model computes for a turn for `delayMs` (on two cores it would otherwise slow the
 * user's turn), or at most `maxWaitMs`; every `turn_done` and `history` of the live engine is
 * passed on as a follow.
 */
export class StandbySchedule {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  private wanted = false;
  private idle = true;
  private phase: string = 'listening';
  /** The current answer's synthesis is done (its audio may still be playing). */
  private synthesized = true;

  constructor(private readonly options: StandbyScheduleOptions) {}

  /**
   * Every event of the live engine. Idle = no model is computing for a turn: listening, or an
   * answer whose synthesis is done and only plays (the user listens; the cores are free).
   */
  observe(event: EngineEvent): void {
    if (event.type === 'turn_done' || event.type === 'history') this.options.follow();
    if (event.type === 'phase') this.phase = event.phase;
    if (event.type === 'speech_start' || event.type === 'llm_request') this.synthesized = false;
    if (event.type === 'tts_done') this.synthesized = true;
    if (event.type !== 'phase' && event.type !== 'tts_done' && event.type !== 'speech_start' && event.type !== 'llm_request') return;
    const idle = this.phase === 'listening' || this.phase === 'muted' || (this.phase === 'speaking' && this.synthesized);
    if (idle === this.idle) return;
    this.idle = idle;
    this.rearm();
  }

  /** A standby is wanted (the live engine is ready and none is loaded or loading). */
  want(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.deadline = setTimeout(() => this.fire(), this.options.maxWaitMs ?? 8000);
    this.rearm();
  }

  /** None is wanted now (one is loading, or the host stops). */
  cancel(): void {
    this.wanted = false;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    this.timer = undefined;
    this.deadline = undefined;
  }

  private rearm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.wanted || !this.idle) return;
    this.timer = setTimeout(() => this.fire(), this.options.delayMs ?? 750);
  }

  private fire(): void {
    if (!this.wanted) return;
    this.cancel();
    this.options.load();
  }
}
