import { sharedPath } from '../src-main/dev/shared-data';

/** Fail the whole run at once, with a message naming what is missing, when ../shared is absent. */
export default function setup(): void {
  for (const rel of [
    'speech/jfk.wav',
    'speech/transcripts.tsv',
    'models/llm/stories260K.gguf',
    'models/whisper/for-tests-ggml-tiny.en.bin',
    'models/kokoro/config.json',
    'models/kokoro/tokenizer.json',
  ]) {
    sharedPath(rel);
  }
}
