import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaChat, type LlamaChatOptions } from '../../../src-main/engine/stages/llm/llama-chat';
import type { ChatTurn } from '../../../src-main/shared/events';
import { cacheDir, sharedPath } from '../../../src-main/tools/dev/shared-data';

// stories260K: a real, tiny llama GGUF without a chat template (node-llama-cpp picks a generic wrapper).
const MODEL = sharedPath('models/llm/stories260K.gguf');

function options(overrides: Partial<LlamaChatOptions> = {}): LlamaChatOptions {
  return {
    modelPath: MODEL,
    threads: 1,
    gpu: 'auto',
    contextSize: 4096,
    systemPrompt: 'You are a helpful assistant who tells short stories about animals.',
    maxTokens: 24,
    timeoutMs: 30_000,
    historyTokenBudget: 1500,
    temperature: 0,
    ...overrides,
  };
}

function longHistory(count: number): ChatTurn[] {
  return Array.from({ length: count }, (_, i) => ({
    user: `Tell me story number ${i} about a dog and a cat who play in the park.`,
    assistant: `Once upon a time, there was a little dog named Tim. He liked to play with a cat in the park, day ${i}.`,
    interrupted: false,
  }));
}

const chats: LlamaChat[] = [];
async function load(overrides: Partial<LlamaChatOptions> = {}): Promise<LlamaChat> {
  const chat = await LlamaChat.load(options(overrides));
  chats.push(chat);
  return chat;
}

afterAll(async () => {
  for (const chat of chats) await chat.dispose();
});

describe('LlamaChat on stories260K (real node-llama-cpp)', () => {
  let chat: LlamaChat;
  beforeAll(async () => {
    chat = await load();
  });

  it('loads on the CPU with explicit threads and clamps the context to the train context', () => {
    expect(chat.backend.device).toBe('cpu');
    expect(chat.backend.threads).toBe(1);
    expect(chat.backend.detail).toContain('stories260K.gguf');
    expect(chat.contextSize).toBe(2048); // stories260K's train context; 4096 was asked for
    expect(chat.historyTokenBudget).toBeLessThanOrEqual(1500);
  });

  it('warm() preloads the system prompt into the KV cache and leaves the history empty', async () => {
    await chat.warm();
    expect(chat.history()).toEqual([]);
    const warmed = await chat.respond('Once upon a time');
    const cold = await (await load()).respond('Once upon a time');
    console.log(`prompt tokens evaluated by the first answer: warmed ${warmed.promptTokensEvaluated}, cold ${cold.promptTokensEvaluated}`);
    // Only the new user message (+ template tokens) is evaluated; the system prompt was cached.
    expect(warmed.promptTokensEvaluated).toBeGreaterThan(0);
    expect(warmed.promptTokensEvaluated + 10).toBeLessThan(cold.promptTokensEvaluated);
    expect(warmed.text).toBe(cold.text);
  });

  it('streams text chunks in order; their concatenation is the answer; maxTokens bounds it', async () => {
    const chunks: string[] = [];
    const reply = await chat.respond('Tell me a story about a bird.', { onToken: (text) => chunks.push(text) });
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('')).toBe(reply.text);
    expect(reply.text.trim().length).toBeGreaterThan(10);
    expect(reply.reason).toBe('maxTokens');
    expect(reply.tokens).toBe(24);
    expect(reply.aborted).toBe(false);
    expect(reply.firstTokenMs).toBeGreaterThan(0);
  });

  it('stops promptly when the signal aborts mid-generation, returning what was produced', async () => {
    const big = await load({ maxTokens: 3000 });
    const controller = new AbortController();
    let chunks = 0;
    let chunksAfterAbort = 0;
    let abortedAt = 0;
    const reply = await big.respond('Once upon a time', {
      signal: controller.signal,
      onToken: () => {
        chunks++;
        if (abortedAt) chunksAfterAbort++;
        if (chunks === 10) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    const latencyMs = performance.now() - abortedAt;
    console.log(`abort → respond returned in ${latencyMs.toFixed(1)} ms`);
    expect(reply.aborted).toBe(true);
    expect(reply.reason).toBe('aborted');
    expect(chunksAfterAbort).toBeLessThanOrEqual(1);
    expect(reply.tokens).toBeLessThan(15);
    expect(reply.text.length).toBeGreaterThan(0);
    expect(latencyMs).toBeLessThan(50);

    const preAborted = await big.respond('Hello', { signal: AbortSignal.abort() });
    expect(preAborted).toMatchObject({ aborted: true, reason: 'aborted', text: '', tokens: 0 });
  });

  it('times out: returns the partial answer with aborted=true and reason "timeout"', async () => {
    const slow = await load({ maxTokens: 100_000, timeoutMs: 400 });
    await slow.warm();
    const started = performance.now();
    const reply = await slow.respond('Once upon a time');
    const elapsed = performance.now() - started;
    expect(reply).toMatchObject({ aborted: true, reason: 'timeout' });
    expect(reply.tokens).toBeGreaterThan(0);
    expect(reply.tokens).toBeLessThan(100_000);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(400 + 1000);
  });

  it('reuses the evaluated prefix (system prompt + earlier turns) across turns', async () => {
    const talk = await load();
    talk.restore(longHistory(12));
    const first = await talk.respond('What happened next?');
    talk.commit('What happened next?', first.text, false);
    const second = await talk.respond('And then?');

    const fresh = await load();
    fresh.restore(talk.history());
    const cold = await fresh.respond('And then?');

    console.log(
      `history ${talk.historyTokens()} tokens; turn 1: ${first.promptTokensEvaluated} prompt tokens evaluated, ` +
        `first token ${first.firstTokenMs?.toFixed(0)} ms; turn 2: ${second.promptTokensEvaluated} evaluated, ` +
        `first token ${second.firstTokenMs?.toFixed(0)} ms; fresh context, same prompt: ` +
        `${cold.promptTokensEvaluated} evaluated, first token ${cold.firstTokenMs?.toFixed(0)} ms`,
    );
    expect(first.promptTokensEvaluated).toBeGreaterThan(500);
    expect(cold.promptTokensEvaluated).toBeGreaterThan(500);
    // Turn 2 evaluates only the last answer and the new message, not the whole history.
    expect(second.promptTokensEvaluated).toBeLessThan(80);
    expect(second.promptTokensEvaluated * 10).toBeLessThan(cold.promptTokensEvaluated);
    expect(second.text).toBe(cold.text); // same prompt, temperature 0: same answer
  });

  it('a speculative respond without commit leaves the history (and the next prompt) unchanged', async () => {
    const talk = await load();
    talk.commit('Tell me about a cat.', 'Once upon a time there was a cat.', false);
    const before = talk.history();
    const speculative = await talk.respond('Tell me about a');
    expect(speculative.text.length).toBeGreaterThan(0);
    expect(talk.history()).toEqual(before);

    const real = await talk.respond('Tell me about a dog.');
    // The thrown-away answer is not part of the prompt: only the differing tail is re-evaluated.
    expect(real.promptTokensEvaluated).toBeLessThan(15);
    const fresh = await load();
    fresh.restore(before);
    const reference = await fresh.respond('Tell me about a dog.');
    expect(real.text).toBe(reference.text);
  });

  it('commit keeps what was spoken, flags interruptions and trims the oldest turns to the budget', async () => {
    const talk = await load({ historyTokenBudget: 120 });
    expect(talk.historyTokenBudget).toBe(120);
    for (let i = 0; i < 8; i++) {
      talk.commit(`Question number ${i} about the dog?`, `The dog ran to the park ${i} times.`, i === 7);
    }
    const turns = talk.history();
    expect(talk.historyTokens()).toBeLessThanOrEqual(120);
    expect(turns.length).toBeGreaterThan(1);
    expect(turns.length).toBeLessThan(8);
    expect(turns.at(-1)).toEqual({
      user: 'Question number 7 about the dog?',
      assistant: 'The dog ran to the park 7 times.',
      interrupted: true,
    });
    expect(turns[0]?.user).toBe(`Question number ${8 - turns.length} about the dog?`);

    talk.restore(longHistory(3));
    expect(talk.history().length).toBeGreaterThanOrEqual(1);
    expect(talk.history().length).toBeLessThan(3);
    expect(talk.historyTokens()).toBeLessThanOrEqual(120);
    expect(talk.history().at(-1)?.user).toContain('story number 2');
    talk.clear();
    expect(talk.history()).toEqual([]);
    expect(talk.historyTokens()).toBe(0);
  });

  it('shows the model an interrupted answer as cut off', async () => {
    const spoken = 'Once upon a time there was a';
    const promptTokens = async (interrupted: boolean): Promise<number> => {
      const talk = await load();
      talk.restore([{ user: 'Tell me a story.', assistant: spoken, interrupted }]);
      expect(talk.history()[0]?.assistant).toBe(spoken); // kept as spoken either way
      return (await talk.respond('Go on.')).promptTokensEvaluated;
    };
    const complete = await promptTokens(false);
    const interrupted = await promptTokens(true);
    expect(interrupted).toBeGreaterThan(complete); // the " —" mark is in the prompt
  });

  it('hold() pauses generation between tokens until released; the answer is the same', async () => {
    const free = await chat.respond('Tell me about a cat.', {});
    const arrivals: number[] = [];
    const release = chat.hold();
    const heldAt = performance.now();
    const answer = chat.respond('Tell me about a cat.', { onToken: () => arrivals.push(performance.now()) });
    await new Promise((resolve) => setTimeout(resolve, 400));
    // While held, at most the batch already in flight (the prompt) completes: no tokens arrive.
    expect(arrivals.length).toBe(0);
    const releasedAt = performance.now();
    release();
    release(); // idempotent
    const held = await answer;
    expect(held.text).toBe(free.text);
    expect(arrivals.length).toBeGreaterThan(0);
    expect(arrivals[0]).toBeGreaterThanOrEqual(releasedAt);
    expect(releasedAt - heldAt).toBeGreaterThanOrEqual(390);
  });

  it('serialises concurrent calls on its one sequence', async () => {
    const talk = await load({ maxTokens: 8 });
    const reference = await (await load({ maxTokens: 8 })).respond('One day');
    // Each chunk records which call it belongs to and whether the other call had already finished.
    const chunks: string[] = [];
    let firstDone = false;
    const first = talk.respond('Once upon a time', { onToken: () => chunks.push('a') }).then((reply) => {
      firstDone = true;
      return reply;
    });
    const second = talk.respond('One day', { onToken: () => chunks.push(firstDone ? 'b' : 'b-overlapping') });
    const [a, b] = await Promise.all([first, second]);
    expect(a.tokens).toBe(8);
    expect(b.tokens).toBe(8);
    expect(chunks.join(' ')).toMatch(/^(a )+(b )*b$/); // all of a, then all of b, none while a ran
    expect(b.text).toBe(reference.text); // b's prompt was not disturbed by a
  });

  it('dispose stops a generation in progress', async () => {
    const talk = await LlamaChat.load(options({ maxTokens: 100_000 }));
    let chunks = 0;
    const reply = talk.respond('Once upon a time', {
      onToken: () => {
        if (++chunks === 5) void talk.dispose();
      },
    });
    await expect(reply).resolves.toMatchObject({ aborted: true });
  });

  it('refuses to run after dispose', async () => {
    const talk = await LlamaChat.load(options());
    await talk.dispose();
    await expect(talk.respond('Hi')).rejects.toThrow(/disposed/);
    expect(() => talk.commit('a', 'b', false)).toThrow(/disposed/);
  });
});

describe('LlamaChat model file validation', () => {
  const dir = cacheDir('llm-test');
  beforeAll(() => mkdirSync(dir, { recursive: true }));

  it('names the missing file and how to download a model', async () => {
    const missing = path.join(dir, 'no-such-model.gguf');
    await expect(LlamaChat.load(options({ modelPath: missing }))).rejects.toThrow(
      new RegExp(`not found: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*npm run models -- download`),
    );
  });

  it('rejects a whisper.cpp ggml file given as the chat model', async () => {
    const ggml = path.join(dir, 'whisper-like.bin');
    writeFileSync(ggml, Buffer.concat([Buffer.from([0x6c, 0x6d, 0x67, 0x67]), Buffer.alloc(512, 7)]));
    await expect(LlamaChat.load(options({ modelPath: ggml }))).rejects.toThrow(`${ggml} is not a GGUF chat model`);
    await expect(LlamaChat.load(options({ modelPath: ggml }))).rejects.toThrow(/ggml/);
  });

  it('rejects an ONNX file given as the chat model', async () => {
    const onnx = path.join(dir, 'model.onnx');
    writeFileSync(onnx, Buffer.from([0x08, 0x07, 0x12, 0x0c, 0x62, 0x61, 0x63, 0x6b]));
    await expect(LlamaChat.load(options({ modelPath: onnx }))).rejects.toThrow(/is not a GGUF chat model \(it looks like an ONNX model\)/);
  });

  it('explains a truncated GGUF instead of crashing', async () => {
    const truncated = path.join(dir, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(MODEL).subarray(0, 1000));
    await expect(LlamaChat.load(options({ modelPath: truncated }))).rejects.toThrow(
      /truncated\.gguf could not be loaded as a GGUF chat model \(1000 bytes\).*truncated or corrupted/,
    );
    const halfFile = path.join(dir, 'half.gguf');
    const full = readFileSync(MODEL);
    writeFileSync(halfFile, full.subarray(0, full.length >> 2));
    await expect(LlamaChat.load(options({ modelPath: halfFile }))).rejects.toThrow(/not within the file bounds|truncated/);
  });
});
