import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  type ChatHistoryItem,
  type Llama,
  type LlamaContext,
  type LlamaModel,
} from 'node-llama-cpp';
import type { StageBackend } from './events';
import type { LlmStage } from './stages';

/**
 * The LLM stage: node-llama-cpp chat on one context sequence.
 *
 * `respond` never changes the committed history, so a speculative answer can be thrown away; it sets
 * the session's history to the committed one before prompting, and node-llama-cpp then reuses the
 * part of the KV cache that matches (system prompt + earlier turns) and evaluates only the new tail.
 * `commit` records what was actually spoken.
 */

export type LlmGpu = 'auto' | 'off' | 'cuda' | 'vulkan' | 'metal';

export interface LlamaChatOptions {
  modelPath: string;
  threads: number;
  gpu: LlmGpu;
  contextSize: number;
  systemPrompt: string;
  maxTokens: number;
  timeoutMs: number;
  /** Committed turns older than this many tokens are dropped (the system prompt is always kept). */
  historyTokenBudget: number;
  temperature: number;
  seed?: number;
}

export interface ChatTurn {
  user: string;
  /** What the assistant actually said (for an interrupted turn: up to where it was cut off). */
  assistant: string;
  interrupted: boolean;
}

export type LlmStopReason = 'end' | 'maxTokens' | 'timeout' | 'aborted';

export interface LlmResponse {
  text: string;
  /** Generated tokens. */
  tokens: number;
  aborted: boolean;
  /** Why generation stopped; 'timeout' and 'aborted' come with `aborted: true`. */
  reason: LlmStopReason;
  /** ms from the call to the first text chunk; undefined when nothing was generated. */
  firstTokenMs?: number;
  /** Prompt tokens this call had to evaluate (the rest of the prompt came from the KV cache). */
  promptTokensEvaluated: number;
}

export interface RespondOptions {
  signal?: AbortSignal;
  /** Called with each piece of generated text, in order; the pieces concatenate to `text`. */
  onToken?: (text: string) => void;
}

const DOWNLOAD_HINT =
  'Download a chat model with `npm run models -- download <id>` (e.g. qwen2.5-0.5b-instruct-q4_k_m, ' +
  'ids in models/manifest.json) and set models.llm to its path.';
/** Appended to an interrupted answer so the model sees that it was cut off. */
const INTERRUPTED_MARK = ' —';
/** Chat-template tokens around one turn (role markers etc.), a conservative estimate. */
const TURN_TEMPLATE_TOKENS = 12;
/** Room kept for the next user message when fitting the history into the context. */
const USER_MESSAGE_RESERVE_TOKENS = 128;

// ---------------------------------------------------------------------------------------------
// One Llama (the native backend) per GPU setting per process; llama.cpp's log goes to a ring buffer
// so load errors can quote it instead of it being printed.

const recentLlamaLog: string[] = [];
function llamaLogger(level: LlamaLogLevel, message: string): void {
  recentLlamaLog.push(`${level}: ${message.trim()}`);
  if (recentLlamaLog.length > 50) recentLlamaLog.shift();
}

interface LlamaBackend {
  llama: Llama;
  /** Set when a GPU backend was asked for ('auto') and the CPU was used instead. */
  fallbackReason?: string;
}

const llamaBackends = new Map<LlmGpu, Promise<LlamaBackend>>();

function loadLlamaBackend(gpu: LlmGpu): Promise<LlamaBackend> {
  let backend = llamaBackends.get(gpu);
  if (!backend) {
    backend = createLlamaBackend(gpu);
    llamaBackends.set(gpu, backend);
    backend.catch(() => llamaBackends.delete(gpu));
  }
  return backend;
}

async function createLlamaBackend(gpu: LlmGpu): Promise<LlamaBackend> {
  const common = {
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.warn,
    logger: llamaLogger,
  } as const;
  if (gpu === 'off') return { llama: await getLlama({ ...common, gpu: false }) };
  if (gpu !== 'auto') {
    try {
      return { llama: await getLlama({ ...common, gpu }) };
    } catch (error) {
      throw new Error(
        `cannot load llama.cpp's ${gpu} backend (${errorMessage(error)}). Set llm.gpu to "auto" or "off".`,
      );
    }
  }
  try {
    const llama = await getLlama({ ...common, gpu: 'auto' });
    return llama.gpu === false ? { llama, fallbackReason: 'no GPU backend available' } : { llama };
  } catch (error) {
    return { llama: await getLlama({ ...common, gpu: false }), fallbackReason: errorMessage(error) };
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// File validation: a clear message for the wrong file instead of a llama.cpp abort.

async function validateGgufFile(modelPath: string): Promise<number> {
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
    throw new Error(`cannot read LLM model file ${modelPath}: ${errorMessage(error)}`);
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

async function loadModelFile(llama: Llama, modelPath: string, size: number): Promise<LlamaModel> {
  const logStart = recentLlamaLog.length;
  try {
    return await llama.loadModel({ modelPath });
  } catch (error) {
    const llamaSays = recentLlamaLog
      .slice(logStart)
      .filter((line) => line.startsWith('error'))
      .map((line) => line.replace(/^error: /, ''))
      .join('; ');
    throw new Error(
      `${modelPath} could not be loaded as a GGUF chat model (${size} bytes): ${errorMessage(error)}` +
        `${llamaSays ? ` (llama.cpp: ${llamaSays})` : ''}. The file is probably truncated or corrupted; ` +
        `download it again with \`npm run models -- download <id>\`.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

interface StoredTurn extends ChatTurn {
  tokens: number;
}

export class LlamaChat implements LlmStage {
  readonly backend: StageBackend;
  /** The context size actually used (the configured one clamped to the model's train context). */
  readonly contextSize: number;
  /** The history budget actually applied (also bounded by what fits in the context). */
  readonly historyTokenBudget: number;

  private turns: StoredTurn[] = [];
  private readonly baseHistory: ChatHistoryItem[];
  /** Serialises respond/warm/dispose: one sequence, one generation at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** Aborts the generation in progress (dispose does not wait for a whole answer). */
  private inFlight?: AbortController;

  private constructor(
    private readonly options: LlamaChatOptions,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly session: LlamaChatSession,
    backend: StageBackend,
  ) {
    this.backend = backend;
    this.contextSize = context.contextSize;
    this.baseHistory = session.getChatHistory();
    const systemTokens = model.tokenize(options.systemPrompt).length + TURN_TEMPLATE_TOKENS;
    const fits = this.contextSize - systemTokens - options.maxTokens - USER_MESSAGE_RESERVE_TOKENS;
    this.historyTokenBudget = Math.max(0, Math.min(options.historyTokenBudget, fits));
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
      fallbackReason = `model load on ${String(llama.gpu)} failed: ${errorMessage(error)}`;
      model = await loadModelFile(llama, options.modelPath, size);
    }
    let context: LlamaContext;
    try {
      context = await model.createContext({
        contextSize: Math.min(options.contextSize, model.trainContextSize),
        threads: options.threads,
        sequences: 1,
      });
    } catch (error) {
      await model.dispose();
      throw new Error(`cannot create a ${options.contextSize}-token context for ${options.modelPath}: ${errorMessage(error)}`);
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
    return new LlamaChat(options, model, context, session, { device, detail, threads: options.threads });
  }

  /** Evaluates the system prompt and history into the KV cache and generates one token. */
  async warm(): Promise<void> {
    await this.exclusive(async () => {
      this.session.setChatHistory(this.chatHistory());
      await this.session.prompt('Hello', { maxTokens: 1, temperature: 0 });
      this.session.setChatHistory(this.chatHistory());
    });
  }

  /**
   * Generates the answer to `userText` after the committed history, streaming text through
   * `onToken`. Bounded by maxTokens and timeoutMs; an abort (signal or timeout) returns what was
   * generated so far with `aborted: true`. The committed history is not changed.
   */
  respond(userText: string, { signal, onToken }: RespondOptions = {}): Promise<LlmResponse> {
    return this.exclusive(() => this.generate(userText, signal, onToken));
  }

  /** Appends a finished turn; the oldest turns are dropped to keep within the history budget. */
  commit(user: string, assistantSpoken: string, interrupted: boolean): void {
    this.assertUsable();
    this.turns.push(this.storedTurn({ user, assistant: assistantSpoken, interrupted }));
    this.trimHistory();
  }

  history(): ChatTurn[] {
    return this.turns.map(({ user, assistant, interrupted }) => ({ user, assistant, interrupted }));
  }

  /** Replaces the history (e.g. with a journaled conversation), within the budget. */
  restore(turns: readonly ChatTurn[]): void {
    this.assertUsable();
    this.turns = turns.map((turn) => this.storedTurn(turn));
    this.trimHistory();
  }

  clear(): void {
    this.turns = [];
  }

  /** Replaces the system prompt; the next answer evaluates the new prefix (the history is kept). */
  setSystemPrompt(text: string): void {
    this.assertUsable();
    const index = this.baseHistory.findIndex((item) => item.type === 'system');
    const item: ChatHistoryItem = { type: 'system', text };
    if (index >= 0) this.baseHistory[index] = item;
    else this.baseHistory.unshift(item);
  }

  /** Tokens the committed history counts against the budget. */
  historyTokens(): number {
    return this.turns.reduce((sum, turn) => sum + turn.tokens, 0);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.inFlight?.abort(new Error('LlamaChat disposed'));
    await this.queue.catch(() => undefined);
    this.session.dispose();
    await this.context.dispose();
    await this.model.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private async generate(
    userText: string,
    signal: AbortSignal | undefined,
    onToken: ((text: string) => void) | undefined,
  ): Promise<LlmResponse> {
    const started = performance.now();
    if (signal?.aborted) return { text: '', tokens: 0, aborted: true, reason: 'aborted', promptTokensEvaluated: 0 };

    const controller = new AbortController();
    this.inFlight = controller;
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
          firstTokenMs ??= performance.now() - started;
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
      this.inFlight = undefined;
    }
    const aborted = reason === 'aborted' || reason === 'timeout';
    return {
      text,
      tokens,
      aborted,
      reason,
      firstTokenMs,
      promptTokensEvaluated: sequence.tokenMeter.diff(meterBefore).usedInputTokens,
    };
  }

  private chatHistory(): ChatHistoryItem[] {
    const items: ChatHistoryItem[] = structuredClone(this.baseHistory);
    for (const turn of this.turns) {
      items.push({ type: 'user', text: turn.user });
      items.push({ type: 'model', response: [assistantAsSeenByModel(turn)] });
    }
    return items;
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
    while (this.turns.length > 0 && total > this.historyTokenBudget) {
      total -= (this.turns.shift() as StoredTurn).tokens;
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('LlamaChat is disposed'));
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('LlamaChat is disposed');
  }
}

function assistantAsSeenByModel(turn: ChatTurn): string {
  if (!turn.interrupted) return turn.assistant;
  return `${turn.assistant.trimEnd()}${INTERRUPTED_MARK}`.trimStart();
}
