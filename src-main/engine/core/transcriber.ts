import type { EngineConfig } from '../../shared/config';
import type { EngineEvent } from '../../shared/events';
import type { SpeechStages } from '../stages/contracts';
import type { ThreadPlan } from '../stages/threads';

/** After a partial transcription the STT stays free for this many times its duration (partials use at most a third of it). */
const PARTIAL_IDLE_FACTOR = 2;

interface Segment {
  audio: Float32Array;
  text?: Promise<string>;
}

/** What the transcriber needs to know of the engine around it. */
export interface TranscriberContext {
  stages(): SpeechStages;
  config(): EngineConfig;
  threads(): ThreadPlan;
  now(): number;
  emit(event: EngineEvent): void;
  /** The turn is still being heard (a partial for a finished turn is dropped). */
  isHearing(turn: number): boolean;
  /** An answer is generating: the cores are contended. */
  generating(): boolean;
  /** Some answer exists (speculative or live): no prefill then. */
  answering(): boolean;
  muted(): boolean;
}

/**
 * The STT side of a turn: the segments of each turn's speech and their transcriptions, the partial
 * transcriptions while the user speaks, and the LLM prefill they feed. A segment's text is a
 * promise started once; the answer joins the texts of its turn's segments.
 */
export class Transcriber {
  private readonly segments = new Map<number, Segment[]>();
  private runs = 0;
  /** Engine time before which no partial transcription starts (see `partial`). */
  private nextPartialAt = 0;
  /** Stops the LLM prefill on a partial transcript (any answer, barge-in, mute, mode change or new turn). */
  private prefillRun: AbortController | undefined;

  constructor(private readonly context: TranscriberContext) {}

  /** A piece of the turn's speech to transcribe (at the latest when an answer claims it). */
  addSegment(turn: number, audio: Float32Array): void {
    const segments = this.segments.get(turn) ?? [];
    segments.push({ audio });
    this.segments.set(turn, segments);
  }

  /** Segments no answer claimed (utterance windows, the speculative cut) are transcribed now. */
  transcribeUnclaimed(): void {
    for (const segments of this.segments.values()) {
      for (const segment of segments) segment.text ??= this.transcribe(segment.audio).catch(() => '');
    }
  }

  /**
   * The words of the turn so far, for its answer. A speculative answer's segments run on their own
   * (they are kept if the answer is discarded); otherwise `signal` stops the tail's transcription
   * with the answer.
   */
  textOf(turn: number, speculative: boolean, signal: AbortSignal): () => Promise<string> {
    const segments = [...(this.segments.get(turn) ?? [])];
    for (const segment of segments) {
      segment.text ??= this.transcribe(segment.audio, speculative ? undefined : signal).catch(() => {
        // Stopped with its answer: that is no result. If the turn goes on (the user continued
        // before the answer was heard), the segment is transcribed again for the next answer.
        if (signal.aborted) segment.text = undefined;
        return '';
      });
    }
    return async () => {
      const texts = await Promise.all(segments.map((s) => s.text ?? Promise.resolve('')));
      return texts.filter(Boolean).join(' ');
    };
  }

  /** The turn is over or abandoned. */
  forget(turn: number): void {
    this.segments.delete(turn);
  }

  /** A partial transcription of the turn's speech so far (`audio`: since the last segment). */
  partial(turn: number, audio: Float32Array): void {
    if (this.runs > 0) return; // a partial never queues behind another transcription
    // Partials re-transcribe the growing utterance; with base.en-sized models on a few cores each
    // pass is long, and the final transcription at the pause would wait behind one. Keep partials
    // to a bounded share of the STT's time, so at a pause one is rarely running.
    const started = this.context.now();
    if (started < this.nextPartialAt) return;
    const earlier = (this.segments.get(turn) ?? []).map((s) => s.text ?? Promise.resolve(''));
    void this.transcribe(audio, undefined, true)
      .finally(() => {
        const ended = this.context.now();
        this.nextPartialAt = ended + PARTIAL_IDLE_FACTOR * (ended - started);
      })
      .then(async (tail) => {
        const text = [...(await Promise.all(earlier)), tail].filter(Boolean).join(' ');
        if (!text || !this.context.isHearing(turn)) return;
        this.context.emit({ type: 'stt_partial', turn, t: this.context.now(), text });
        this.prefill(text);
      })
      .catch(() => undefined);
  }

  /** Stops the prefill in progress (an answer starts or stops, the input resets, a new turn starts). */
  stopPrefill(): void {
    this.prefillRun?.abort();
    this.prefillRun = undefined;
  }

  /**
   * Preemptive generation: the stable part of a partial transcript goes into the LLM's cache, so at
   * the end of the turn only the last words are new. Only when nothing else needs the cores: no
   * answer live, the STT idle, no TTS run going.
   */
  private prefill(partialText: string): void {
    const { llm, tts } = this.context.stages();
    const config = this.context.config();
    const text = stablePart(partialText);
    if (!llm.prefill || !text || !config.turn.prefill || config.turn.mode !== 'always-listening') return;
    if (this.context.answering() || this.runs > 0 || tts.busy === true || this.context.muted()) return;
    this.stopPrefill();
    const run = new AbortController();
    this.prefillRun = run;
    void llm.prefill(text, { signal: run.signal }).catch(() => undefined);
  }

  private async transcribe(audio: Float32Array, signal?: AbortSignal, partial = false): Promise<string> {
    const { stt, tts } = this.context.stages();
    this.runs++;
    // ggml's threads spin-wait: with the cores already busy (an answer generating, or a TTS run
    // that outlives its cancelled answer) a multi-threaded transcription slows down many times.
    const contended = tts.busy === true || this.context.generating();
    const threads = contended ? Math.max(1, Math.floor(this.context.threads().stt / 2)) : undefined;
    try {
      return (await stt.transcribe(audio, { signal, partial, threads })).text.trim();
    } finally {
      this.runs--;
    }
  }
}

/** The partial transcript without its last word (the word Whisper most often revises as more audio comes). */
export function stablePart(text: string): string {
  const words = text.trim().split(/\s+/);
  return words.length < 2 ? '' : words.slice(0, -1).join(' ');
}
