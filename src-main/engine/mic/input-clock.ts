import { roundMs } from '../../shared/stats';

/** Arrivals remembered (older ones are forgotten first): a few seconds of 20–32 ms frames. */
const MAX_ARRIVALS = 512;

/**
 * Maps the input clock (ms of microphone audio received) onto engine time and back, from the
 * engine time at which each frame arrived. Windows are analysed after they arrive (the VAD queue),
 * so an event found in a window is placed at the engine time its audio came in, not when the
 * analysis reached it.
 */
export class InputClock {
  private readonly arrivals: Array<{ inputMs: number; t: number }> = [];

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

  /** Input-clock time of engine time `t` (extrapolated from the latest arrival). */
  inputMsAt(t: number): number {
    const last = this.arrivals.at(-1);
    return last ? last.inputMs + (t - last.t) : this.inputMsNow();
  }
}
