import type { ChatTurn, StageBackend, StageName } from '../../shared/events';

/**
 * The contract of each model stage: what the engine needs, nothing more. The stage classes
 * (`SileroVad`, `WhisperStt`, `LlamaChat`, `KokoroTts`) implement these; tests use fakes of them.
 * Every call that does work takes an AbortSignal and rejects with an AbortError when it fires.
 */
export interface Stage {
  readonly backend: StageBackend;
  warm(): Promise<void>;
  dispose(): Promise<void>;
}

export interface VadStage extends Stage {
  probability(window: Float32Array, options?: { signal?: AbortSignal }): Promise<number>;
  reset(): void;
}

export interface SttStage extends Stage {
  transcribe(audio: Float32Array, options: { signal?: AbortSignal; partial?: boolean; threads?: number }): Promise<{ text: string }>;
}

export interface LlmStage extends Stage {
  respond(
    userText: string,
    options: { signal?: AbortSignal; onToken?: (text: string) => void },
  ): Promise<{ text: string; tokens: number; aborted: boolean }>;
  commit(user: string, assistantSpoken: string, interrupted: boolean): void | Promise<void>;
  restore(turns: ReadonlyArray<ChatTurn>): void | Promise<void>;
  clear(): void | Promise<void>;
  /**
   * Evaluates the history and the user's words so far into the cache (discard-safe: a newer
   * prefill or `respond` supersedes it). Optional: stages without it are never prefilled.
   */
  prefill?(partialUserText: string, options: { signal?: AbortSignal }): Promise<unknown>;
  /** Replaces the system prompt live (the next answer uses it; the history is kept). */
  setSystemPrompt(text: string): void | Promise<void>;
  /**
   * Pauses generation between tokens until the returned release is called (the first unit's
   * synthesis gets the cores). Optional: stages without it keep generating.
   */
  hold?(): () => void;
}

export interface TtsStage extends Stage {
  /** An inference is running (possibly one that was abandoned: ONNX runs cannot be interrupted). */
  readonly busy?: boolean;
  synthesize(text: string, options: { signal?: AbortSignal; voice?: string; speed?: number }): Promise<Float32Array>;
}

/** The end-of-turn model (Smart Turn): has the user finished their turn, judged from its audio? */
export interface TurnStage extends Stage {
  /**
   * `audio`: the turn so far at 16 kHz (the model hears at most its last 8 s). Resolves with the
   * probability that the turn is complete and the ms the call took (features + inference).
   */
  classify(audio: Float32Array, options?: { signal?: AbortSignal }): Promise<{ probability: number; ms: number }>;
}

export interface SpeechStages {
  vad: VadStage;
  stt: SttStage;
  llm: LlmStage;
  tts: TtsStage;
  /** Optional: without it the end of a turn is decided by silence alone. */
  turn?: TurnStage;
}

export const STAGE_NAMES: readonly StageName[] = ['vad', 'stt', 'llm', 'tts'];
