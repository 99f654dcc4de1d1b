import type { VoiceEngine } from '../../engine/core/voice-engine';
import { INPUT_SAMPLE_RATE, type EngineConfig } from '../../shared/config';
import { endOfTurnRule, silenceThatEndsTurn } from '../../engine/core/end-of-turn';

export interface FeedOptions {
  /** Real-time pace (a microphone) or as fast as the engine takes it. */
  realtime: boolean;
  /** Samples per frame: 512 = 32 ms at 16 kHz. */
  frameSamples?: number;
  signal?: AbortSignal;
  /** Called after each frame is handed to the engine, with the engine time it was sent at. */
  onFrame?: (endSample: number, t: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Plays audio into the engine like a microphone would. Frames are copies (the engine may transfer them). */
export async function feedAudio(engine: VoiceEngine, samples: Float32Array, options: FeedOptions): Promise<void> {
  const frame = options.frameSamples ?? 512;
  const frameMs = (frame * 1000) / INPUT_SAMPLE_RATE;
  const start = performance.now();
  for (let offset = 0, i = 0; offset < samples.length; offset += frame, i++) {
    options.signal?.throwIfAborted();
    if (options.realtime) {
      // A frame is sent once all of its samples "have been spoken", as a capture device does.
      await sleep(start + (i + 1) * frameMs - performance.now());
    } else {
      while (engine.inputBacklog > 4) await sleep(1);
    }
    const end = Math.min(samples.length, offset + frame);
    // A microphone delivers whole frames: the last one is padded with silence, which also keeps
    // the next clip's frames aligned with the VAD's 32 ms windows.
    const chunk = new Float32Array(frame);
    chunk.set(samples.subarray(offset, end));
    engine.handle({ type: 'audio', sampleRate: INPUT_SAMPLE_RATE, samples: chunk });
    options.onFrame?.(end, engine.now());
  }
}

/**
 * A live microphone in a quiet room: silent frames in real time until `until()` holds or
 * `timeoutMs` passes. Keeps the engine's input clock running with the wall clock while it answers,
 * as a real capture device does (and the VAD and echo guard keep their per-frame cost).
 */
export async function feedSilence(engine: VoiceEngine, options: { until: () => boolean; timeoutMs: number; frameSamples?: number }): Promise<void> {
  const frame = options.frameSamples ?? 512;
  const frameMs = (frame * 1000) / INPUT_SAMPLE_RATE;
  const start = performance.now();
  // `until` is asked just before each frame is due, when the previous one has long been heard.
  for (let i = 0; performance.now() - start < options.timeoutMs; i++) {
    await sleep(start + (i + 1) * frameMs - performance.now());
    if (options.until()) return;
    engine.handle({ type: 'audio', sampleRate: INPUT_SAMPLE_RATE, samples: new Float32Array(frame) });
  }
}

/** Resolves once the engine has nothing heard or answered in flight (bounded by `timeoutMs`). */
export async function waitIdle(engine: VoiceEngine, timeoutMs: number, settleMs = 200): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let idleSince: number | undefined;
  while (performance.now() < deadline) {
    if (engine.busy) idleSince = undefined;
    else idleSince ??= performance.now();
    if (idleSince !== undefined && performance.now() - idleSince >= settleMs) return;
    await sleep(10);
  }
  throw new Error(`the engine was still busy after ${timeoutMs} ms`);
}

/**
 * Silence to feed after the last word of a file so its turn ends whatever the end-of-turn model
 * says (the longest silence the settings wait before ending a turn on silence alone, and a margin):
 * a microphone keeps sending silence, a file stops.
 */
export function silenceThatEndsAnyTurnMs(config: Pick<EngineConfig, 'turn' | 'vad'>): number {
  return silenceThatEndsTurn(endOfTurnRule(config, true)) + 300;
}
