import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { AutoTokenizer, Tensor, env as transformersEnv, type StyleTextToSpeech2Model } from '@huggingface/transformers';
import { KokoroTTS } from 'kokoro-js';
import { cacheDir, projectRoot, sharedPath } from '../shared-data';

const run = promisify(execFile);

/**
 * Kokoro-82M v1.0's own network with seeded weights: the TTS stand-in of `standin-real`.
 *
 * `kokoro_network.py` (PyTorch, beside this file) builds hexgrad/kokoro's modules with the real
 * config (81.8 M parameters), and exports them with the interface of
 * onnx-community/Kokoro-82M-v1.0-ONNX, so the real kokoro-js path (phonemizer, tokenizer, the
 * bundled voices' style vectors, onnxruntime-node) runs on it unchanged and its cost is Kokoro's
 * own, per call and per second of audio, on whatever machine runs it.
 *
 * Seeded weights predict arbitrary durations, and the decoder's cost follows the audio length, so
 * the duration head's bias vector is set so every token lasts the whole number of 25 ms frames
 * nearest KOKORO_SPEAKING_RATE: 3 frames, 1800 samples, 13.3 tokens/s (12.5 % slower, so a little
 * more decoder work per unit than Kokoro's). Why not a fractional rate: `set_duration_bias`.
 */

/**
 * Kokoro-82M's speaking rate at speed 1.0: 15 phoneme tokens per second (1600 samples at 24 kHz),
 * from the long text of the heyneo.com CPU benchmark of Kokoro-82M ONNX ("Kokoro 82M vs Supertonic
 * 3 vs Inflect-Nano-v1"): 196 characters, ~215 tokens, ~13 s of audio, i.e. 16.5 tokens/s, rounded
 * down to the slower 15 (longer audio, more decoder work). Tokens count spaces and punctuation, as
 * Kokoro's do. Not re-measured here: real weights cannot be fetched in this build environment.
 */
export const KOKORO_SPEAKING_RATE = { tokensPerSecond: 15, samplesPerToken: 1600, sampleRate: 24000 } as const;

/** Audio samples per predicted duration frame (decoder ×2, upsampling 10 × 6, iSTFT hop 5). */
const SAMPLES_PER_FRAME = 600;
const GENERATOR_VERSION = 2;
const SEED = 82;

/**
 * Sentences the generator reports the duration head on (and scales the output on): ordinary
 * assistant sentences, none from the test data, the bench's replies or the scenarios.
 */
const CALIBRATION_SENTENCES = [
  'Sure, I can help with that.',
  'The weather tomorrow looks mild, with a little rain in the afternoon.',
  'Here are three things to keep in mind before you start.',
  'That depends on how much time you have and what you enjoy doing.',
  'First, preheat the oven to two hundred degrees.',
  'It was built in the early nineteenth century by a local merchant.',
  'You could try restarting the router, then checking the cable.',
  'Of course! Let me know if there is anything else.',
  'The quickest way is to take the train and walk the last few minutes.',
  'In short, both options work, but the second one is cheaper.',
];

export interface KokoroNetworkStandin {
  parameters: number;
  framesPerToken: number;
  samplesPerToken: number;
  /** Rounded frames per token of each calibration sentence (all equal unless w·x beats ±30). */
  framesPerTokenBySentence: number[];
  torch: string;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** A Python with PyTorch: MURMUR_TORCH_PYTHON, Debian's /usr/bin/python3, or python3 on PATH. */
async function torchPython(): Promise<string> {
  const candidates = [process.env.MURMUR_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const ok = await run(python, ['-c', 'import torch']).then(
      () => true,
      () => false,
    );
    if (ok) return python;
  }
  throw new Error(
    `the Kokoro-82M network stand-in is generated with PyTorch, and none of ${candidates.join(', ')} has it: ` +
      'install it (Debian: apt-get install python3-torch) or set MURMUR_TORCH_PYTHON to a Python that has it',
  );
}

/** Phoneme token ids and style vectors exactly as kokoro-js would pass them to the model. */
async function calibrationInputs(folder: string): Promise<{ ids: number[]; style: number[] }[]> {
  transformersEnv.allowRemoteModels = false;
  const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const seen: { ids: number[]; style: number[] }[] = [];
  // A model that only records its inputs: kokoro-js calls it with what the real one would get.
  const recorder = async (inputs: { input_ids: Tensor; style: Tensor }): Promise<{ waveform: Tensor }> => {
    seen.push({
      ids: Array.from(inputs.input_ids.data as BigInt64Array, Number),
      style: Array.from(inputs.style.data as Float32Array),
    });
    return { waveform: new Tensor('float32', new Float32Array(1), [1]) };
  };
  const tts = new KokoroTTS(recorder as unknown as StyleTextToSpeech2Model, tokenizer);
  for (const sentence of CALIBRATION_SENTENCES) await tts.generate(sentence, { voice: 'af_heart' });
  return seen;
}

async function generate(outDir: string): Promise<KokoroNetworkStandin> {
  const python = await torchPython();
  await mkdir(path.join(outDir, 'onnx'), { recursive: true });
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    await copyFile(sharedPath(path.join('models', 'kokoro', file)), path.join(outDir, file));
  }
  const calibrationFile = path.join(outDir, 'calibration.json');
  await writeFile(calibrationFile, JSON.stringify({ sequences: await calibrationInputs(outDir) }));
  const script = path.join(projectRoot(), 'src-main', 'tools', 'dev', 'standins', 'kokoro_network.py');
  const fp32File = path.join(outDir, 'onnx', 'model.onnx');
  const { stdout } = await run(
    python,
    [script, '--out', fp32File, '--calibration', calibrationFile, '--frames-per-token', String(KOKORO_SPEAKING_RATE.samplesPerToken / SAMPLES_PER_FRAME), '--seed', String(SEED)],
    { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, PYTHONWARNINGS: 'ignore' } },
  ).catch((err: unknown) => {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`generating the Kokoro-82M network stand-in failed: ${stderr.trim().split('\n').slice(-3).join(' | ') || String(err)}`);
  });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    parameters: number;
    framesPerToken: number;
    framesPerTokenBySentence: number[];
    torch: string;
  };
  // The q8 and fp16 files are the fp32 network: quantisation is not reproduced (docs/MODELS.md).
  for (const variant of ['model_quantized.onnx', 'model_fp16.onnx']) {
    const file = path.join(outDir, 'onnx', variant);
    await link(fp32File, file).catch(() => copyFile(fp32File, file));
  }
  const standin: KokoroNetworkStandin = {
    parameters: report.parameters,
    framesPerToken: report.framesPerToken,
    samplesPerToken: report.framesPerToken * SAMPLES_PER_FRAME,
    framesPerTokenBySentence: report.framesPerTokenBySentence,
    torch: report.torch,
  };
  await writeFile(
    path.join(outDir, 'standin.json'),
    JSON.stringify(
      {
        what: 'Kokoro-82M v1.0 network (hexgrad/kokoro modules and config), seeded weights, fp32 ONNX; noise-like audio',
        seed: SEED,
        speakingRate: KOKORO_SPEAKING_RATE,
        generatorVersion: GENERATOR_VERSION,
        ...standin,
      },
      null,
      2,
    ),
  );
  return standin;
}

/** The network stand-in's folder, generated once into the cache (atomically; ~1 min, 325 MB). */
export async function ensureKokoroNetworkStandin(): Promise<string> {
  const dir = cacheDir('standins', `kokoro-82m-network-v${GENERATOR_VERSION}`);
  if (await exists(path.join(dir, 'standin.json'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await generate(tmp);
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (await exists(path.join(dir, 'standin.json'))) return dir; // another process finished first
    throw err;
  }
  return dir;
}
