import { availableParallelism } from 'node:os';
import type { EngineConfig } from './config';

export interface ThreadPlan {
  vad: number;
  stt: number;
  llm: number;
  tts: number;
}

/**
 * Threads per stage for a machine with `cores` logical cores. STT runs while nothing else heavy
 * does (the user is speaking), so it gets the machine; LLM decoding and TTS synthesis overlap while
 * an answer streams, so they split it. Oversubscribing is the failure to avoid: on a 2-core VM
 * node-llama-cpp's default thread count made a 260K-parameter model take hundreds of ms per token.
 */
export function planThreads(cores: number = availableParallelism()): ThreadPlan {
  const n = Math.max(1, Math.floor(cores));
  const tts = Math.max(1, Math.floor(n / 4));
  return {
    vad: 1,
    stt: Math.min(n, 8),
    llm: Math.max(1, Math.min(n - tts, 8)),
    tts,
  };
}

/** The config's explicit thread counts win; unset ones come from the plan. */
export function resolveThreads(config: EngineConfig, cores?: number): ThreadPlan {
  const plan = planThreads(cores);
  return {
    vad: config.vad.threads,
    stt: config.stt.threads ?? plan.stt,
    llm: config.llm.threads ?? plan.llm,
    tts: config.tts.threads ?? plan.tts,
  };
}
