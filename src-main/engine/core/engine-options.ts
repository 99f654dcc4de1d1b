import type { EngineConfig } from '../../shared/config';
import type { StageOwnership } from '../stages/stage-set';
import type { EngineTimers } from './deadline-timer';
import type { ConversationJournal } from './journal';
import type { UnitSplitter } from './speech-stream';
import type { StageLoaders } from './stage-reloader';
import type { TtsCache } from './tts-cache';

/** What a VoiceEngine is made with (see voice-engine.ts). */
export interface VoiceEngineOptions {
  config: EngineConfig;
  /** The conversation journal; the host that opened it owns it. */
  journal?: ConversationJournal;
  /** Monotonic clock in ms (tests may inject one). */
  clock?: () => number;
  timers?: EngineTimers;
  /** Without them, a `configure` that needs a stage reloaded reports "restart required" instead. */
  reloadStages?: Partial<StageLoaders>;
  /** Who disposes the stages given to `load` (default: the engine). Stages it reloads are always its own. */
  stageOwnership?: StageOwnership;
  /** Cache of synthesized units (shared by the engine's answers). */
  ttsCache?: TtsCache;
  /** How answers cut their token stream into units (default: the chunker; the bench's peer baseline brings its own). */
  createUnitSplitter?: () => UnitSplitter;
}
