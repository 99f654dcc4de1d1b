import { availableParallelism } from 'node:os';
import type { EngineConfig } from '../../shared/config';

export interface ThreadPlan {
  vad: number;
  stt: number;
  llm: number;
  tts: number;
}

/**
 * Threads per stage for a machine with `cores` logical cores. STT runs while nothing else heavy
 * does (the user is speaking), so it gets the machine. While an answer streams, the first TTS unit
 * is on the critical path and the LLM's later tokens are not, so TTS gets the larger share.
 * Measured on 2 cores (docs/PERFORMANCE.md): stt 2 / llm 1 / tts 2 gave the best p50 and p95;
 * giving the LLM 2 threads as well made p95 worse (ggml threads spin-wait when oversubscribed; on a
 * 2-core VM node-llama-cpp's default thread count made a 260K-parameter model take hundreds of ms
 * per token).
 */
export function planThreads(cores: number = availableParallelism()): ThreadPlan {
  const n = Math.max(1, Math.floor(cores));
  if (n <= 2) return { vad: 1, stt: n, llm: 1, tts: n };
  const tts = Math.min(4, Math.ceil(n / 2));
  return { vad: 1, stt: Math.min(n, 8), llm: Math.max(1, Math.min(n - tts, 8)), tts };
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
