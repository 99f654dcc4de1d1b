import type { EngineConfig } from '../../shared/config';

/**
 * Barge-in decision while the assistant's answer is audible: a pure state machine over VAD
 * windows (no clock of its own, so tests drive it with plain numbers).
 *
 * A window counts as the user's voice when the VAD is confident (`threshold`, raised above the
 * endpointer's because the echo guard leaves some residue) and the echo guard could not explain
 * its energy by the reference (`echoFraction ≤ maxEchoFraction`). Barge-in needs `minSpeechMs` of
 * such voice, allowing gaps up to `maxGapMs` (stop closures); it reports the onset of that run.
 * After a barge-in it stays quiet until the user's speech ends (`rearmSilenceMs` without voice), so
 * one interruption is reported once.
 */
/** Windows whose echo share is at most this are judged with `echoFreeThreshold`. */
const ECHO_FREE = 0.1;

export interface BargeInWindow {
  startMs: number;
  endMs: number;
  probability: number;
  echoFraction: number;
}

export interface BargeInOptions {
  minSpeechMs: number;
  threshold: number;
  /** Windows the reference explains more than this do not count (default 1: echo not considered). */
  maxEchoFraction?: number;
  /** Non-voice needed after a barge-in before the next one can fire (default 320 ms). */
  rearmSilenceMs?: number;
  /** Below this probability a window is silence for re-arming (default threshold − 0.15). */
  negativeThreshold?: number;
  /** Unvoiced gap tolerated inside a run (default 64 ms, two VAD windows). */
  maxGapMs?: number;
  /**
   * Threshold for windows the echo does not touch (echoFraction ≤ 0.1: the assistant is between
   * words, or on headphones): the raised `threshold` guards against echo residue only
   * (default: `threshold`).
   */
  echoFreeThreshold?: number;
}

/** The detector's settings from the engine config (the one place they are mapped). */
export function bargeInOptions(config: Pick<EngineConfig, 'echo'>): BargeInOptions {
  const { echo } = config;
  return {
    minSpeechMs: echo.bargeInMinSpeechMs,
    threshold: echo.bargeInThreshold,
    echoFreeThreshold: echo.bargeInEchoFreeThreshold,
    maxEchoFraction: echo.enabled ? echo.bargeInMaxEchoFraction : 1,
    rearmSilenceMs: echo.bargeInRearmSilenceMs,
  };
}

/**
 * The barge-in detector the app runs, with the settings of `config`: the turn controller makes its
 * detector here, and so does every check of the barge-in path (echo-check, the echo tests).
 * `falseInterruptions`: how many times the answer it guards was already paused for nothing.
 */
export function createBargeInDetector(config: Pick<EngineConfig, 'echo'>, falseInterruptions = 0): BargeInDetector {
  const options = bargeInOptions(config);
  // Each false interruption of the same answer (the "speech" held no words: most often echo the
  // guard let through, which repeats where the answer resumes) doubles the voice needed, up to 4×.
  const scale = 2 ** Math.min(2, Math.max(0, falseInterruptions));
  return new BargeInDetector({ ...options, minSpeechMs: options.minSpeechMs * scale });
}

export class BargeInDetector {
  private readonly minSpeechMs: number;
  private readonly threshold: number;
  private readonly maxEchoFraction: number;
  private readonly rearmSilenceMs: number;
  private readonly negativeThreshold: number;
  private readonly maxGapMs: number;
  private readonly echoFreeThreshold: number;
  private armed = true;
  private runStartMs: number | undefined;
  private voicedMs = 0;
  private gapMs = 0;
  private quietMs = 0;
  private lastEndMs: number | undefined;

  constructor(options: BargeInOptions) {
    const { minSpeechMs, threshold } = options;
    if (!(Number.isFinite(minSpeechMs) && minSpeechMs >= 0)) throw new RangeError(`BargeInDetector: invalid minSpeechMs ${minSpeechMs}`);
    if (!(threshold > 0 && threshold < 1)) throw new RangeError(`BargeInDetector: threshold must be in (0, 1), got ${threshold}`);
    this.minSpeechMs = minSpeechMs;
    this.threshold = threshold;
    this.maxEchoFraction = options.maxEchoFraction ?? 1;
    this.rearmSilenceMs = options.rearmSilenceMs ?? 320;
    this.negativeThreshold = options.negativeThreshold ?? Math.max(0.01, threshold - 0.15);
    this.maxGapMs = options.maxGapMs ?? 64;
    this.echoFreeThreshold = Math.min(threshold, options.echoFreeThreshold ?? threshold);
  }

  /** One VAD window while the assistant's answer is audible; returns the onset when it decides the user barged in. */
  push(window: BargeInWindow): { onsetMs: number } | null {
    const { startMs, endMs, probability, echoFraction } = window;
    if (!(endMs > startMs)) throw new RangeError(`BargeInDetector.push: window must have endMs > startMs, got ${startMs}..${endMs}`);
    if (this.lastEndMs !== undefined && startMs - this.lastEndMs > this.maxGapMs) this.clearRun();
    this.lastEndMs = endMs;
    const durationMs = endMs - startMs;
    const unexplained = echoFraction <= this.maxEchoFraction;
    if (!this.armed) {
      const quiet = probability < this.negativeThreshold || !unexplained;
      this.quietMs = quiet ? this.quietMs + durationMs : 0;
      if (this.quietMs >= this.rearmSilenceMs) this.armed = true;
      return null;
    }
    const threshold = echoFraction <= ECHO_FREE ? this.echoFreeThreshold : this.threshold;
    if (probability >= threshold && unexplained) {
      this.runStartMs ??= startMs;
      this.voicedMs += durationMs;
      this.gapMs = 0;
      if (this.voicedMs >= this.minSpeechMs) {
        const onsetMs = this.runStartMs;
        this.clearRun();
        this.armed = false;
        this.quietMs = 0;
        return { onsetMs };
      }
      return null;
    }
    if (this.runStartMs !== undefined) {
      this.gapMs += durationMs;
      if (this.gapMs > this.maxGapMs) this.clearRun();
    }
    return null;
  }

  /** A new answer: forget any partial run and re-arm. */
  reset(): void {
    this.clearRun();
    this.armed = true;
    this.quietMs = 0;
    this.lastEndMs = undefined;
  }

  private clearRun(): void {
    this.runStartMs = undefined;
    this.voicedMs = 0;
    this.gapMs = 0;
  }
}
