import type { StageBackend } from '../../../shared/events';
import type { KokoroTtsOptions } from './kokoro-tts';

/** What crosses between `ThreadedTts` (engine thread) and its synthesis thread. */
export type TtsThreadLoadOptions = Omit<KokoroTtsOptions, 'signal' | 'onFallback'>;

export type TtsThreadRequest =
  | { type: 'synthesize'; id: number; text: string; voice?: string; speed?: number }
  | { type: 'dispose'; id: number };

export interface TtsThreadError {
  name: string;
  message: string;
}

export type TtsThreadReply =
  | { type: 'ready'; backend: StageBackend }
  | { type: 'load_failed'; error: TtsThreadError }
  | { type: 'fallback'; message: string }
  | { type: 'audio'; id: number; audio: Float32Array }
  | { type: 'failed'; id: number; error: TtsThreadError }
  | { type: 'disposed'; id: number };
