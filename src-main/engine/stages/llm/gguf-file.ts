import { open, stat, type FileHandle } from 'node:fs/promises';
import { messageOf } from '../stage-kit';

export const DOWNLOAD_HINT =
  'Download a chat model with `npm run models -- download <id>` (e.g. qwen2.5-0.5b-instruct-q4_k_m, ' +
  'ids in models/manifest.json) and set models.llm to its path.';
/** A clear message for the wrong file instead of a llama.cpp abort; returns the file's size. */
export async function validateGgufFile(modelPath: string): Promise<number> {
  if (!modelPath) throw new Error(`no LLM model configured (models.llm is empty). ${DOWNLOAD_HINT}`);
  let size: number;
  try {
    const info = await stat(modelPath);
    if (!info.isFile()) throw new Error(`LLM model path ${modelPath} is not a file. ${DOWNLOAD_HINT}`);
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`LLM model file not found: ${modelPath}. ${DOWNLOAD_HINT}`);
    }
    throw error;
  }
  const magic = Buffer.alloc(4);
  if (size < 4) throw new Error(`${modelPath} is not a GGUF chat model: the file is empty (${size} bytes). ${DOWNLOAD_HINT}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(modelPath, 'r');
    await handle.read(magic, 0, 4, 0);
  } catch (error) {
    throw new Error(`cannot read LLM model file ${modelPath}: ${messageOf(error)}`);
  } finally {
    await handle?.close();
  }
  const ascii = magic.toString('latin1');
  if (ascii === 'GGUF') return size;
  let found: string;
  if (['lmgg', 'ggml', 'tjgg', 'ggjt', 'fmgg', 'algg'].includes(ascii)) {
    found = 'it is a legacy ggml file, e.g. a whisper.cpp speech model';
  } else if (magic[0] === 0x08) {
    found = 'it looks like an ONNX model';
  } else {
    found = `it starts with bytes ${magic.toString('hex')}, not "GGUF"`;
  }
  throw new Error(`${modelPath} is not a GGUF chat model (${found}). models.llm needs a llama.cpp .gguf chat model. ${DOWNLOAD_HINT}`);
}

