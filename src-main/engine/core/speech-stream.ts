import { cleanForSpeech, SpeechChunker } from '../text/chunker';
import type { EngineConfig } from '../../shared/config';
import { throwIfAborted } from '../stages/stage-kit';
import type { TtsStage } from '../stages/contracts';
import type { TtsCache } from './tts-cache';

/** Token stream → speakable units (`SpeechChunker` is the engine's own; the bench's peer baseline brings another). */
export interface UnitSplitter {
  push(tokenText: string): string[];
  flush(): string[];
}

export interface SpeechStreamOptions {
  tts: TtsStage;
  chunker: EngineConfig['chunker'];
  /** Replaces the engine's chunker (the benchmark's peer policy). */
  splitter?: UnitSplitter;
  /** Read at each unit, so a voice or speed change applies from the next unit. */
  voice: () => { voice: string; speed: number };
  signal: AbortSignal;
  cache?: TtsCache;
  /**
   * Pauses the LLM while the first unit is synthesized (returns the release): that synthesis is
   * the critical path to first audio, and on a few cores a generation running beside it slows it
   * down several times; the next units' text can wait for the first unit's playback.
   */
  holdGeneration?: () => () => void;
  /** A unit of text was cut (before its synthesis starts). */
  onUnit: (unit: number, text: string) => void;
  /** A unit's audio, in unit order. */
  onAudio: (unit: number, text: string, samples: Float32Array) => void;
}

/**
 * Text in, speech out, in order: LLM tokens flow through the chunker into clause/sentence units;
 * each unit is synthesized (or taken from the cache) one at a time, in order, while the LLM keeps
 * writing. Everything stops at the signal.
 */
export class SpeechStream {
  private readonly chunker: UnitSplitter;
  private speaking: Promise<void> = Promise.resolve();
  private units = 0;
  /** While set, no new synthesis starts (the one running finishes): resolves on `resume`. */
  private pausedUntil: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(private readonly options: SpeechStreamOptions) {
    this.chunker = options.splitter ?? new SpeechChunker(options.chunker);
  }

  /** Streaming: a token of the reply. */
  push(token: string): void {
    for (const unit of this.chunker.push(token)) this.speak(unit);
  }

  /** The reply is complete: speak what the chunker still holds. */
  end(): void {
    for (const unit of this.chunker.flush()) this.speak(unit);
  }

  /** Sequential pipeline: the whole reply as one unit. */
  speakWhole(text: string): void {
    const whole = cleanForSpeech(text);
    if (whole) this.speak(whole);
  }

  /**
   * Barge-in: the answer may be resumed, but until then the cores belong to the interrupting
   * speech. No new unit starts synthesizing (one already running finishes: an ONNX run cannot be
   * stopped); `resume` lets them go on. An abort ends the wait.
   */
  pause(): void {
    if (this.pausedUntil) return;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.pausedUntil = { promise, resolve };
    this.options.signal.addEventListener('abort', () => this.resume(), { once: true });
  }

  resume(): void {
    const paused = this.pausedUntil;
    this.pausedUntil = undefined;
    paused?.resolve();
  }

  /** Resolves when every unit so far is synthesized; rejects with the first failure. */
  finished(): Promise<void> {
    return this.speaking;
  }

  private speak(text: string): void {
    const unit = this.units++;
    const { signal, tts, cache } = this.options;
    this.options.onUnit(unit, text);
    this.speaking = this.speaking.then(async () => {
      while (this.pausedUntil) await this.pausedUntil.promise;
      throwIfAborted(signal, 'speech');
      const { voice, speed } = this.options.voice();
      let samples = cache?.get(text, voice, speed);
      if (!samples) {
        const release = unit === 0 ? this.options.holdGeneration?.() : undefined;
        try {
          samples = await tts.synthesize(text, { signal, voice, speed });
        } finally {
          release?.();
        }
        cache?.set(text, voice, speed, samples);
      }
      throwIfAborted(signal, 'speech');
      this.options.onAudio(unit, text, samples);
    });
    // A failed unit must not leave an unhandled rejection; it surfaces through finished().
    this.speaking.catch(() => undefined);
  }
}
