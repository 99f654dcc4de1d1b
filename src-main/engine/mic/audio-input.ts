import type { EngineConfig } from '../../shared/config';
import { VAD_WINDOW_SAMPLES } from '../../shared/config';

/**
 * Microphone input: validates frames, sanitizes samples, queues them in a bounded queue that drops
 * the OLDEST frames under overload (counted), and re-frames the stream into exact 512-sample
 * windows for the VAD, each stamped with its position on the input clock.
 *
 * The clock counts every accepted sample, dropped ones included, so window times stay the times of
 * the user's real audio. A drop therefore leaves a gap: the partly filled window before the gap is
 * discarded and re-framing restarts at the next frame's own position.
 */

export type AudioInputErrorCode = 'not_float32' | 'wrong_sample_rate' | 'empty_frame' | 'frame_too_long';

export interface AudioInputError {
  code: AudioInputErrorCode;
  message: string;
}

export type AudioPushResult =
  | {
      ok: true;
      /** NaN/Inf samples replaced by 0 in this frame. */
      nonFinite: number;
      /** Samples outside [-1, 1] clamped in this frame. */
      clamped: number;
      /** Frames dropped from the queue's head to make room for this one (0 or 1). */
      dropped: number;
    }
  | { ok: false; error: AudioInputError };

export interface VadWindow {
  /** Exactly VAD_WINDOW_SAMPLES samples, 16 kHz mono, in [-1, 1]. */
  samples: Float32Array;
  /** Position on the input clock (ms since the first accepted sample). */
  startMs: number;
  endMs: number;
  /** Level meter values of this window (linear, 0..1). */
  rms: number;
  peak: number;
}

export interface AudioInputStats {
  framesAccepted: number;
  framesRejected: number;
  framesDropped: number;
  samplesDropped: number;
  nonFiniteSamples: number;
  clampedSamples: number;
  windowsEmitted: number;
  /** Samples of partly filled windows thrown away at a gap left by dropped frames. */
  samplesDiscardedAtGaps: number;
}

interface QueuedFrame {
  samples: Float32Array;
  /** Index of the first sample on the input clock. */
  startSample: number;
}

export class AudioInput {
  readonly sampleRate: number;
  readonly maxFrameSamples: number;
  readonly queueCapacity: number;
  readonly windowSamples = VAD_WINDOW_SAMPLES;

  /** Ring of queued frames (fixed capacity, drop-oldest). */
  private readonly ring: (QueuedFrame | undefined)[];
  private head = 0;
  private count = 0;
  private clockSamples = 0;

  private readonly window = new Float32Array(VAD_WINDOW_SAMPLES);
  private windowFill = 0;
  /** Input-clock sample index where the window being filled starts. */
  private windowStart = 0;

  private readonly counters: AudioInputStats = {
    framesAccepted: 0,
    framesRejected: 0,
    framesDropped: 0,
    samplesDropped: 0,
    nonFiniteSamples: 0,
    clampedSamples: 0,
    windowsEmitted: 0,
    samplesDiscardedAtGaps: 0,
  };

  constructor(config: EngineConfig['audio']) {
    this.sampleRate = config.sampleRate;
    this.maxFrameSamples = config.maxFrameSamples;
    this.queueCapacity = config.inputQueueFrames;
    this.ring = new Array<QueuedFrame | undefined>(this.queueCapacity).fill(undefined);
  }

  /**
   * Validates and enqueues one frame (copied). Never throws for bad input: it returns a typed
   * error instead, so a misbehaving capture device cannot crash the engine.
   */
  push(samples: Float32Array, sampleRate: number): AudioPushResult {
    const error = this.validate(samples, sampleRate);
    if (error) {
      this.counters.framesRejected++;
      return { ok: false, error };
    }
    const copy = new Float32Array(samples.length);
    let nonFinite = 0;
    let clamped = 0;
    for (let i = 0; i < samples.length; i++) {
      let v = samples[i] ?? 0;
      if (!Number.isFinite(v)) {
        v = 0;
        nonFinite++;
      } else if (v > 1 || v < -1) {
        v = v > 1 ? 1 : -1;
        clamped++;
      }
      copy[i] = v;
    }
    let dropped = 0;
    if (this.count === this.queueCapacity) {
      const oldest = this.ring[this.head];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.queueCapacity;
      this.count--;
      dropped = 1;
      this.counters.framesDropped++;
      this.counters.samplesDropped += oldest?.samples.length ?? 0;
    }
    this.ring[(this.head + this.count) % this.queueCapacity] = { samples: copy, startSample: this.clockSamples };
    this.count++;
    this.clockSamples += copy.length;
    this.counters.framesAccepted++;
    this.counters.nonFiniteSamples += nonFinite;
    this.counters.clampedSamples += clamped;
    return { ok: true, nonFinite, clamped, dropped };
  }

  /**
   * Yields every complete 512-sample window available now. Lazy: frames pushed while the consumer
   * awaits between iterations are picked up by the same iteration. The leftover (< 512 samples)
   * stays for the next call.
   */
  *drain(): Generator<VadWindow, void, undefined> {
    while (true) {
      const frame = this.shift();
      if (!frame) return;
      const expected = this.windowStart + this.windowFill;
      if (frame.startSample !== expected) {
        this.counters.samplesDiscardedAtGaps += this.windowFill;
        this.windowFill = 0;
        this.windowStart = frame.startSample;
      }
      let offset = 0;
      while (offset < frame.samples.length) {
        const take = Math.min(VAD_WINDOW_SAMPLES - this.windowFill, frame.samples.length - offset);
        this.window.set(frame.samples.subarray(offset, offset + take), this.windowFill);
        this.windowFill += take;
        offset += take;
        if (this.windowFill === VAD_WINDOW_SAMPLES) {
          const out = this.emitWindow();
          this.windowStart += VAD_WINDOW_SAMPLES;
          this.windowFill = 0;
          yield out;
        }
      }
    }
  }

  /** Frames waiting in the queue. */
  get queuedFrames(): number {
    return this.count;
  }

  /** Samples waiting in the partly filled window. */
  get pendingWindowSamples(): number {
    return this.windowFill;
  }

  /** Input clock: ms of audio accepted so far (including dropped frames). */
  get clockMs(): number {
    return (this.clockSamples * 1000) / this.sampleRate;
  }

  stats(): AudioInputStats {
    return { ...this.counters };
  }

  /** Empties the queue and the partial window; the clock keeps running (it is the engine clock). */
  clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.windowFill = 0;
    this.windowStart = this.clockSamples;
  }

  private shift(): QueuedFrame | undefined {
    if (this.count === 0) return undefined;
    const frame = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.queueCapacity;
    this.count--;
    return frame;
  }

  private emitWindow(): VadWindow {
    const samples = this.window.slice();
    this.counters.windowsEmitted++;
    return {
      samples,
      startMs: (this.windowStart * 1000) / this.sampleRate,
      endMs: ((this.windowStart + VAD_WINDOW_SAMPLES) * 1000) / this.sampleRate,
      ...levelOf(samples),
    };
  }

  private validate(samples: unknown, sampleRate: number): AudioInputError | undefined {
    if (!(samples instanceof Float32Array)) {
      return { code: 'not_float32', message: 'audio frame must be a Float32Array of mono samples in [-1, 1]' };
    }
    if (sampleRate !== this.sampleRate) {
      return {
        code: 'wrong_sample_rate',
        message: `audio frame at ${sampleRate} Hz rejected: the engine takes ${this.sampleRate} Hz mono; resample before sending`,
      };
    }
    if (samples.length === 0) return { code: 'empty_frame', message: 'empty audio frame rejected (0 samples)' };
    if (samples.length > this.maxFrameSamples) {
      return {
        code: 'frame_too_long',
        message: `audio frame of ${samples.length} samples rejected: at most ${this.maxFrameSamples} per frame (send 20–32 ms frames)`,
      };
    }
    return undefined;
  }
}

/** RMS and peak of a block of samples (non-finite samples count as silence). */
export function levelOf(samples: Float32Array): { rms: number; peak: number } {
  let sumSquares = 0;
  let peak = 0;
  for (const v of samples) {
    const a = Number.isFinite(v) ? Math.abs(v) : 0;
    sumSquares += a * a;
    if (a > peak) peak = a;
  }
  return { rms: samples.length === 0 ? 0 : Math.sqrt(sumSquares / samples.length), peak };
}
