/**
 * The engine's public face: what hosts (the worker process, the CLIs, the bench) use. The parts
 * behind it live in core/ (the engine and its turn logic), mic/ (the microphone path), text/
 * (token stream → speakable units), stages/ (the model stages) and host/ (the engine's process).
 */
export { VoiceEngine, type VoiceEngineOptions } from './core/voice-engine';
export type { EngineTimers } from './core/deadline-timer';
export type { StageLoaders } from './core/stage-reloader';
export type { UnitSplitter } from './core/speech-stream';
export { TtsCache } from './core/tts-cache';
export { ConversationJournal } from './core/journal';
export type { LlmStage, SpeechStages, Stage, SttStage, TtsStage, VadStage } from './stages/contracts';
export type { StageOwnership } from './stages/stage-set';
export { messageOf } from './stages/stage-kit';
export { createEngine, loadModelStages, resolveDefaultModelPaths, stageLoaders, MissingModelError, type ModelPaths } from './runtime';
