import type { ChatTurn } from '../../shared/events';
import { AnswerHandle, type AnswerDeps } from './answer';
import type { AnswerReport } from './turn-controller';

/** What every answer shares (its stages, the clock, the output); `report` is told which turn reports. */
export interface AnswersDeps extends Omit<AnswerDeps, 'report' | 'llm' | 'tts'> {
  stages(): Pick<AnswerDeps, 'llm' | 'tts'>;
  report(turn: number, report: AnswerReport): void;
}

/** The answers in flight, by turn: each starts, is confirmed, paused, resumed, stopped and finished through here. */
export class Answers {
  private readonly byTurn = new Map<number, AnswerHandle>();

  constructor(private readonly deps: AnswersDeps) {}

  /** Some answer exists (speculative or live). */
  get any(): boolean {
    return this.byTurn.size > 0;
  }

  /**
   * Starts the answer of `turn`. `words(signal)` starts what it answers (the transcription of the
   * turn's speech, under the answer's signal) and returns the promise of the text; `typed` replaces it.
   */
  start(turn: number, speculative: boolean, words: (signal: AbortSignal) => () => Promise<string>, typed: string | undefined): void {
    const { llm, tts } = this.deps.stages();
    const handle = new AnswerHandle(turn, speculative, {
      ...this.deps,
      llm,
      tts,
      report: (report) => this.deps.report(turn, report),
    });
    this.byTurn.set(turn, handle);
    const spoken = words(handle.signal);
    void handle.run(async () => typed ?? spoken());
  }

  confirm(turn: number): void {
    this.byTurn.get(turn)?.confirm();
  }

  discard(turn: number): void {
    this.byTurn.get(turn)?.discard();
    this.byTurn.delete(turn);
  }

  pause(turn: number): void {
    this.byTurn.get(turn)?.pause();
  }

  resume(turn: number, fromUnit: number): void {
    this.byTurn.get(turn)?.resume(fromUnit);
  }

  stop(turn: number): void {
    this.byTurn.get(turn)?.interrupt();
  }

  markPlayed(turn: number, unit: number): void {
    this.byTurn.get(turn)?.markPlayed(unit);
  }

  /** The answer is over: what the user said and what was spoken (undefined if `turn` had no answer). */
  finish(turn: number, interrupted: boolean, playerAttached: boolean): ChatTurn | undefined {
    const handle = this.byTurn.get(turn);
    this.byTurn.delete(turn);
    return handle?.outcome(interrupted, playerAttached);
  }
}
