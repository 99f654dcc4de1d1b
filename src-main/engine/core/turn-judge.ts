import type { EngineConfig } from '../../shared/config';
import type { EngineEvent } from '../../shared/events';
import type { TurnStage } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';

export interface TurnJudgeDeps {
  /** The loaded end-of-turn model, if any. */
  stage: () => TurnStage | undefined;
  emit: (event: EngineEvent) => void;
  /** A verdict for the controller (`TurnController.turnVerdict`). */
  verdict: (turn: number, request: number, verdict: { probability: number; ms: number }) => void;
}

interface Request {
  turn: number;
  request: number;
  audio: Float32Array;
}

/**
 * Runs the end-of-turn model for the turn controller, off the audio path: one call at a time, and
 * a request made while one runs replaces any waiting one (only the newest pause matters). A model
 * that fails is reported once; the turn then ends on silence (the controller's maximum silence).
 */
export class TurnJudge {
  private running = false;
  private waiting: Request | undefined;
  private failureReported = false;
  private missingReported = false;

  constructor(private readonly deps: TurnJudgeDeps) {}

  classify(turn: number, request: number, audio: Float32Array): void {
    this.waiting = { turn, request, audio };
    if (!this.running) void this.drain();
  }

  /**
   * Whether the model can decide ends of turns now. When the settings ask for it and it is not
   * loaded, says so once (the engine then ends turns on silence alone, as with Fast).
   */
  available(config: EngineConfig): boolean {
    const loaded = this.deps.stage() !== undefined;
    if (!loaded && config.turn.endOfTurn !== 'fast' && !this.missingReported) {
      this.missingReported = true;
      this.deps.emit({
        type: 'error',
        code: 'turn_model_missing',
        message:
          `end of turn "${config.turn.endOfTurn}" needs the Smart Turn model, which is not installed: turns end after ` +
          `${config.vad.endOfTurnSilenceMs} ms of silence (Fast) until it is (npm run models -- download smart-turn-v3)`,
        fatal: false,
      });
    }
    return loaded;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let job = this.take(); job; job = this.take()) {
        const stage = this.deps.stage();
        if (!stage) return;
        try {
          this.deps.verdict(job.turn, job.request, await stage.classify(job.audio));
        } catch (error) {
          if (this.failureReported) continue;
          this.failureReported = true;
          this.deps.emit({ type: 'error', code: 'turn_model_failed', turn: job.turn, message: `end-of-turn model: ${messageOf(error)}; this turn ends on silence`, fatal: false });
        }
      }
    } finally {
      this.running = false;
    }
  }

  private take(): Request | undefined {
    const job = this.waiting;
    this.waiting = undefined;
    return job;
  }
}
