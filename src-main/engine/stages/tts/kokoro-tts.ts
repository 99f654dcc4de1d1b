import type { TtsDevice } from '../../../shared/tts-devices';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AutoTokenizer, env as transformersEnv, StyleTextToSpeech2Model } from '@huggingface/transformers';
import { KokoroTTS } from 'kokoro-js';
import { OUTPUT_SAMPLE_RATE } from '../../../shared/config';
import { ttsDevicesFor } from '../../../shared/tts-devices';
import type { StageBackend } from '../../../shared/events';
import { abortError, DisposedError, messageOf, SerialQueue, throwIfAborted, toError } from '../stage-kit';
import type { TtsStage } from '../contracts';

/**
 * Kokoro-82M text-to-speech through kokoro-js (phonemizer = espeak-ng in wasm, bundled) on
 * transformers.js → onnxruntime-node. Loads only from a local folder in the onnx-community layout;
 * nothing is fetched from the network. One synthesis runs at a time.
 */

export type KokoroDtype = 'q8' | 'fp32' | 'fp16' | 'q4' | 'q4f16';
/** `auto` = the first of KOKORO_CPU_DTYPE_PREFERENCE whose file the folder has. */
export type KokoroDtypeChoice = KokoroDtype | 'auto';

export interface KokoroTtsOptions {
  /** Folder with config.json, tokenizer.json, tokenizer_config.json and onnx/model*.onnx. */
  modelDir: string;
  dtype?: KokoroDtypeChoice;
  device?: TtsDevice;
  threads?: number;
  voice?: string;
  speed?: number;
  signal?: AbortSignal;
  /** Told why an accelerator was not used (the stage then runs on the CPU). */
  onFallback?: (message: string) => void;
}

export interface SynthesizeOptions {
  signal?: AbortSignal;
  voice?: string;
  speed?: number;
}

export const KOKORO_ONNX_FILE: Record<KokoroDtype, string> = {
  q8: 'model_quantized.onnx',
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
};
/**
 * Fastest first on onnxruntime's CPU provider, from public measurements (docs/MODELS.md): fp32
 * runs natively; fp16 is cast to fp32 op by op; the q8 file's DequantizeLinear nodes made it about
 * 2x slower than fp32 (sherpa-onnx #2374).
 */
export const KOKORO_CPU_DTYPE_PREFERENCE: readonly KokoroDtype[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'];
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

async function validateFolder(modelDir: string, choice: KokoroDtypeChoice): Promise<{ onnxFile: string; dtype: KokoroDtype }> {
  const dirStat = await stat(modelDir).catch(() => undefined);
  if (!dirStat) throw new KokoroModelError(modelDir, 'the folder does not exist; download Kokoro-82M-v1.0-ONNX or fix models.tts');
  if (!dirStat.isDirectory()) throw new KokoroModelError(modelDir, 'expected a folder in the onnx-community layout, got a file');
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(path.join(modelDir, file))) {
      throw new KokoroModelError(modelDir, `${file} is missing (expected the onnx-community Kokoro-82M-v1.0-ONNX layout)`);
    }
  }
  const dtype = choice === 'auto' ? KOKORO_CPU_DTYPE_PREFERENCE.find((d) => existsSync(path.join(modelDir, 'onnx', KOKORO_ONNX_FILE[d]))) : choice;
  if (!dtype) {
    const wanted = KOKORO_CPU_DTYPE_PREFERENCE.map((d) => `onnx/${KOKORO_ONNX_FILE[d]}`).join(', ');
    throw new KokoroModelError(modelDir, `no Kokoro ONNX file found (looked for ${wanted})`);
  }
  const onnxFile = path.join(modelDir, 'onnx', KOKORO_ONNX_FILE[dtype]);
  if (!existsSync(onnxFile)) {
    throw new KokoroModelError(modelDir, `onnx/${KOKORO_ONNX_FILE[dtype]} is missing (needed for dtype ${dtype})`);
  }
  await checkOnnxHeader(onnxFile);
  return { onnxFile, dtype };
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

/** The onnxruntime-node accelerator this platform can have (`auto`), if any. */
export function platformAccelerator(platform: NodeJS.Platform = process.platform, arch: string = process.arch): TtsDevice | undefined {
  if (platform === 'linux' && arch === 'x64') return 'cuda';
  if (platform === 'win32') return 'dml';
  if (platform === 'darwin') return 'coreml';
  return undefined;
}

/** Why a requested device cannot even be tried here (undefined = it can). */
function deviceUnsupportedReason(device: TtsDevice): string | undefined {
  if (device === 'cpu' || device === 'auto') return undefined;
  if (ttsDevicesFor(process.platform, process.arch).includes(device)) return undefined;
  return `${device} is not available on ${process.platform}/${process.arch}`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.slice(0, 300) ?? '';
}

export class KokoroTts implements TtsStage {
  readonly sampleRate = OUTPUT_SAMPLE_RATE;
  readonly backend: StageBackend;
  readonly modelDir: string;

  private readonly queue = new SerialQueue('speech synthesis');
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
    const { modelDir, dtype: dtypeChoice = 'auto', device = 'cpu', threads = 1, voice = 'af_heart', speed = 1, signal, onFallback } = options;
    throwIfAborted(signal, 'loading Kokoro');
    const absDir = path.resolve(modelDir);
    const { onnxFile, dtype } = await validateFolder(absDir, dtypeChoice);
    configureTransformersOffline();

    const loadModel = (dev: TtsDevice): Promise<StyleTextToSpeech2Model> =>
      StyleTextToSpeech2Model.from_pretrained(absDir, {
        dtype,
        device: dev,
        local_files_only: true,
        // Kokoro's graph is hundreds of small operators: threads that spin between them would take
        // the core the LLM is writing the rest of the answer on.
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } },
      });

    // An accelerator that cannot load (no CUDA libraries, no DirectML adapter…) never stops the
    // app: the reason is reported and the CPU takes over.
    const wanted: TtsDevice = device === 'auto' ? (platformAccelerator() ?? 'cpu') : device;
    let usedDevice: TtsDevice = 'cpu';
    let fallback: string | undefined;
    let model: StyleTextToSpeech2Model | undefined;
    if (wanted !== 'cpu') {
      const unsupported = deviceUnsupportedReason(wanted);
      if (unsupported) fallback = unsupported;
      else {
        try {
          model = await loadModel(wanted);
          usedDevice = wanted;
        } catch (err) {
          fallback = `onnxruntime could not start ${wanted}: ${firstLine(messageOf(err))}`;
        }
      }
      if (fallback) onFallback?.(`Kokoro: ${fallback}; using the CPU`);
    }
    if (!model) {
      model = await loadModel('cpu').catch((err: unknown) => {
        throw new KokoroModelError(onnxFile, `onnxruntime could not load it: ${messageOf(err)}`);
      });
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
      throw abortError(signal, 'loading Kokoro');
    }
    const tokenizer = await AutoTokenizer.from_pretrained(absDir, { local_files_only: true });
    const tts = new KokoroTTS(model, tokenizer);
    const backend: StageBackend = {
      device: usedDevice,
      detail:
        `kokoro-js (transformers.js, onnxruntime-node) ${path.basename(absDir)}/onnx/${path.basename(onnxFile)} (${dtype})` +
        (fallback ? ` — ${fallback}` : ''),
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

  /**
   * True while an inference runs, including one whose caller gave up (an ONNX run cannot be
   * interrupted): other stages use it to avoid oversubscribing the cores.
   */
  get busy(): boolean {
    return this.queue.busy;
  }

  /** 24 kHz mono audio for `text`. Empty text gives an empty array. Calls run one at a time. */
  synthesize(text: string, options: SynthesizeOptions = {}): Promise<Float32Array> {
    const { signal } = options;
    if (this.disposed) return Promise.reject(new DisposedError('KokoroTts'));
    if (signal?.aborted) return Promise.reject(abortError(signal, 'speech synthesis'));
    let voice: string;
    let speed: number;
    try {
      voice = this.checkVoice(options.voice ?? this.defaultVoice);
      speed = this.checkSpeed(options.speed ?? this.defaultSpeed);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    if (text.trim() === '') return Promise.resolve(new Float32Array(0));
    return this.queue.run(async () => {
      if (this.disposed) throw new DisposedError('KokoroTts');
      const { audio } = await this.tts.generate(text, { voice: voice as keyof KokoroTTS['voices'], speed });
      // RawAudio holds one channel as a Float32Array (or per-channel arrays); Kokoro is mono.
      return Array.isArray(audio) ? (audio[0] ?? new Float32Array(0)) : audio;
    }, signal);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.drained();
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
