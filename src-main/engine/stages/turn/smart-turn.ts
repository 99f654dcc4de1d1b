import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { INPUT_SAMPLE_RATE } from '../../../shared/config';
import type { StageBackend } from '../../../shared/events';
import type { TurnStage } from '../contracts';
import { DisposedError, SerialQueue, throwIfAborted } from '../stage-kit';
import { LogMel } from './log-mel';

/**
 * Smart Turn v3 (pipecat-ai/smart-turn, BSD-2): is the user's turn complete, judged from the
 * sound of its last 8 s (intonation, rhythm, a trailing "and…"), not from silence.
 *
 * As pipecat's `LocalSmartTurnAnalyzerV3` runs it: the last 8 s of 16 kHz audio, normalised to
 * zero mean and unit variance, padded with zeros at the end to 8 s, Whisper's 80-bin log-mel
 * features (the front-end of transformers.js's `WhisperFeatureExtractor`, the same as the Python
 * one the model was trained with: 25 ms Hann window, 10 ms hop, Slaney mel scale, log10 with an
 * 8-decade floor; its transform runs in `log-mel.ts`, 3–4× faster) → input `input_features`
 * [1, 80, 800] → the probability the turn is complete.
 */

export interface SmartTurnOptions {
  modelPath: string;
  threads: number;
  signal?: AbortSignal;
}

const WINDOW_SECONDS = 8;
const WINDOW_SAMPLES = WINDOW_SECONDS * INPUT_SAMPLE_RATE;
const MEL_FRAMES = 800;
const INPUT_NAME = 'input_features';
const EXTRACTOR_CONFIG = {
  feature_size: 80,
  sampling_rate: INPUT_SAMPLE_RATE,
  hop_length: 160,
  n_fft: 400,
  chunk_length: WINDOW_SECONDS,
  n_samples: WINDOW_SAMPLES,
  nb_max_frames: MEL_FRAMES,
  padding_value: 0,
};

export class SmartTurnModelError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`Smart Turn model ${file}: ${message}`);
    this.name = 'SmartTurnModelError';
  }
}

export class SmartTurn implements TurnStage {
  readonly backend: StageBackend;
  private readonly queue = new SerialQueue('end-of-turn inference');
  private readonly extractor = whisperExtractorFor8s();
  /** The library's front-end (window, mel filters), with a fast short-time Fourier transform. */
  private readonly features = new LogMel({
    window: (this.extractor as unknown as { window: Float64Array }).window,
    melFilters: (this.extractor.config as { mel_filters: number[][] }).mel_filters,
    hop: 160,
    frames: MEL_FRAMES,
  });
  private disposed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelPath: string,
    threads: number,
  ) {
    this.backend = { device: 'cpu', detail: `onnxruntime-node ${ort.env.versions?.common ?? ''} Smart Turn v3 (${path.basename(modelPath)})`, threads };
  }

  static async load(options: SmartTurnOptions): Promise<SmartTurn> {
    const modelPath = path.resolve(options.modelPath);
    options.signal?.throwIfAborted();
    if (!existsSync(modelPath)) throw new SmartTurnModelError(modelPath, 'file not found; download it with: npm run models -- download smart-turn-v3');
    if (statSync(modelPath).isDirectory()) throw new SmartTurnModelError(modelPath, 'is a folder, expected an .onnx file');
    if (!looksLikeOnnx(modelPath)) throw new SmartTurnModelError(modelPath, 'does not look like an ONNX model (bad header)');
    const threads = Math.max(1, Math.floor(options.threads));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // It runs beside the speculative answer's transcription: threads that spin while waiting
        // would take the cores whisper needs (and whisper's spinning threads would take its).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (error) {
      throw new SmartTurnModelError(modelPath, `onnxruntime could not load it (${(error as Error).message})`);
    }
    if (!session.inputNames.includes(INPUT_NAME) || session.outputNames.length === 0) {
      await session.release();
      throw new SmartTurnModelError(modelPath, `not a Smart Turn v3 model: expected the input "${INPUT_NAME}", found [${session.inputNames.join(', ')}]`);
    }
    return new SmartTurn(session, modelPath, threads);
  }

  /** One inference on a second of quiet noise, so the first real pause is not cold. */
  async warm(): Promise<void> {
    const noise = new Float32Array(INPUT_SAMPLE_RATE);
    for (let i = 0; i < noise.length; i++) noise[i] = 1e-3 * Math.sin(i * 0.37);
    await this.classify(noise);
  }

  classify(audio: Float32Array, options: { signal?: AbortSignal } = {}): Promise<{ probability: number; ms: number }> {
    if (this.disposed) return Promise.reject(new DisposedError('SmartTurn'));
    if (!(audio instanceof Float32Array) || audio.length === 0) return Promise.reject(new RangeError('SmartTurn.classify: expected a non-empty Float32Array of 16 kHz audio'));
    return this.queue.run(async () => {
      throwIfAborted(options.signal, 'end-of-turn inference');
      const started = performance.now();
      const features = this.features.compute(windowOf(audio));
      throwIfAborted(options.signal, 'end-of-turn inference');
      const input = new ort.Tensor('float32', features, [1, 80, MEL_FRAMES]);
      const result = await this.session.run({ [INPUT_NAME]: input });
      const output = result[this.session.outputNames[0] as string] as ort.Tensor;
      const value = output.data[0];
      const probability = typeof value === 'number' && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
      return { probability, ms: performance.now() - started };
    }, options.signal);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.queue.drained();
    await this.session.release();
  }
}

/**
 * What the model hears: the last 8 s, normalised, zero-padded at the end to 8 s (as the Python
 * extractor with `padding="max_length"` pads).
 */
export function windowOf(audio: Float32Array): Float32Array {
  const window = new Float32Array(WINDOW_SAMPLES);
  window.set(normalised(audio.subarray(Math.max(0, audio.length - WINDOW_SAMPLES))));
  return window;
}

/** The library's extractor as the model's training front-end was configured (for tests of the fast path). */
export function whisperExtractorFor8s(): WhisperFeatureExtractor {
  return new WhisperFeatureExtractor(EXTRACTOR_CONFIG);
}

/** Zero mean, unit variance (`do_normalize=True` of the Python extractor, over the audio before padding). */
function normalised(audio: Float32Array): Float32Array {
  let mean = 0;
  for (const v of audio) mean += v;
  mean /= audio.length;
  let variance = 0;
  for (const v of audio) variance += (v - mean) ** 2;
  variance /= audio.length;
  const scale = 1 / Math.sqrt(variance + 1e-7);
  const out = new Float32Array(audio.length);
  for (let i = 0; i < audio.length; i++) out[i] = ((audio[i] as number) - mean) * scale;
  return out;
}

/** ONNX files are protobuf ModelProto: field 1 (ir_version, varint) comes first, tag byte 0x08. */
function looksLikeOnnx(file: string): boolean {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(2);
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x08;
  } finally {
    closeSync(fd);
  }
}
