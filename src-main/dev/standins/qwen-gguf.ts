import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, sharedPath } from '../shared-data';

/**
 * The Qwen2.5-0.5B-Instruct-shaped stand-in GGUF (Q8_0, qwen2 architecture, 494 M params, ChatML
 * template, the `llama` stand-in tokenizer), written by ../shared/standins/qwen2_gguf_standin.py
 * (python3 + numpy). Generated once into cacheDir('standins'); byte-identical for the same
 * arguments. Test/benchmark tooling only: nothing in the app imports this.
 */

const run = promisify(execFile);

const SCRIPT = 'standins/qwen2_gguf_standin.py';
const SCRIPT_ARGS = ['--wtype', 'q8_0', '--tokenizer', 'llama', '--seed', '1234'];
/** Size the script writes for these arguments (a smaller file is a leftover of an interrupted run). */
const EXPECTED_BYTES = 529_237_056;
const GENERATOR_VERSION = 1;

export function qwenStandinPath(): string {
  return cacheDir('standins', `qwen2.5-0.5b-instruct-standin-q8_0-llamatok-v${GENERATOR_VERSION}.gguf`);
}

async function checkPython(): Promise<void> {
  try {
    await run('python3', ['-c', 'import numpy'], { timeout: 60_000 });
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(
      `the Qwen stand-in generator needs python3 with numpy (${detail}). ` +
        'Install them (e.g. apt-get install python3 python3-numpy) or point models.llm at a real GGUF.',
    );
  }
}

async function isGguf(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    return head.toString('latin1') === 'GGUF';
  } finally {
    await fh.close();
  }
}

/** Path of the cached Qwen-shaped stand-in, generating it (≈ 530 MB, ~20 s) on first use. */
export async function ensureQwenStandin(options: { signal?: AbortSignal } = {}): Promise<string> {
  const outFile = qwenStandinPath();
  if (existsSync(outFile) && statSync(outFile).size === EXPECTED_BYTES) return outFile;

  const script = sharedPath(SCRIPT);
  await checkPython();
  await mkdir(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await run('python3', [script, ...SCRIPT_ARGS, '--out', tmp], {
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
      signal: options.signal,
    });
    const size = statSync(tmp).size;
    if (size !== EXPECTED_BYTES || !(await isGguf(tmp))) {
      throw new Error(`${script} wrote ${size} bytes (expected a ${EXPECTED_BYTES}-byte GGUF); the script or its inputs changed`);
    }
    await rename(tmp, outFile);
  } catch (err) {
    await rm(tmp, { force: true });
    if (existsSync(outFile) && statSync(outFile).size === EXPECTED_BYTES) return outFile;
    throw err;
  }
  return outFile;
}
