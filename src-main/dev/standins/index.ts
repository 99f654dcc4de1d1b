import { sharedPath } from '../shared-data';
import type { ModelPaths } from '../../engine/runtime';
import { ensureKokoroStandin } from './kokoro-onnx';
import { ensureQwenStandin } from './qwen-gguf';
import { ensureWhisperStandin } from './whisper-ggml';

/**
 * Test fixtures only: generated models in the real file formats (see docs/PERFORMANCE.md).
 * - `standin`: whisper with tiny.en shapes, the real tiny stories260K llama, a light Kokoro-format ONNX.
 * - `standin-real`: compute-equivalent: whisper tiny.en shapes, a Qwen2.5-0.5B-shaped Q8_0 GGUF, and a
 *   Kokoro-format ONNX whose cost per second of audio is calibrated to Kokoro-82M q8 on CPU.
 */
export async function standinModelPaths(set: 'standin' | 'standin-real'): Promise<ModelPaths> {
  const stt = await ensureWhisperStandin('tiny.en');
  if (set === 'standin') {
    return { stt, llm: sharedPath('models/llm/stories260K.gguf'), tts: await ensureKokoroStandin('light') };
  }
  return { stt, llm: await ensureQwenStandin(), tts: await ensureKokoroStandin('kokoro-cpu') };
}
