/**
 * The engine's typed event stream: everything the engine does is observable as one of these.
 * Times (`t`) are milliseconds on the engine clock: monotonic, zero at the first input frame.
 * Tracing, the UI, the CLI and the benchmark are all observers of this stream.
 */

export type StageName = 'vad' | 'stt' | 'llm' | 'tts';

/** Names of the per-turn moments the latency trace records, in causal order. */
export const TRACE_MARKS = [
  'speech_start',
  'speech_end',
  'eot_confirmed',
  'stt_final',
  'llm_request',
  'llm_first_token',
  'first_unit_ready',
  'tts_first_audio',
  'playback_start',
  'llm_done',
  'tts_done',
  'turn_done',
] as const;
export type TraceMark = (typeof TRACE_MARKS)[number];

/** `standby`: loaded and warm, kept by the host to replace a crashed engine at once (never seen by a window). */
export type EngineState = 'idle' | 'loading' | 'warming' | 'standby' | 'ready' | 'error' | 'disposed';
export type TurnPhase = 'listening' | 'hearing' | 'thinking' | 'speaking' | 'muted';
export type ListenMode = 'push-to-talk' | 'always-listening';

export interface StageBackend {
  /** e.g. "cpu", "cuda", "vulkan", "metal". */
  device: string;
  /** Library and model, e.g. "whisper.cpp (smart-whisper) ggml-base.en.bin". */
  detail: string;
  threads?: number;
}

/**
 * What a `configure` changed, by dotted config path: applied live, applied by reloading a stage
 * (between turns), or only after a restart of the engine.
 */
export interface ConfigApplied {
  applied: string[];
  reloaded: StageName[];
  restartRequired: string[];
  /** Changes that could not be applied (a stage would not load with them): they keep their previous values. */
  rejected?: ConfigRejection[];
}

/** Dotted config paths whose change was refused and rolled back, and why. */
export interface ConfigRejection {
  paths: string[];
  reason: string;
}

interface TurnEvent {
  turn: number;
  t: number;
}

export type EngineEvent =
  | { type: 'state'; state: EngineState; detail?: string }
  | { type: 'backends'; backends: Record<StageName, StageBackend> }
  /** A `configure` was handled: what applied live, which stages reloaded, what needs a restart. */
  | ({ type: 'config_applied' } & ConfigApplied)
  | { type: 'phase'; phase: TurnPhase; mode: ListenMode; muted: boolean }
  | { type: 'level'; t: number; rms: number; peak: number }
  | { type: 'input_dropped'; t: number; dropped: number; total: number }
  | ({ type: 'speech_start' } & TurnEvent)
  /** A short pause inside the user's speech: the speculative path may start here. */
  | ({ type: 'speech_pause' } & TurnEvent)
  | ({ type: 'speech_resume' } & TurnEvent)
  /** `t` is the end of the last voiced frame. */
  | ({ type: 'speech_end' } & TurnEvent)
  | ({ type: 'eot_confirmed' } & TurnEvent)
  | ({ type: 'stt_partial'; text: string } & TurnEvent)
  | ({ type: 'stt_final'; text: string } & TurnEvent)
  | ({ type: 'llm_request' } & TurnEvent)
  | ({ type: 'llm_first_token' } & TurnEvent)
  | ({ type: 'llm_token'; text: string } & TurnEvent)
  | ({ type: 'llm_done'; text: string; tokens: number } & TurnEvent)
  | ({ type: 'unit_ready'; unit: number; text: string; first: boolean } & TurnEvent)
  | ({ type: 'first_unit_ready'; unit: number; text: string } & TurnEvent)
  | ({ type: 'tts_first_audio' } & TurnEvent)
  /** Reply audio, in order. `samples` is transferable. */
  | ({ type: 'audio'; unit: number; sampleRate: number; samples: Float32Array } & TurnEvent)
  | ({ type: 'tts_done' } & TurnEvent)
  | ({ type: 'playback_start' } & TurnEvent)
  | ({ type: 'unit_played'; unit: number } & TurnEvent)
  /** `onset` = start of the user's voiced audio that triggered it. */
  | ({ type: 'barge_in'; onset?: number } & TurnEvent)
  | ({ type: 'cancelled'; reason: string } & TurnEvent)
  /**
   * The answer started for this turn was thrown away because the user went on speaking: at a
   * pause (a speculative answer), or after the end of the turn before any of it was heard. The
   * turn continues; its answer starts over with all of its words.
   */
  | ({ type: 'speculation_discarded' } & TurnEvent)
  /** The end-of-turn model heard the turn at a pause: its probability that the turn is complete, and the call's ms. */
  | ({ type: 'turn_verdict'; probability: number; complete: boolean; ms: number } & TurnEvent)
  /**
   * Barge-in stopped the answer's playback (the player flushes at `barge_in`), but the answer is
   * kept until the interrupting speech proves to be words: it is then cancelled, or resumed.
   */
  | ({ type: 'answer_paused' } & TurnEvent)
  /** A false interruption (no words): playback resumes from `fromUnit`, whose audio is sent again. */
  | ({ type: 'answer_resumed'; fromUnit: number } & TurnEvent)
  /** A turn being heard was dropped without an answer (mute, mode change, typed input). */
  | ({ type: 'turn_abandoned'; reason: string } & TurnEvent)
  | ({
      type: 'turn_done';
      user: string;
      assistant: string;
      interrupted: boolean;
    } & TurnEvent)
  | { type: 'trace'; trace: TurnTrace }
  | { type: 'history'; turns: ConversationTurn[] }
  | { type: 'error'; code: string; message: string; turn?: number; fatal: boolean };

export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;

/** One exchange as the LLM's history keeps it. */
export interface ChatTurn {
  user: string;
  /** What the assistant actually said (for an interrupted turn: up to where it was cut off). */
  assistant: string;
  interrupted: boolean;
}

/** One exchange as the journal and the window keep it. */
export interface ConversationTurn extends ChatTurn {
  turn: number;
  /** Wall-clock time the turn ended (ms since epoch). */
  at: number;
  trace?: TurnTrace;
}

export interface TurnTrace {
  turn: number;
  /** First occurrence of each mark (engine clock ms). */
  marks: Partial<Record<TraceMark | 'barge_in' | 'cancelled' | 'answer_paused' | 'answer_resumed', number>>;
  /** Every partial transcript time. */
  partials: number[];
  /** The end-of-turn model's verdicts at the turn's pauses (t = when each came back). */
  verdicts?: TurnVerdict[];
  user: string;
  assistant: string;
  interrupted: boolean;
  /** Derived durations, ms (undefined where a mark is missing). */
  durations: TurnDurations;
}

export interface TurnVerdict {
  t: number;
  probability: number;
  complete: boolean;
  /** Features + inference. */
  ms: number;
}

export interface TurnDurations {
  /** speech_end → playback_start (or tts_first_audio when nothing reports playback). */
  voiceToVoice?: number;
  endOfTurnWait?: number;
  stt?: number;
  llmFirstToken?: number;
  firstUnit?: number;
  ttsFirstAudio?: number;
  playbackStart?: number;
}
