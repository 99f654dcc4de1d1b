/**
 * Decides when the user is talking over the assistant. One window at a time (times in ms on the
 * engine clock); returns the onset of the speech that justifies interrupting, once, until reset.
 *
 * This version counts sustained voiced audio (VAD probability ≥ threshold for at least
 * `minSpeechMs`). `echoFraction` — how much of the window the assistant's own playback explains —
 * is part of the contract so an echo-aware implementation can replace this one without touching
 * the turn controller; it is ignored here.
 */
export interface BargeInWindow {
  startMs: number;
  endMs: number;
  probability: number;
  /** 0..1: share of the window's energy explained by the assistant's own voice (0 = none). */
  echoFraction: number;
}

export interface BargeInOptions {
  /** VAD probability at or above which a window counts as voiced. */
  threshold: number;
  /** Voiced audio needed, without a gap, before it counts as barge-in. */
  minSpeechMs: number;
}

export class BargeInDetector {
  private onsetMs: number | undefined;
  private voicedMs = 0;
  private fired = false;

  constructor(private options: BargeInOptions) {}

  /** New thresholds apply from the next window. */
  configure(options: BargeInOptions): void {
    this.options = options;
  }

  push(window: BargeInWindow): { onsetMs: number } | null {
    if (this.fired) return null;
    if (!(window.probability >= this.options.threshold)) {
      this.onsetMs = undefined;
      this.voicedMs = 0;
      return null;
    }
    this.onsetMs ??= window.startMs;
    this.voicedMs += window.endMs - window.startMs;
    if (this.voicedMs < this.options.minSpeechMs) return null;
    this.fired = true;
    return { onsetMs: this.onsetMs };
  }

  reset(): void {
    this.onsetMs = undefined;
    this.voicedMs = 0;
    this.fired = false;
  }
}
