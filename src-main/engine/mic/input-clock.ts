import { roundMs } from '../../shared/stats';

/** Arrivals remembered (older ones are forgotten first): a few seconds of 20–32 ms frames. */
const MAX_ARRIVALS = 512;

/**
 * Maps the input clock (ms of microphone audio received) onto engine time and back, from the
 * engine time at which each frame arrived. Windows are analysed after they arrive (the VAD queue),
 * so an event found in a window is placed at the engine time its audio came in, not when the
 * analysis reached it.
 *
 * A command (the player's `playback_started`) is placed after the latest frame by the engine time
 * since it arrived, but never more than one frame past it: commands and frames share one channel
 * in arrival order, so a command handled before the next frame was sent before that frame was
 * complete. When the engine stalls (the queued frames and the command are then handled in a burst),
 * or when the host feeding it stalls (the scenario runner), the time since the last frame says
 * nothing about the input, and placing the player's start that far on would move the echo guard's
 * reference later than the echo itself.
 */
export class InputClock {
  private readonly arrivals: Array<{ inputMs: number; t: number }> = [];
  /** Length of the latest frame (ms of input). */
  private lastFrameMs = 0;

  /**
   * @param inputMsNow the input clock now (used before any frame arrived)
   * @param now the engine clock now
   */
  constructor(
    private readonly inputMsNow: () => number,
    private readonly now: () => number,
  ) {}

  /** A frame arrived at engine time `t`; the input clock is `inputMs` after it. */
  arrived(inputMs: number, t: number): void {
    this.lastFrameMs = Math.max(0, inputMs - (this.arrivals.at(-1)?.inputMs ?? 0));
    this.arrivals.push({ inputMs, t });
    if (this.arrivals.length > MAX_ARRIVALS) this.arrivals.splice(0, this.arrivals.length - MAX_ARRIVALS);
  }

  /** Engine time of a point on the input clock (exact for windows whose frame has arrived). */
  engineTime(inputMs: number): number {
    for (const arrival of this.arrivals) {
      if (arrival.inputMs >= inputMs) return roundMs(arrival.t - (arrival.inputMs - inputMs));
    }
    const last = this.arrivals.at(-1);
    return last ? roundMs(last.t - (last.inputMs - inputMs)) : this.now();
  }

  /** Input-clock time of engine time `t` (from the latest arrival, at most one frame past it). */
  inputMsAt(t: number): number {
    const last = this.arrivals.at(-1);
    return last ? last.inputMs + Math.min(t - last.t, this.lastFrameMs) : this.inputMsNow();
  }
}
