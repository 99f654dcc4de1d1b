import type { EngineConfig } from '../../shared/config';
import { EchoGuard } from './echo/echo-guard';

/** Below this VAD probability a window is quiet: the guard may skip its held-back 16 ms after it. */
const QUIET_PROBABILITY = 0.2;

export interface SpeechProbability {
  probability(window: Float32Array): Promise<number>;
}

/** A microphone window after the echo guard, with what the VAD and the guard said of it. */
export interface HeardWindow {
  /** The echo-reduced window the VAD saw, and its place on the input clock. */
  samples: Float32Array;
  startMs: number;
  endMs: number;
  probability: number;
  /** How much of the window's energy the guard explained by what the player plays (0…1). */
  echoFraction: number;
  /** The guard found no echo of what plays (headphones): what it removed so far was the user's voice. */
  echoPathAbsent: boolean;
}

/**
 * The microphone path as the app runs it: mic window → EchoGuard → VAD on the echo-reduced window.
 * The engine hands each `HeardWindow` to its turn controller, whose `BargeInDetector` decides
 * barge-in; echo-check and the echo tests drive this same class with a detector made the same way
 * (`createBargeInDetector`). Times are input-clock ms; while the guard cleans, the window lags by
 * its `latencyMs`. The reference (what the player plays) is placed by `EchoReferenceSchedule`.
 */
export class MicPath {
  private readonly guard: EchoGuard;
  private lastProbability = 0;

  constructor(
    private readonly vad: SpeechProbability,
    config: Pick<EngineConfig, 'echo'>,
  ) {
    this.guard = new EchoGuard(config.echo);
  }

  /** The guard's lag while it cleans (the cleaned window ends this much before the raw one). */
  get latencyMs(): number {
    return this.guard.latencyMs;
  }

  /** The microphone before the guard, input-clock `fromMs` to `toMs` (the last few seconds). */
  microphone(fromMs: number, toMs: number): Float32Array {
    return this.guard.microphone(fromMs, toMs);
  }

  /** Input-clock end of the reference placed so far. */
  get referenceEndMs(): number {
    return this.guard.referenceEndMs;
  }

  /** Audio sent to the player; `startMs` = input-clock time its first sample is heard. */
  addReference(samples: Float32Array, sampleRate: number, startMs: number): void {
    this.guard.addReference(samples, sampleRate, startMs);
  }

  /** The player dropped what it had queued: nothing after `fromMs` will be heard. */
  cutReference(fromMs: number): void {
    this.guard.cutReference(fromMs);
  }

  /** One mic window ending at `endMs` (input clock): the guard, then one VAD run on what it leaves. */
  async hear(samples: Float32Array, endMs: number): Promise<HeardWindow> {
    const cleaned = this.guard.process(samples, endMs, { quiet: this.lastProbability < QUIET_PROBABILITY });
    const durationMs = (samples.length * 1000) / 16000;
    const probability = await this.vad.probability(cleaned.samples);
    this.lastProbability = probability;
    const lag = cleaned.lagMs;
    return { samples: cleaned.samples, startMs: endMs - durationMs - lag, endMs: endMs - lag, probability, echoFraction: cleaned.echoFraction, echoPathAbsent: cleaned.echoPathAbsent };
  }
}
