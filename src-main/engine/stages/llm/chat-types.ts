/** The LLM stage's options and results (what `LlamaChat` takes and returns beyond the stage contract). */

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
  /** ms this call waited for earlier LLM work (an aborted answer's last batch, a prefill) to finish. */
  queuedMs: number;
}

export interface PrefillResult {
  /** Prompt tokens this prefill evaluated. */
  promptTokensEvaluated: number;
  /** False when a newer prefill or a respond superseded it before it finished (what it evaluated stays cached). */
  complete: boolean;
}

export interface RespondOptions {
  signal?: AbortSignal;
  /** Called with each piece of generated text, in order; the pieces concatenate to `text`. */
  onToken?: (text: string) => void;
}
