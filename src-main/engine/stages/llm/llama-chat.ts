import { loadLlamaBackend, loadModelFile } from './backend';
import type { LlamaChatOptions, LlmResponse, LlmStopReason, PrefillResult, RespondOptions } from './chat-types';
import { DispatchGate } from './dispatch-gate';
import { validateGgufFile } from './gguf-file';
import path from 'node:path';
import {
  LlamaChatSession,
  type ChatHistoryItem,
  type LlamaContext,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import type { ChatTurn, StageBackend } from '../../../shared/events';
import type { LlmStage } from '../contracts';
import { abortError, DisposedError, isAbortError, messageOf, SerialQueue, throwIfAborted } from '../stage-kit';

/**
 * The LLM stage: node-llama-cpp chat on one context sequence.
 *
 * `respond` never changes the committed history, so a speculative answer can be thrown away; it sets
 * the session's history to the committed one before prompting, and node-llama-cpp then reuses the
 * part of the KV cache that matches (system prompt + earlier turns) and evaluates only the new tail.
 * `commit` records what was actually spoken.
 *
 * The KV cache is kept aligned with the history so that no turn pays for the whole conversation:
 * - when the history budget drops the oldest turns, their tokens are erased from the cache and the
 *   later ones shifted back (llama.cpp's context shift: a RoPE update of the cached keys, not a
 *   re-evaluation), so the cached prefix stays valid;
 * - `prefill(partial)` evaluates the user's words so far while they still speak (discard-safe: it
 *   never touches the history), so at end of turn only the last words are new;
 * - `warm()` evaluates the system prompt and the (restored) history.
 */

export type { LlamaChatOptions, LlmGpu, LlmResponse, LlmStopReason, PrefillResult, RespondOptions } from './chat-types';

/** Appended to an interrupted answer so the model sees that it was cut off. */
const INTERRUPTED_MARK = ' —';
/** Chat-template tokens around one turn (role markers etc.), a conservative estimate. */
const TURN_TEMPLATE_TOKENS = 12;
/** Room kept for the next user message when fitting the history into the context. */
const USER_MESSAGE_RESERVE_TOKENS = 128;

interface StoredTurn extends ChatTurn {
  tokens: number;
}

/** Stands for "the next user message" when rendering the history to locate turns in the KV cache. */
const PROBE_USER_TEXT = 'Hello';

export class LlamaChat implements LlmStage {
  readonly backend: StageBackend;
  /** The context size actually used (the configured one clamped to the model's train context). */
  readonly contextSize: number;

  private readonly turns: StoredTurn[] = [];
  /**
   * Turns trimmed from the front of the history whose tokens may still be in the KV cache: the next
   * queued task erases them there (and shifts the rest back) instead of re-evaluating everything after.
   */
  private readonly trimmedSinceAligned: StoredTurn[] = [];
  private readonly queue = new SerialQueue('LLM');
  private systemPromptText: string;
  private baseHistory: ChatHistoryItem[];
  private budget = 0;
  private disposed = false;
  /** Aborts the generation in progress (dispose does not wait for a whole answer). */
  private generation: AbortController | undefined;
  /** Stops the prefill in progress when newer text or the real answer comes. */
  private prefillRun: AbortController | undefined;

  private constructor(
    private readonly options: LlamaChatOptions,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly session: LlamaChatSession,
    private readonly gate: DispatchGate,
    backend: StageBackend,
  ) {
    this.backend = backend;
    this.contextSize = context.contextSize;
    this.systemPromptText = options.systemPrompt;
    this.baseHistory = session.getChatHistory();
    this.budget = this.budgetFor(options.systemPrompt);
  }

  static async load(options: LlamaChatOptions): Promise<LlamaChat> {
    const size = await validateGgufFile(options.modelPath);
    let { llama, fallbackReason } = await loadLlamaBackend(options.gpu);
    let model: LlamaModel;
    try {
      model = await loadModelFile(llama, options.modelPath, size);
    } catch (error) {
      if (options.gpu !== 'auto' || llama.gpu === false) throw error;
      // The GPU backend loaded but this model does not fit or load there: try the CPU.
      ({ llama } = await loadLlamaBackend('off'));
      fallbackReason = `model load on ${String(llama.gpu)} failed: ${messageOf(error)}`;
      model = await loadModelFile(llama, options.modelPath, size);
    }
    let context: LlamaContext;
    const gate = new DispatchGate();
    try {
      context = await model.createContext({
        contextSize: Math.min(options.contextSize, model.trainContextSize),
        threads: options.threads,
        // One sequence is used. With a single sequence node-llama-cpp dispatches each batch at once,
        // bypassing the schedule; with a spare one (its KV cells stay empty) the gate is consulted.
        sequences: 2,
        batching: { dispatchSchedule: gate.schedule },
      });
    } catch (error) {
      await model.dispose();
      throw new Error(`cannot create a ${options.contextSize}-token context for ${options.modelPath}: ${messageOf(error)}`);
    }
    const session = new LlamaChatSession({
      contextSequence: context.getSequence(),
      systemPrompt: options.systemPrompt,
    });
    const device = llama.gpu === false ? 'cpu' : llama.gpu;
    const detail =
      `node-llama-cpp (llama.cpp) ${path.basename(options.modelPath)}, ` +
      `${session.chatWrapper.wrapperName} template, context ${context.contextSize}` +
      (fallbackReason ? `; GPU not used: ${fallbackReason}` : '');
    return new LlamaChat(options, model, context, session, gate, { device, detail, threads: options.threads });
  }

  /**
   * Pauses token generation (between tokens) until the returned release is called, so a more
   * urgent job has the cores: the engine holds it while an answer's first unit is synthesized.
   */
  hold(): () => void {
    return this.gate.hold();
  }

  /** The history budget actually applied (also bounded by what fits in the context). */
  get historyTokenBudget(): number {
    return this.budget;
  }

  get systemPrompt(): string {
    return this.systemPromptText;
  }

  /**
   * Evaluates the system prompt and the committed history (call `restore` first) into the KV cache,
   * so the first answer evaluates only its own message.
   */
  async warm(): Promise<void> {
    this.assertUsable();
    await this.queue.run(async () => {
      this.assertUsable();
      await this.alignTrimmedTurns();
      this.session.setChatHistory(this.chatHistory());
      await this.session.preloadPrompt('');
    });
  }

  /**
   * Generates the answer to `userText` after the committed history, streaming text through
   * `onToken`. Bounded by maxTokens and timeoutMs; an abort (signal or timeout) returns what was
   * generated so far with `aborted: true`. The committed history is not changed. A prefill in
   * progress is stopped (what it evaluated is reused).
   */
  respond(userText: string, { signal, onToken }: RespondOptions = {}): Promise<LlmResponse> {
    if (this.disposed) return Promise.reject(new DisposedError('LlamaChat'));
    this.prefillRun?.abort();
    const called = performance.now();
    return this.queue.run(() => this.generate(userText, signal, onToken, called));
  }

  /**
   * Evaluates the committed history and the user's message so far into the KV cache without
   * generating, so that a following `respond` with the final text evaluates only what differs
   * (the longest common token prefix is reused). Never changes the committed history. A newer
   * prefill or a respond supersedes it (it then resolves with `complete: false`); the caller's
   * signal makes it reject with an AbortError. Either way the cache stays consistent.
   */
  async prefill(partialUserText: string, { signal }: { signal?: AbortSignal } = {}): Promise<PrefillResult> {
    this.assertUsable();
    throwIfAborted(signal, 'LLM prefill');
    this.prefillRun?.abort();
    const controller = new AbortController();
    this.prefillRun = controller;
    const onAbort = (): void => controller.abort(abortError(signal, 'LLM prefill'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.queue.run(async () => {
        if (controller.signal.aborted) return { promptTokensEvaluated: 0, complete: false };
        this.assertUsable();
        await this.alignTrimmedTurns();
        const meterBefore = this.session.sequence.tokenMeter.getState();
        try {
          this.session.setChatHistory(this.chatHistory());
          await this.session.preloadPrompt(partialUserText, { signal: controller.signal });
        } catch (error) {
          if (!controller.signal.aborted && !isAbortError(error)) throw error;
        }
        return {
          promptTokensEvaluated: this.session.sequence.tokenMeter.diff(meterBefore).usedInputTokens,
          complete: !controller.signal.aborted,
        };
      }, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.prefillRun === controller) this.prefillRun = undefined;
    }
  }

  /**
   * Replaces the system prompt from the next answer on (that answer re-evaluates the prompt and the
   * history once). The history budget is recomputed; the oldest turns go if the new prompt is longer.
   */
  setSystemPrompt(text: string): void {
    this.assertUsable();
    if (text === this.systemPromptText) return;
    this.systemPromptText = text;
    this.baseHistory = this.session.chatWrapper.generateInitialChatHistory({ systemPrompt: text });
    this.budget = this.budgetFor(text);
    this.trimHistory();
    // The cached tokens follow the old prompt: nothing there lines up with the new history.
    this.trimmedSinceAligned.length = 0;
  }

  /** Appends a finished turn; the oldest turns are dropped to keep within the history budget. */
  commit(user: string, assistantSpoken: string, interrupted: boolean): void {
    this.assertUsable();
    this.turns.push(this.storedTurn({ user, assistant: assistantSpoken, interrupted }));
    this.trimHistory();
    if (this.trimmedSinceAligned.length > 0) {
      // Off the next answer's critical path; a failure only costs that answer a re-evaluation.
      this.queue.run(() => this.alignTrimmedTurns()).catch(() => undefined);
    }
  }

  history(): ChatTurn[] {
    return this.turns.map(({ user, assistant, interrupted }) => ({ user, assistant, interrupted }));
  }

  /** Replaces the history (e.g. with a journaled conversation), within the budget. Call `warm` after. */
  restore(turns: readonly ChatTurn[]): void {
    this.assertUsable();
    this.turns.splice(0, this.turns.length, ...turns.map((turn) => this.storedTurn(turn)));
    this.trimHistory();
    this.trimmedSinceAligned.length = 0;
  }

  clear(): void {
    this.turns.length = 0;
    this.trimmedSinceAligned.length = 0;
  }

  /** Tokens the committed history counts against the budget. */
  historyTokens(): number {
    return this.turns.reduce((sum, turn) => sum + turn.tokens, 0);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.generation?.abort(new DisposedError('LlamaChat'));
    this.prefillRun?.abort(new DisposedError('LlamaChat'));
    await this.queue.drained();
    this.session.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private async generate(
    userText: string,
    signal: AbortSignal | undefined,
    onToken: ((text: string) => void) | undefined,
    called: number,
  ): Promise<LlmResponse> {
    const queuedMs = performance.now() - called;
    if (signal?.aborted) return { text: '', tokens: 0, aborted: true, reason: 'aborted', promptTokensEvaluated: 0, queuedMs };
    this.assertUsable();
    await this.alignTrimmedTurns();

    const controller = new AbortController();
    this.generation = controller;
    let reason: LlmStopReason | undefined;
    const onAbort = (): void => {
      reason ??= 'aborted';
      controller.abort(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      reason ??= 'timeout';
      controller.abort(new Error(`LLM answer timed out after ${this.options.timeoutMs} ms`));
    }, this.options.timeoutMs);

    const sequence = this.session.sequence;
    const meterBefore = sequence.tokenMeter.getState();
    let text = '';
    let tokens = 0;
    let firstTokenMs: number | undefined;
    try {
      this.session.setChatHistory(this.chatHistory());
      const result = await this.session.promptWithMeta(userText, {
        maxTokens: this.options.maxTokens,
        temperature: this.options.temperature,
        seed: this.options.seed,
        signal: controller.signal,
        stopOnAbortSignal: true,
        onToken: (generated) => {
          tokens += generated.length;
        },
        onTextChunk: (chunk) => {
          if (!chunk) return;
          firstTokenMs ??= performance.now() - called;
          text += chunk;
          onToken?.(chunk);
        },
      });
      if (result.stopReason === 'abort') reason ??= 'aborted';
      else if (result.stopReason === 'maxTokens') reason ??= 'maxTokens';
      else reason ??= 'end';
    } catch (error) {
      // An abort before the first token makes node-llama-cpp throw instead of returning.
      if (!controller.signal.aborted) throw error;
      reason ??= 'aborted';
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.generation = undefined;
    }
    const aborted = reason === 'aborted' || reason === 'timeout';
    return {
      text,
      tokens,
      aborted,
      reason,
      firstTokenMs,
      promptTokensEvaluated: sequence.tokenMeter.diff(meterBefore).usedInputTokens,
      queuedMs,
    };
  }

  /**
   * Erases the trimmed turns' tokens from the KV cache and shifts what follows back, so the cache
   * again starts with system prompt + the kept history. Does nothing when the cache does not hold
   * exactly those tokens (the next answer then re-evaluates from the first difference, as usual).
   */
  private async alignTrimmedTurns(): Promise<void> {
    if (this.trimmedSinceAligned.length === 0) return;
    const trimmed = this.trimmedSinceAligned.splice(0);
    const withTrimmed = this.renderTokens([...trimmed, ...this.turns]);
    const kept = this.renderTokens(this.turns);
    const start = commonPrefixLength(withTrimmed, kept);
    const end = start + withTrimmed.length - kept.length;
    if (end <= start || !tokensEqual(withTrimmed.slice(end), kept.slice(start))) return;
    const cached = this.session.sequence.contextTokens;
    if (cached.length < end || !tokensEqual(cached.slice(0, end), withTrimmed.slice(0, end))) return;
    await this.session.sequence.eraseContextTokenRanges([{ start, end }]);
  }

  /** The tokens node-llama-cpp evaluates for `turns` followed by a user message. */
  private renderTokens(turns: readonly StoredTurn[]): Token[] {
    const chatHistory: ChatHistoryItem[] = [
      ...this.historyItems(turns),
      { type: 'user', text: PROBE_USER_TEXT },
      { type: 'model', response: [] },
    ];
    return this.session.chatWrapper.generateContextState({ chatHistory }).contextText.tokenize(this.model.tokenizer);
  }

  private chatHistory(): ChatHistoryItem[] {
    return this.historyItems(this.turns);
  }

  private historyItems(turns: readonly StoredTurn[]): ChatHistoryItem[] {
    const items: ChatHistoryItem[] = structuredClone(this.baseHistory);
    for (const turn of turns) {
      items.push({ type: 'user', text: turn.user });
      items.push({ type: 'model', response: [assistantAsSeenByModel(turn)] });
    }
    return items;
  }

  private budgetFor(systemPrompt: string): number {
    const systemTokens = this.model.tokenize(systemPrompt).length + TURN_TEMPLATE_TOKENS;
    const fits = this.contextSize - systemTokens - this.options.maxTokens - USER_MESSAGE_RESERVE_TOKENS;
    return Math.max(0, Math.min(this.options.historyTokenBudget, fits));
  }

  private storedTurn(turn: ChatTurn): StoredTurn {
    const tokens =
      this.model.tokenize(turn.user).length +
      this.model.tokenize(assistantAsSeenByModel(turn)).length +
      TURN_TEMPLATE_TOKENS;
    return { user: turn.user, assistant: turn.assistant, interrupted: turn.interrupted, tokens };
  }

  private trimHistory(): void {
    let total = this.historyTokens();
    while (this.turns.length > 0 && total > this.budget) {
      const dropped = this.turns.shift() as StoredTurn;
      this.trimmedSinceAligned.push(dropped);
      total -= dropped.tokens;
    }
  }

  private assertUsable(): void {
    if (this.disposed) throw new DisposedError('LlamaChat');
  }
}

function assistantAsSeenByModel(turn: ChatTurn): string {
  if (!turn.interrupted) return turn.assistant;
  return `${turn.assistant.trimEnd()}${INTERRUPTED_MARK}`.trimStart();
}

function commonPrefixLength(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function tokensEqual(a: readonly Token[], b: readonly Token[]): boolean {
  return a.length === b.length && commonPrefixLength(a, b) === a.length;
}
