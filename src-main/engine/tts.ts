import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AutoTokenizer, env as transformersEnv, StyleTextToSpeech2Model } from '@huggingface/transformers';
import { KokoroTTS } from 'kokoro-js';
import { OUTPUT_SAMPLE_RATE } from './config';
import type { StageBackend } from './events';
import type { TtsStage } from './stages';

/**
 * Kokoro-82M text-to-speech through kokoro-js (phonemizer = espeak-ng in wasm, bundled) on
 * transformers.js → onnxruntime-node. Loads only from a local folder in the onnx-community layout;
 * nothing is fetched from the network. One synthesis runs at a time.
 */

export type KokoroDtype = 'q8' | 'fp32' | 'fp16' | 'q4' | 'q4f16';
export type KokoroDevice = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'auto';

export interface KokoroTtsOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx. */
  modelDir: string;
  dtype?: KokoroDtype;
  device?: KokoroDevice;
  threads?: number;
  voice?: string;
  speed?: number;
  signal?: AbortSignal;
}

export interface SynthesizeOptions {
  signal?: AbortSignal;
  voice?: string;
  speed?: number;
}

const ONNX_FILE_BY_DTYPE: Record<KokoroDtype, string> = {
  q8: 'model_quantized.onnx',
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
};
const REQUIRED_INPUTS = ['input_ids', 'style', 'speed'] as const;
const REQUIRED_OUTPUT = 'waveform';
const MIN_SPEED = 0.5;
const MAX_SPEED = 2;

export class KokoroModelError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file} is not a Kokoro model: ${message}`);
    this.name = 'KokoroModelError';
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('speech synthesis was aborted', 'AbortError');
}

/** Folder of the voice files shipped inside the kokoro-js package. */
function kokoroVoicesDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('kokoro-js')), '..', 'voices');
}

/** Reject files that are clearly something else (GGUF / ggml) or not protobuf ONNX at all. */
async function checkOnnxHeader(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    const magic = head.subarray(0, 4).toString('latin1');
    if (magic === 'GGUF') throw new KokoroModelError(file, 'it is a GGUF (llama.cpp) file; point models.tts at a Kokoro ONNX folder');
    if (['lmgg', 'ggjt', 'ggml', 'ggla'].includes(magic))
      throw new KokoroModelError(file, 'it is a ggml (whisper.cpp/llama.cpp) file; point models.tts at a Kokoro ONNX folder');
    // Every ONNX exporter writes ModelProto.ir_version (field 1, varint → tag byte 0x08) first.
    if (bytesRead < 8 || head[0] !== 0x08) throw new KokoroModelError(file, 'it is not an ONNX model (bad header)');
  } finally {
    await handle.close();
  }
}

async function validateFolder(modelDir: string, dtype: KokoroDtype): Promise<string> {
  const dirStat = await stat(modelDir).catch(() => undefined);
  if (!dirStat) throw new KokoroModelError(modelDir, 'the folder does not exist; download Kokoro-82M-v1.0-ONNX or fix models.tts');
  if (!dirStat.isDirectory()) throw new KokoroModelError(modelDir, 'expected a folder in the onnx-community layout, got a file');
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(path.join(modelDir, file))) {
      throw new KokoroModelError(modelDir, `${file} is missing (expected the onnx-community Kokoro-82M-v1.0-ONNX layout)`);
    }
  }
  const onnxFile = path.join(modelDir, 'onnx', ONNX_FILE_BY_DTYPE[dtype]);
  if (!existsSync(onnxFile)) {
    throw new KokoroModelError(modelDir, `onnx/${ONNX_FILE_BY_DTYPE[dtype]} is missing (needed for dtype ${dtype})`);
  }
  await checkOnnxHeader(onnxFile);
  return onnxFile;
}

interface OrtSessionNames {
  inputNames: readonly string[];
  outputNames: readonly string[];
}

function modelSession(model: StyleTextToSpeech2Model): OrtSessionNames | undefined {
  const session: unknown = model.sessions.model;
  if (session && typeof session === 'object' && 'inputNames' in session && 'outputNames' in session) {
    return session as OrtSessionNames;
  }
  return undefined;
}

function configureTransformersOffline(): void {
  // Local folders only: never reach for the Hugging Face hub, never write a download cache.
  transformersEnv.allowRemoteModels = false;
  transformersEnv.allowLocalModels = true;
  transformersEnv.useFSCache = false;
  transformersEnv.useBrowserCache = false;
}

function platformAccelerator(): KokoroDevice | undefined {
  if (process.platform === 'linux' && process.arch === 'x64') return 'cuda';
  if (process.platform === 'win32') return 'dml';
  if (process.platform === 'darwin') return 'coreml';
  return undefined;
}

export class KokoroTts implements TtsStage {
  readonly sampleRate = OUTPUT_SAMPLE_RATE;
  readonly backend: StageBackend;
  readonly modelDir: string;

  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private disposed = false;
  private readonly availableVoices: string[];

  private constructor(
    private readonly tts: KokoroTTS,
    private readonly model: StyleTextToSpeech2Model,
    modelDir: string,
    backend: StageBackend,
    private defaultVoice: string,
    private defaultSpeed: number,
  ) {
    this.modelDir = modelDir;
    this.backend = backend;
    const voicesDir = kokoroVoicesDir();
    this.availableVoices = Object.keys(tts.voices).filter((v) => existsSync(path.join(voicesDir, `${v}.bin`)));
  }

  static async load(options: KokoroTtsOptions): Promise<KokoroTts> {
    const { modelDir, dtype = 'q8', device = 'cpu', threads = 1, voice = 'af_heart', speed = 1, signal } = options;
    if (signal?.aborted) throw abortError(signal);
    const absDir = path.resolve(modelDir);
    const onnxFile = await validateFolder(absDir, dtype);
    configureTransformersOffline();

    const loadModel = (dev: KokoroDevice): Promise<StyleTextToSpeech2Model> =>
      StyleTextToSpeech2Model.from_pretrained(absDir, {
        dtype,
        device: dev,
        local_files_only: true,
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
      });

    let usedDevice: KokoroDevice = device === 'auto' ? (platformAccelerator() ?? 'cpu') : device;
    let model: StyleTextToSpeech2Model;
    try {
      model = await loadModel(usedDevice);
    } catch (err) {
      if (device === 'auto' && usedDevice !== 'cpu') {
        usedDevice = 'cpu';
        model = await loadModel('cpu').catch((cpuErr: unknown) => {
          throw new KokoroModelError(onnxFile, `onnxruntime could not load it: ${String(cpuErr)}`);
        });
      } else {
        throw new KokoroModelError(onnxFile, `onnxruntime could not load it on ${usedDevice}: ${String(err)}`);
      }
    }

    const session = modelSession(model);
    const missingInputs = REQUIRED_INPUTS.filter((n) => !session?.inputNames.includes(n));
    if (!session || missingInputs.length > 0 || !session.outputNames.includes(REQUIRED_OUTPUT)) {
      await model.dispose();
      throw new KokoroModelError(
        onnxFile,
        `expected inputs ${REQUIRED_INPUTS.join(', ')} and output ${REQUIRED_OUTPUT}, ` +
          `found inputs [${session?.inputNames.join(', ') ?? '?'}] and outputs [${session?.outputNames.join(', ') ?? '?'}]`,
      );
    }
    if (signal?.aborted) {
      await model.dispose();
      throw abortError(signal);
    }
    const tokenizer = await AutoTokenizer.from_pretrained(absDir, { local_files_only: true });
    const tts = new KokoroTTS(model, tokenizer);
    const backend: StageBackend = {
      device: usedDevice,
      detail: `kokoro-js (transformers.js, onnxruntime-node) ${path.basename(absDir)}/onnx/${path.basename(onnxFile)}`,
      threads,
    };
    const stage = new KokoroTts(tts, model, absDir, backend, voice, speed);
    try {
      stage.checkVoice(voice);
      stage.checkSpeed(speed);
    } catch (err) {
      await stage.dispose();
      throw err;
    }
    return stage;
  }

  /** Voices known to kokoro-js whose style file ships in the package. */
  voices(): string[] {
    return [...this.availableVoices];
  }

  setDefaults({ voice, speed }: { voice?: string; speed?: number }): void {
    if (voice !== undefined) this.defaultVoice = this.checkVoice(voice);
    if (speed !== undefined) this.defaultSpeed = this.checkSpeed(speed);
  }

  /** One short synthesis so the first reply does not pay for session and phonemizer start-up. */
  async warm(): Promise<void> {
    await this.synthesize('Hello.');
  }

  /** 24 kHz mono audio for `text`. Empty text gives an empty array. Calls run one at a time. */

  /**
   * True while an inference runs, including one whose caller gave up (an ONNX run cannot be
   * interrupted): other stages use it to avoid oversubscribing the cores.
   */
  get busy(): boolean {
    return this.inFlight > 0;
  }
  synthesize(text: string, options: SynthesizeOptions = {}): Promise<Float32Array> {
    const { signal } = options;
    if (this.disposed) return Promise.reject(new Error('KokoroTts was disposed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let voice: string;
    let speed: number;
    try {
      voice = this.checkVoice(options.voice ?? this.defaultVoice);
      speed = this.checkSpeed(options.speed ?? this.defaultSpeed);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (text.trim() === '') return Promise.resolve(new Float32Array(0));

    const run = this.queue.then(async () => {
      if (signal?.aborted) throw abortError(signal);
      if (this.disposed) throw new Error('KokoroTts was disposed');
      this.inFlight++;
      let audio: Float32Array | Float32Array[];
      try {
        ({ audio } = await this.tts.generate(text, { voice: voice as keyof KokoroTTS['voices'], speed }));
      } finally {
        this.inFlight--;
      }
      // RawAudio holds one channel as a Float32Array (or per-channel arrays); Kokoro is mono.
      return Array.isArray(audio) ? (audio[0] ?? new Float32Array(0)) : audio;
    });
    // The next call waits for this inference to finish, even when this caller gave up on it.
    this.queue = run.catch(() => undefined);
    if (!signal) return run;
    return new Promise<Float32Array>((resolve, reject) => {
      const onAbort = (): void => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      run.then(
        (audio) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) reject(abortError(signal));
          else resolve(audio);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue;
    await this.model.dispose();
  }

  private checkVoice(voice: string): string {
    if (!this.availableVoices.includes(voice)) {
      throw new Error(`unknown Kokoro voice "${voice}"; available: ${this.availableVoices.join(', ')}`);
    }
    return voice;
  }

  private checkSpeed(speed: number): number {
    if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED) {
      throw new Error(`Kokoro speed must be between ${MIN_SPEED} and ${MAX_SPEED}, got ${speed}`);
    }
    return speed;
  }
}
