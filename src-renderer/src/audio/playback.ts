import playbackWorkletUrl from './playback-worklet.ts?worker&url';
import type { PlaybackNotice } from '../../../src-main/shared/playback-ring';
import { StreamingResampler } from './resample';
import { createEchoLoopback, isAutoplayRefusal, type EchoLoopback } from './echo-loopback';

/** The engine's output rate (Kokoro). */
export const PLAYBACK_SAMPLE_RATE = 24000;

export interface PlayerOptions {
  outputDeviceId?: string;
  /** First sample of `turn` went to the output. */
  onStarted(turn: number): void;
  /** Last sample of `unit` went to the output: it counts as spoken. */
  onUnitPlayed(turn: number, unit: number): void;
  /** Whether audio can be heard changed (`blocked`), e.g. after the first click. */
  onStateChange?(): void;
  /** Use the WebRTC loopback so the mic's echo canceller sees the reply (default true). */
  echoLoopback?: boolean;
}

/** Longest a resume waits: without a user gesture the browser may leave the promise pending. */
const RESUME_WAIT_MS = 1500;

/** Reply audio player: AudioWorklet ring buffer at 24 kHz, flushed at once on barge-in. */
export class Player {
  /** Turns whose audio must not play any more (late chunks after a cancel are dropped). */
  private readonly stoppedTurns = new Set<number>();

  private constructor(
    private readonly context: AudioContext,
    private readonly node: AudioWorkletNode,
    private loopback: EchoLoopback | undefined,
    /** `echo-loopback`: the echo canceller hears the reply; `direct`: it does not (see routeProblem). */
    readonly route: 'echo-loopback' | 'direct',
    /** Why the echo-cancelling route could not be used (direct route only). */
    readonly routeProblem: string | undefined,
  ) {}

  static async create(options: PlayerOptions): Promise<Player> {
    const context = new AudioContext({ sampleRate: PLAYBACK_SAMPLE_RATE, latencyHint: 'interactive' });
    await context.audioWorklet.addModule(playbackWorkletUrl);
    const node = new AudioWorkletNode(context, 'murmur-playback', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    node.port.onmessage = (m: MessageEvent) => {
      for (const notice of m.data as PlaybackNotice[]) {
        if (notice.type === 'started') options.onStarted(notice.turn);
        else if (notice.type === 'unit_done') options.onUnitPlayed(notice.turn, notice.unit);
        else console.warn(`[murmur] playback buffer full: dropped ${notice.dropped} samples`);
      }
    };

    let loopback: EchoLoopback | undefined;
    let problem: string | undefined;
    if (options.echoLoopback !== false) {
      const destination = context.createMediaStreamDestination();
      node.connect(destination);
      try {
        loopback = await createEchoLoopback(destination.stream);
        // Refused until the first user gesture: the route stays, resume() starts it.
        await loopback.start().catch((err: unknown) => {
          if (!isAutoplayRefusal(err)) throw err;
        });
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
        console.warn('[murmur] echo-cancelling playback route unavailable, playing directly:', err);
        loopback?.close();
        loopback = undefined;
        node.disconnect();
      }
    } else {
      problem = 'turned off';
    }
    if (!loopback) node.connect(context.destination);
    const player = new Player(context, node, loopback, loopback ? 'echo-loopback' : 'direct', problem);
    context.onstatechange = () => options.onStateChange?.();
    if (loopback) {
      loopback.element.onplaying = () => options.onStateChange?.();
      loopback.element.onpause = () => options.onStateChange?.();
    }
    if (options.outputDeviceId) await player.setOutputDevice(options.outputDeviceId).catch(() => undefined);
    return player;
  }

  /** True while the browser holds the output back (suspended context or a refused play()). */
  get blocked(): boolean {
    return this.context.state !== 'running' || (this.loopback?.paused ?? false);
  }

  /** Starts output after a user gesture; never waits long for a browser that still refuses. */
  async resume(): Promise<void> {
    const tasks: Promise<unknown>[] = [];
    if (this.context.state === 'suspended') tasks.push(this.context.resume());
    if (this.loopback?.paused) tasks.push(this.loopback.start());
    if (tasks.length === 0) return;
    await Promise.race([Promise.allSettled(tasks), new Promise((r) => setTimeout(r, RESUME_WAIT_MS))]);
  }

  play(turn: number, unit: number, samples: Float32Array, sampleRate: number): void {
    if (this.stoppedTurns.has(turn)) return;
    const pcm = sampleRate === this.context.sampleRate ? samples : new StreamingResampler(sampleRate, this.context.sampleRate).process(samples);
    const copy = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength ? pcm : pcm.slice();
    this.node.port.postMessage({ type: 'push', turn, unit, samples: copy }, [copy.buffer]);
  }

  /** Stop now: drop queued audio, and any audio still to come for `turn`. */
  stop(turn?: number): void {
    if (turn !== undefined) this.stoppedTurns.add(turn);
    this.node.port.postMessage({ type: 'flush' });
  }

  /** A false interruption: the turn's audio is played again (the engine re-sends its unplayed units). */
  resumeTurn(turn: number): void {
    this.stoppedTurns.delete(turn);
  }

  async setOutputDevice(deviceId: string): Promise<void> {
    if (this.loopback) return this.loopback.setOutputDevice(deviceId);
    const ctx = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (ctx.setSinkId) await ctx.setSinkId(deviceId);
  }

  async dispose(): Promise<void> {
    this.node.port.onmessage = null;
    this.context.onstatechange = null;
    this.node.disconnect();
    this.loopback?.close();
    this.loopback = undefined;
    if (this.context.state !== 'closed') await this.context.close();
  }
}
