import { bargeInOptions, BargeInDetector } from './barge-in';
import type { EngineConfig } from '../../shared/config';
import { EchoGuard } from './echo/echo-guard';

/**
 * The microphone path while the assistant may be audible, as the app runs it:
 * mic window → EchoGuard → VAD (on the echo-reduced window) → BargeInDetector.
 * The VAD probability it returns is that of the cleaned window, so the endpointer can use the
 * same number. Times are input-clock ms; while the guard cleans, the window lags by its `latencyMs`.
 */
/** Below this VAD probability a window is quiet: the guard may skip its held-back 16 ms after it. */
const QUIET_PROBABILITY = 0.2;

export interface SpeechProbability {
  probability(window: Float32Array): Promise<number>;
}

export interface GuardedWindow {
  /** The echo-reduced window the VAD saw, and its place on the input clock. */
  samples: Float32Array;
  startMs: number;
  endMs: number;
  probability: number;
  echoFraction: number;
  /** Set when this window completes a barge-in: the onset of the user's speech. */
  bargeIn: { onsetMs: number } | null;
}

export class EchoSafeBargeIn {
  readonly guard: EchoGuard;
  readonly detector: BargeInDetector;
  private lastProbability = 0;

  constructor(
    private readonly vad: SpeechProbability,
    config: Pick<EngineConfig, 'echo'>,
  ) {
    this.guard = new EchoGuard(config.echo);
    this.detector = new BargeInDetector(bargeInOptions(config));
  }

  /** Audio sent to the player; `startMs` = input-clock time its first sample is heard. */
  addReference(samples: Float32Array, sampleRate: number, startMs: number): void {
    this.guard.addReference(samples, sampleRate, startMs);
  }

  /** One mic window ending at `endMs`; `answerAudible` says whether barge-in is being decided now. */
  async window(samples: Float32Array, endMs: number, answerAudible: boolean): Promise<GuardedWindow> {
    const heard = await this.hear(samples, endMs);
    const bargeIn = answerAudible ? this.detector.push(heard) : null;
    return { ...heard, bargeIn };
  }

  /**
   * The guard and the VAD only (one VAD run, on the echo-reduced window): the engine hands this to
   * its turn controller, whose own `BargeInDetector` (same class, same settings) decides barge-in.
   */
  async hear(samples: Float32Array, endMs: number): Promise<Omit<GuardedWindow, 'bargeIn'>> {
    const cleaned = this.guard.process(samples, endMs, { quiet: this.lastProbability < QUIET_PROBABILITY });
    const durationMs = (samples.length * 1000) / 16000;
    const probability = await this.vad.probability(cleaned.samples);
    this.lastProbability = probability;
    const lag = cleaned.lagMs;
    return { samples: cleaned.samples, startMs: endMs - durationMs - lag, endMs: endMs - lag, probability, echoFraction: cleaned.echoFraction };
  }

  /** A new answer starts: the detector re-arms (the guard keeps the learned echo path). */
  answerStarted(): void {
    this.detector.reset();
  }
}
