import type { EngineConfig } from '../../shared/config';
import type { EngineEvent } from '../../shared/events';
import type { VadStage } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';
import { AudioInput } from './audio-input';
import { InputClock } from './input-clock';
import { LevelMeter } from './level-meter';
import { MicPath, type HeardWindow } from './mic-path';
import { PushToTalkMarks, type PushToTalkMark } from './push-to-talk';

/** What the listener needs of the engine around it. */
export interface MicListenerContext {
  /** Engine time now. */
  now(): number;
  emit(event: EngineEvent): void;
  /** The VAD stage (undefined before the engine is loaded). */
  vad(): VadStage | undefined;
  /** Whether what the mic hears now is analysed (not muted; in push-to-talk, the key is down). */
  wantsAudio(keyDown: boolean): boolean;
  muted(): boolean;
  /** One analysed window: `t` is the engine time its audio arrived; `timeOf` maps other input-clock points. */
  heard(window: HeardWindow, t: number, timeOf: (inputMs: number) => number): void;
  /** A push-to-talk press or release, applied in order with the audio around it. */
  pushToTalk(mark: PushToTalkMark): void;
}

/**
 * The microphone side of the engine: frames in (bounded queue), one window at a time through the
 * mic path (echo guard → VAD), each window placed on the engine clock, push-to-talk marks applied
 * between the windows they fall between, and the level meter. Windows are analysed one after the
 * other by a single pump; frames pushed meanwhile join the same run.
 */
export class MicListener {
  private readonly input: AudioInput;
  private readonly clock: InputClock;
  private readonly ptt = new PushToTalkMarks();
  private readonly meter = new LevelMeter();
  private micPath: MicPath;
  private pumpRun: Promise<void> | undefined;
  private pumping = false;
  private droppedFrames = 0;

  constructor(
    config: EngineConfig,
    private readonly context: MicListenerContext,
  ) {
    this.input = new AudioInput(config.audio);
    this.clock = new InputClock(() => this.input.clockMs, () => context.now());
    this.micPath = this.newMicPath(config);
  }

  /** The mic path (the echo reference goes to its guard). Rebuilt by `configureEcho`. */
  get path(): MicPath {
    return this.micPath;
  }

  /** Frames waiting for the VAD. */
  get backlog(): number {
    return this.input.queuedFrames;
  }

  /** Audio or push-to-talk marks are still waiting to be applied. */
  get busy(): boolean {
    return this.pumping || this.ptt.pending > 0 || this.input.queuedFrames > 0;
  }

  /** Input-clock time of engine time `t`. */
  inputMsAt(t: number): number {
    return this.clock.inputMsAt(t);
  }

  /** A frame from the microphone at engine time `t`. */
  push(samples: Float32Array, sampleRate: number, t: number): void {
    if (!this.context.wantsAudio(this.ptt.keyDown)) {
      // Muted, or push-to-talk with the key up: nothing is heard; the meter still runs unless muted.
      const level = this.context.muted() ? undefined : this.meter.ofFrame(samples, t);
      if (level) this.context.emit({ type: 'level', t, ...level });
      return;
    }
    const result = this.input.push(samples, sampleRate);
    if (!result.ok) {
      this.context.emit({ type: 'error', code: result.error.code, message: result.error.message, fatal: false });
      return;
    }
    this.clock.arrived(this.input.clockMs, t);
    if (result.dropped > 0) {
      this.droppedFrames += result.dropped;
      this.context.emit({ type: 'input_dropped', t, dropped: result.dropped, total: this.droppedFrames });
    }
    void this.pump();
  }

  /** The push-to-talk key at engine time `t`: placed after the audio received so far. */
  press(pressed: boolean, t: number): void {
    if (this.ptt.record(pressed, this.input.clockMs, t)) void this.pump();
  }

  /** The listening mode changed: the key is up and pending marks are dropped. */
  resetPushToTalk(): void {
    this.ptt.reset();
  }

  /** Drops queued audio and the VAD's state (mute, mode change). */
  clear(): void {
    this.input.clear();
    this.context.vad()?.reset();
  }

  /** The echo settings changed: a new mic path (the guard starts learning the room again). */
  configureEcho(config: EngineConfig): void {
    this.micPath = this.newMicPath(config);
  }

  private newMicPath(config: EngineConfig): MicPath {
    const probability = (window: Float32Array): Promise<number> => {
      const vad = this.context.vad();
      return vad ? vad.probability(window) : Promise.reject(new Error('the engine is not loaded'));
    };
    return new MicPath({ probability }, config);
  }

  /** Drains queued windows through the mic path; resolves when the queue is empty. */
  private pump(): Promise<void> {
    if (!this.pumping) {
      this.pumping = true;
      this.pumpRun = this.runPump();
    }
    return this.pumpRun ?? Promise.resolve();
  }

  private async runPump(): Promise<void> {
    try {
      if (!this.context.vad()) return;
      for (const window of this.input.drain()) {
        const heard = await this.micPath.hear(window.samples, window.endMs);
        this.applyPushToTalk(window.startMs);
        const t = this.clock.engineTime(heard.endMs);
        const level = this.meter.ofWindow(window, t);
        if (level) this.context.emit({ type: 'level', t, ...level });
        this.context.heard(heard, t, (inputMs) => this.clock.engineTime(inputMs));
      }
    } catch (error) {
      this.context.emit({ type: 'error', code: 'vad_failed', message: messageOf(error), fatal: false });
    } finally {
      // Synchronously with the queue running empty: a frame pushed from now on starts a new run,
      // and every press or release that came after the audio heard so far applies now.
      this.pumping = false;
      this.applyPushToTalk(Infinity);
    }
  }

  /** Applies the presses and releases that came before input-clock time `beforeMs`. */
  private applyPushToTalk(beforeMs: number): void {
    if (this.ptt.pending === 0) return; // every window passes here: no work when no key was touched
    for (const mark of this.ptt.takeUntil(beforeMs)) this.context.pushToTalk(mark);
  }
}
