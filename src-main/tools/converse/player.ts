import { resample } from '../../audio/wav';
import { INPUT_SAMPLE_RATE } from '../../shared/config';
import { PlaybackRing, type PlaybackNotice } from '../../shared/playback-ring';

/**
 * The app's player as the scenario runner hears it: the renderer's own ring buffer
 * (`PlaybackRing`, the same class its AudioWorklet runs), fed the engine's `audio` events and
 * rendered in real time block by block. It reports what the app's player reports, when it would:
 * `started` when a turn's first sample is output, `unit_done` when a unit's last sample is. It
 * runs at the microphone's rate, so what it renders is what the room sends back.
 *
 * Stopping follows the renderer's controller: `barge_in` and `cancelled` flush the ring and drop
 * later audio of that turn; `answer_resumed` lets it play again (the engine re-sends its units).
 */
export class ScenarioPlayer {
  private readonly ring = new PlaybackRing(INPUT_SAMPLE_RATE * 600);
  private readonly stoppedTurns = new Set<number>();
  /** The turn whose audio the last rendered sample belonged to. */
  private currentTurn: number | undefined;

  play(turn: number, unit: number, samples: Float32Array, sampleRate: number): void {
    if (this.stoppedTurns.has(turn)) return;
    this.ring.push(turn, unit, sampleRate === INPUT_SAMPLE_RATE ? samples : resample(samples, sampleRate, INPUT_SAMPLE_RATE));
  }

  stop(turn?: number): void {
    if (turn !== undefined) this.stoppedTurns.add(turn);
    this.ring.flush();
  }

  resumeTurn(turn: number): void {
    this.stoppedTurns.delete(turn);
  }

  /** Samples queued and not yet output. */
  get buffered(): number {
    return this.ring.buffered;
  }

  /** Renders one block; `audible` = how many of its first samples are the answer's audio (the rest is silence). */
  render(block: Float32Array): { notices: PlaybackNotice[]; audible: number; turn: number | undefined } {
    const audible = Math.min(this.ring.buffered, block.length);
    const notices = this.ring.render(block);
    for (const notice of notices) if (notice.type === 'started') this.currentTurn = notice.turn;
    return { notices, audible, turn: audible > 0 ? this.currentTurn : undefined };
  }
}
