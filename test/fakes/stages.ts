/**
 * FAKE stages for race tests: every call is recorded and settles when the test says so (or at
 * once, in `auto` mode). They exist to make the order of completions controllable; the real
 * stages are tested with real models elsewhere (stt/llm/tts/vad/engine tests).
 */
import { abortError } from '../../src-main/engine/stages/stage-kit';
import type { LlmStage, SpeechStages, SttStage, TtsStage, VadStage } from '../../src-main/engine/stages/contracts';
import type { ChatTurn } from '../../src-main/shared/events';
import type { StageBackend } from '../../src-main/shared/events';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const d: Deferred<T> = {
    promise: new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    }),
    resolve: (value) => {
      d.settled = true;
      resolve(value);
    },
    reject: (error) => {
      d.settled = true;
      reject(error);
    },
    settled: false,
  };
  d.promise.catch(() => undefined);
  return d;
}

const backend = (name: string): StageBackend => ({ device: 'cpu', detail: `FAKE ${name}` });

/** Settles a deferred with an AbortError when the signal fires. */
function abortable<T>(d: Deferred<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal?.aborted) d.reject(abortError(signal, what));
  signal?.addEventListener('abort', () => !d.settled && d.reject(abortError(signal, what)), { once: true });
  return d.promise;
}

/**
 * FAKE VAD: the probability of a window is its first sample (tests build frames whose samples
 * all equal the probability they want: see `frames` in harness.ts).
 */
export class FakeVad implements VadStage {
  readonly backend = backend('vad');
  resets = 0;
  async warm(): Promise<void> {}
  async dispose(): Promise<void> {}
  probability(window: Float32Array): Promise<number> {
    return Promise.resolve(Math.min(1, Math.abs(window[0] ?? 0)));
  }
  reset(): void {
    this.resets++;
  }
}

export interface SttCall {
  audio: Float32Array;
  signal?: AbortSignal;
  partial: boolean;
  threads?: number;
  result: Deferred<{ text: string }>;
  /** Settles the call with this transcript. */
  say(text: string): void;
}

export class FakeStt implements SttStage {
  readonly backend = backend('stt');
  readonly calls: SttCall[] = [];
  /** When set, every call settles at once with this function's transcript. */
  auto: ((audio: Float32Array, partial: boolean) => string) | undefined;
  async warm(): Promise<void> {}
  async dispose(): Promise<void> {}
  transcribe(audio: Float32Array, options: { signal?: AbortSignal; partial?: boolean; threads?: number }): Promise<{ text: string }> {
    const result = deferred<{ text: string }>();
    const call: SttCall = { audio, signal: options.signal, partial: options.partial === true, threads: options.threads, result, say: (text) => result.resolve({ text }) };
    this.calls.push(call);
    if (this.auto) call.say(this.auto(audio, call.partial));
    return abortable(result, options.signal, 'transcription');
  }
  /** Non-partial calls, in order. */
  get finals(): SttCall[] {
    return this.calls.filter((c) => !c.partial);
  }
}

export interface LlmCall {
  userText: string;
  signal?: AbortSignal;
  tokens: string[];
  /** Streams tokens of the reply. */
  token(...pieces: string[]): void;
  /** Ends the reply. */
  finish(): void;
  done: Deferred<{ text: string; tokens: number; aborted: boolean }>;
}

export class FakeLlm implements LlmStage {
  readonly backend = backend('llm');
  readonly calls: LlmCall[] = [];
  readonly commits: ChatTurn[] = [];
  restored: ChatTurn[] = [];
  systemPrompt = '';
  /** When set, every call streams these tokens and finishes at once. */
  auto: string[] | undefined;
  async warm(): Promise<void> {}
  async dispose(): Promise<void> {}
  respond(userText: string, options: { signal?: AbortSignal; onToken?: (text: string) => void }): Promise<{ text: string; tokens: number; aborted: boolean }> {
    const done = deferred<{ text: string; tokens: number; aborted: boolean }>();
    const call: LlmCall = {
      userText,
      signal: options.signal,
      tokens: [],
      token: (...pieces) => {
        for (const piece of pieces) {
          if (options.signal?.aborted || done.settled) return;
          call.tokens.push(piece);
          options.onToken?.(piece);
        }
      },
      finish: () => done.resolve({ text: call.tokens.join(''), tokens: call.tokens.length, aborted: false }),
      done,
    };
    this.calls.push(call);
    options.signal?.addEventListener('abort', () => !done.settled && done.resolve({ text: call.tokens.join(''), tokens: call.tokens.length, aborted: true }), { once: true });
    if (this.auto) {
      call.token(...this.auto);
      call.finish();
    }
    return done.promise;
  }
  /** Prefill calls (they stay pending until aborted: a prefill is superseded, never awaited). */
  readonly prefills: Array<{ text: string; signal?: AbortSignal }> = [];
  prefill(partialUserText: string, options: { signal?: AbortSignal }): Promise<unknown> {
    this.prefills.push({ text: partialUserText, signal: options.signal });
    return abortable(deferred<unknown>(), options.signal, 'prefill');
  }
  commit(user: string, assistant: string, interrupted: boolean): void {
    this.commits.push({ user, assistant, interrupted });
  }
  restore(turns: readonly ChatTurn[]): void {
    this.restored = [...turns];
  }
  clear(): void {
    this.commits.length = 0;
  }
  setSystemPrompt(text: string): void {
    this.systemPrompt = text;
  }
}

export interface TtsCall {
  text: string;
  signal?: AbortSignal;
  voice?: string;
  speed?: number;
  result: Deferred<Float32Array>;
  /** Settles with `samples` of audio (default: 100 ms per word at 24 kHz). */
  speak(samples?: number): void;
}

export class FakeTts implements TtsStage {
  readonly backend = backend('tts');
  readonly calls: TtsCall[] = [];
  auto = false;
  async warm(): Promise<void> {}
  async dispose(): Promise<void> {}
  get busy(): boolean {
    return this.calls.some((c) => !c.result.settled);
  }
  synthesize(text: string, options: { signal?: AbortSignal; voice?: string; speed?: number }): Promise<Float32Array> {
    const result = deferred<Float32Array>();
    const call: TtsCall = {
      text,
      signal: options.signal,
      voice: options.voice,
      speed: options.speed,
      result,
      speak: (samples) => result.resolve(new Float32Array(samples ?? 2400 * Math.max(1, text.split(/\s+/).length)).fill(0.1)),
    };
    this.calls.push(call);
    if (this.auto) call.speak();
    return abortable(result, options.signal, 'synthesis');
  }
}

export interface FakeStages extends SpeechStages {
  vad: FakeVad;
  stt: FakeStt;
  llm: FakeLlm;
  tts: FakeTts;
}

export function fakeStages(): FakeStages {
  return { vad: new FakeVad(), stt: new FakeStt(), llm: new FakeLlm(), tts: new FakeTts() };
}
