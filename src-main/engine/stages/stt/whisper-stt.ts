import path from 'node:path';
import type { Binding, TranscribeDetailedResult, TranscribeParams, WhisperModel } from 'smart-whisper';
import { INPUT_SAMPLE_RATE } from '../../../shared/config';
import type { StageBackend } from '../../../shared/events';
import { DisposedError, messageOf, SerialQueue, throwIfAborted } from '../stage-kit';
import { validateWhisperModelFile, type WhisperModelInfo } from './ggml-file';

export { validateWhisperModelFile, type WhisperFileHparams, type WhisperModelInfo } from './ggml-file';

/**
 * Speech-to-text with whisper.cpp through smart-whisper.
 *
 * Every call is greedy, without temperature fallback or timestamps, one segment, with the encoder
 * window (`audio_ctx`) sized to the utterance and `max_tokens` bounded by its length: on short
 * voice-assistant utterances that is what makes whisper fast (see the measurements in the stage's
 * report / docs/PERFORMANCE.md). Native calls are serialized; an aborted call rejects at once with
 * an AbortError (a queued one never runs) and the result of native work already running is thrown
 * away when it finishes.
 */

export interface WhisperSttOptions {
  modelPath: string;
  threads: number;
  gpu: boolean;
  /** Ignored by English-only (.en) models. */
  language: string;
  initialPrompt?: string;
  /** Encoder frames added to the utterance's own (50 per second). */
  audioCtxMargin?: number;
  /** Silence whisper.cpp's stderr logging (default true). Only the first load in a process decides. */
  quietNativeLogs?: boolean;
}

export interface SttTranscribeOptions {
  signal?: AbortSignal;
  /** A partial (interim) transcript: only the last 30 s window is transcribed. */
  partial?: boolean;
  /** Threads for this call (default: the load option), e.g. fewer while another stage computes. */
  threads?: number;
}

export interface SttResult {
  text: string;
  /** Length of the input audio. */
  audioMs: number;
  /** Time spent in whisper.cpp (not waiting in the queue). */
  computeMs: number;
  /** Text tokens whisper produced (special tokens not counted). */
  tokens: number;
}

const SAMPLES_PER_MS = INPUT_SAMPLE_RATE / 1000;
/** Below this, there is nothing to transcribe. */
export const MIN_AUDIO_MS = 100;
/** whisper.cpp skips input of 1 s or less ("input is too short"): shorter audio is padded with silence. */
const MIN_WHISPER_MS = 1250;
/** whisper's window. Longer audio is transcribed in windows of at most this length. */
export const WINDOW_MS = 30_000;
/** Audio beyond this (from the end) is not transcribed: keeps one call bounded. */
export const MAX_AUDIO_MS = 120_000;
const ENCODER_FRAMES_PER_SECOND = 50;
const DEFAULT_AUDIO_CTX_MARGIN = 8;
const MAX_TOKENS_CAP = 224;

/** whisper encoder frames for `ms` of audio plus a margin, rounded up to a multiple of 8. */
export function audioCtxFor(ms: number, margin = DEFAULT_AUDIO_CTX_MARGIN, modelAudioCtx = 1500): number {
  const frames = Math.ceil((ms * ENCODER_FRAMES_PER_SECOND) / 1000) + margin;
  return Math.min(modelAudioCtx, Math.ceil(frames / 8) * 8);
}

/** Upper bound on text tokens for `ms` of speech (fast speech is ~3–4 tokens/s). */
export function maxTokensFor(ms: number): number {
  return Math.min(MAX_TOKENS_CAP, Math.ceil((ms / 1000) * 5) + 8);
}

/** Whisper's own non-speech annotations: "[BLANK_AUDIO]", "(music)", "[Music]", "*laughs*", "♪". */
const NON_SPEECH = /\[[^\]]*\]|\([^)]*\)|\*[^*]*\*|[♪♫]+/g;

export function cleanTranscript(text: string): string {
  return text.replace(NON_SPEECH, ' ').replace(/\s+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// The stage
// ---------------------------------------------------------------------------------------------

type SmartWhisper = typeof import('smart-whisper');
let smartWhisper: Promise<SmartWhisper> | null = null;

function loadSmartWhisper(quiet: boolean): Promise<SmartWhisper> {
  smartWhisper ??= (async () => {
    // The binding silences whisper.cpp's stderr logging only when NODE_ENV is "production" at
    // the moment it is first loaded.
    const saved = process.env.NODE_ENV;
    if (quiet) process.env.NODE_ENV = 'production';
    try {
      const mod = await import('smart-whisper');
      return (mod.binding ? mod : (mod as unknown as { default: SmartWhisper }).default);
    } finally {
      if (quiet) {
        if (saved === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = saved;
      }
    }
  })();
  return smartWhisper;
}

type Segment = TranscribeDetailedResult<false>;

function buildBackend(options: WhisperSttOptions): StageBackend {
  const device = options.gpu && process.platform === 'darwin' ? 'metal' : 'cpu';
  return {
    device,
    detail: `whisper.cpp (smart-whisper) ${path.basename(options.modelPath)}`,
    threads: options.threads,
  };
}

export class WhisperStt {
  readonly backend: StageBackend;
  readonly info: WhisperModelInfo;
  private readonly sw: SmartWhisper;
  private model: WhisperModel | null;
  private readonly options: Required<Omit<WhisperSttOptions, 'initialPrompt'>> & { initialPrompt: string };
  /** One whisper.cpp call at a time; a caller whose signal fires walks away (a queued call is skipped). */
  private readonly native = new SerialQueue('transcription');

  private constructor(sw: SmartWhisper, model: WhisperModel, info: WhisperModelInfo, options: WhisperSttOptions) {
    this.sw = sw;
    this.model = model;
    this.info = info;
    this.options = {
      audioCtxMargin: DEFAULT_AUDIO_CTX_MARGIN,
      quietNativeLogs: true,
      ...options,
      initialPrompt: options.initialPrompt ?? '',
    };
    this.backend = buildBackend(options);
  }

  static async load(options: WhisperSttOptions): Promise<WhisperStt> {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new Error(`stt threads must be a positive integer, got ${options.threads}`);
    }
    const info = await validateWhisperModelFile(options.modelPath);
    const sw = await loadSmartWhisper(options.quietNativeLogs ?? true);
    let model: WhisperModel;
    try {
      model = await sw.WhisperModel.load(options.modelPath, options.gpu);
    } catch (err) {
      throw new Error(`whisper.cpp could not load ${options.modelPath}: ${messageOf(err)}`);
    }
    return new WhisperStt(sw, model, info, options);
  }

  /** True while a native transcription runs (possibly one whose caller gave up). */
  get busy(): boolean {
    return this.native.busy;
  }

  /** One short transcription (1 s of low noise) so the first real turn is not cold. */
  async warm(): Promise<void> {
    const noise = new Float32Array(INPUT_SAMPLE_RATE);
    let s = 12345;
    for (let i = 0; i < noise.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      noise[i] = ((s / 4294967296) * 2 - 1) * 1e-3;
    }
    await this.transcribe(noise);
  }

  async transcribe(audio: Float32Array, options: SttTranscribeOptions = {}): Promise<SttResult> {
    const { signal, partial = false } = options;
    if (!(audio instanceof Float32Array)) throw new TypeError('transcribe expects 16 kHz mono Float32Array audio');
    throwIfAborted(signal, 'transcription');
    if (!this.model) throw new DisposedError('WhisperStt');
    const audioMs = audio.length / SAMPLES_PER_MS;
    if (audioMs < MIN_AUDIO_MS) return { text: '', audioMs, computeMs: 0, tokens: 0 };

    const maxSamples = MAX_AUDIO_MS * SAMPLES_PER_MS;
    const kept = audio.length > maxSamples ? audio.subarray(audio.length - maxSamples) : audio;
    const windowSamples = WINDOW_MS * SAMPLES_PER_MS;
    const windows: Float32Array[] = [];
    for (let start = 0; start < kept.length; start += windowSamples) {
      const w = kept.subarray(start, Math.min(kept.length, start + windowSamples));
      if (w.length / SAMPLES_PER_MS >= MIN_AUDIO_MS || windows.length === 0) windows.push(w);
    }
    const todo = partial ? windows.slice(-1) : windows;

    const texts: string[] = [];
    let computeMs = 0;
    let tokens = 0;
    for (const w of todo) {
      throwIfAborted(signal, 'transcription');
      const r = await this.transcribeWindow(w, signal, options.threads);
      computeMs += r.computeMs;
      tokens += r.tokens;
      if (r.text) texts.push(r.text);
    }
    return { text: texts.join(' '), audioMs, computeMs, tokens };
  }

  private async transcribeWindow(
    window: Float32Array,
    signal?: AbortSignal,
    threads = this.options.threads,
  ): Promise<{ text: string; computeMs: number; tokens: number }> {
    const speechMs = window.length / SAMPLES_PER_MS;
    let pcm = window;
    if (speechMs < MIN_WHISPER_MS) {
      pcm = new Float32Array(MIN_WHISPER_MS * SAMPLES_PER_MS);
      pcm.set(window);
    }
    const params: Partial<TranscribeParams<'detail', false>> = {
      strategy: 0, // greedy
      best_of: 1,
      n_threads: threads,
      language: this.options.language,
      temperature: 0,
      temperature_inc: 0,
      no_timestamps: true,
      single_segment: true,
      no_context: true,
      suppress_blank: true,
      suppress_non_speech_tokens: true,
      audio_ctx: audioCtxFor(pcm.length / SAMPLES_PER_MS, this.options.audioCtxMargin, this.info.hparams.n_audio_ctx),
      max_tokens: maxTokensFor(speechMs),
      format: 'detail',
    };
    if (this.options.initialPrompt) params.initial_prompt = this.options.initialPrompt;

    const { segments, computeMs } = await this.native.run(async () => {
      const model = this.model;
      if (!model?.handle) throw new DisposedError('WhisperStt');
      const started = performance.now();
      const result = await this.callBinding(model, pcm, params);
      return { segments: result, computeMs: performance.now() - started };
    }, signal);
    const eot = this.info.multilingual ? 50257 : 50256;
    let tokens = 0;
    for (const s of segments) for (const t of s.tokens ?? []) if (t.id < eot) tokens++;
    return { text: cleanTranscript(segments.map((s) => s.text).join('')), computeMs, tokens };
  }

  private callBinding(
    model: WhisperModel,
    pcm: Float32Array,
    params: Partial<TranscribeParams<'detail', false>>,
  ): Promise<Segment[]> {
    const handle = model.handle;
    if (!handle) return Promise.reject(new DisposedError('WhisperStt'));
    const binding: typeof Binding = this.sw.binding;
    return new Promise<Segment[]>((resolve, reject) => {
      try {
        binding.transcribe<'detail', false>(
          handle,
          pcm,
          params,
          (results: unknown) => {
            // On failure the native worker calls back with an Error instead of the segments.
            if (Array.isArray(results)) resolve(results as Segment[]);
            else reject(new Error(`whisper.cpp transcription failed: ${messageOf(results)}`));
          },
          () => undefined,
        );
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  async dispose(): Promise<void> {
    const model = this.model;
    if (!model) return;
    this.model = null;
    await this.native.drained();
    await model.free();
  }
}
