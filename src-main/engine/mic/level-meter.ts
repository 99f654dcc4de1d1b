import { levelOf } from './audio-input';

/** One `level` reading per this many ms at most (the page's meter needs no more). */
const LEVEL_EVERY_MS = 64;

/** The input level meter: throttles readings of the windows heard, or of raw frames when nothing is heard (push-to-talk up). */
export class LevelMeter {
  private lastAt = -Infinity;

  /** A reading for a window whose level is known, or undefined if one was given less than 64 ms ago. */
  ofWindow(window: { rms: number; peak: number }, t: number): { rms: number; peak: number } | undefined {
    if (t - this.lastAt < LEVEL_EVERY_MS) return undefined;
    this.lastAt = t;
    return { rms: window.rms, peak: window.peak };
  }

  /** A reading of a raw frame (not validated: non-finite samples count as silence, the peak is capped at 1). */
  ofFrame(samples: Float32Array, t: number): { rms: number; peak: number } | undefined {
    if (t - this.lastAt < LEVEL_EVERY_MS || samples.length === 0) return undefined;
    this.lastAt = t;
    const { rms, peak } = levelOf(samples);
    return { rms, peak: Math.min(1, peak) };
  }
}
