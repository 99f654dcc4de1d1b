import { existsSync } from 'node:fs';
import path from 'node:path';
import { fixturesDir } from '../src-main/tools/dev/shared-data';
import { ensureKokoroNetworkStandin } from '../src-main/tools/dev/standins/kokoro-network';

/** The data every test run needs ships in test/fixtures; fail the whole run at once, naming what is missing. */
const REQUIRED_FIXTURES = [
  'speech/jfk.wav',
  'speech/transcripts.tsv',
  'models/llm/stories260K.gguf',
  'models/whisper/for-tests-ggml-tiny.en.bin',
  'models/kokoro/config.json',
  'models/kokoro/tokenizer.json',
  'models/kokoro/EXPECTED_sha256_size.txt',
  'echo/farend_simple_talk.wav',
] as const;

export default async function setup(): Promise<void> {
  const missing = REQUIRED_FIXTURES.map((rel) => path.join(fixturesDir(), rel)).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `missing test fixtures (they are part of the repository; restore them with \`git checkout -- test/fixtures\`): ${missing.join(', ')}`,
    );
  }
  // Generated once here rather than by two test files at the same time (PyTorch, ~1 min, 325 MB).
  await ensureKokoroNetworkStandin();
}
