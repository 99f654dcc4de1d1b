import { afterAll, describe, expect, it } from 'vitest';
import { LlamaChat, type LlamaChatOptions } from '../../../src-main/engine/stages/llm/llama-chat';
import type { ChatTurn } from '../../../src-main/shared/events';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';

/**
 * What the LLM stage keeps in llama.cpp's KV cache across turns: bounded history without a
 * re-evaluation cliff, restore + warm, a live system prompt, and prefill while the user speaks.
 * Real node-llama-cpp on the tiny stories260K GGUF; "prompt tokens evaluated" comes from
 * node-llama-cpp's token meter for the sequence.
 */
const MODEL = sharedPath('models/llm/stories260K.gguf');
const SYSTEM = 'You are a helpful assistant who tells short stories about animals.';

function options(overrides: Partial<LlamaChatOptions> = {}): LlamaChatOptions {
  return {
    modelPath: MODEL,
    threads: 1,
    gpu: 'off',
    contextSize: 2048,
    systemPrompt: SYSTEM,
    maxTokens: 24,
    timeoutMs: 30_000,
    historyTokenBudget: 1500,
    temperature: 0,
    ...overrides,
  };
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

function storyTurns(count: number): ChatTurn[] {
  return Array.from({ length: count }, (_, i) => ({
    user: `Tell me story number ${i} about a dog and a cat who play in the park.`,
    assistant: `Once upon a time, there was a little dog named Tim. He liked to play with a cat in the park, day ${i}.`,
    interrupted: false,
  }));
}

describe('a long conversation with a bounded history', () => {
  it('evaluates only the new turn once trimming starts (the trimmed turns are shifted out of the KV cache)', async () => {
    const budget = 300;
    const chat = await load({ historyTokenBudget: budget });
    await chat.warm();
    const perTurn: { evaluated: number; historyTurns: number; trimmed: boolean }[] = [];
    let committed = 0;
    for (let turn = 0; turn < 12; turn++) {
      const user = `Tell me what the dog did on day ${turn} in the park with the cat.`;
      const reply = await chat.respond(user);
      expect(reply.text.length).toBeGreaterThan(0);
      chat.commit(user, reply.text, false);
      committed++;
      perTurn.push({ evaluated: reply.promptTokensEvaluated, historyTurns: chat.history().length, trimmed: chat.history().length < committed });
    }
    console.log(`per-turn prompt tokens evaluated (budget ${budget}): ${perTurn.map((t) => t.evaluated).join(', ')}`);
    const afterTrimming = perTurn.slice(perTurn.findIndex((t) => t.trimmed) + 1);
    expect(afterTrimming.length).toBeGreaterThanOrEqual(4); // trimming did happen, early enough to matter
    expect(chat.historyTokens()).toBeLessThanOrEqual(budget);
    // Without the shift every turn after trimming re-evaluates the whole kept history (~budget).
    const worst = Math.max(...afterTrimming.map((t) => t.evaluated));
    expect(worst).toBeLessThan(budget / 3);
  });

  it('restore() then warm() leaves system prompt + restored history in the cache', async () => {
    const chat = await load();
    chat.restore(storyTurns(8));
    await chat.warm();
    const first = await chat.respond('And then?');

    const cold = await load();
    cold.restore(storyTurns(8));
    const coldFirst = await cold.respond('And then?');
    console.log(`first answer after restore: warmed ${first.promptTokensEvaluated} tokens evaluated, cold ${coldFirst.promptTokensEvaluated}`);
    expect(coldFirst.promptTokensEvaluated).toBeGreaterThan(400);
    expect(first.promptTokensEvaluated).toBeLessThan(20);
    expect(first.text).toBe(coldFirst.text);
  });
});

describe('setSystemPrompt', () => {
  it('applies from the next answer, keeps the history, and answers as a fresh chat with that prompt would', async () => {
    const history = storyTurns(2);
    const chat = await load();
    chat.restore(history);
    await chat.warm();
    const before = await chat.respond('Tell me about a bird.');

    const prompt = 'You tell very short stories about birds and the sea.';
    chat.setSystemPrompt(prompt);
    expect(chat.systemPrompt).toBe(prompt);
    expect(chat.history()).toEqual(history);
    const after = await chat.respond('Tell me about a bird.');
    const again = await chat.respond('Tell me about a bird.');

    const reference = await load({ systemPrompt: prompt });
    reference.restore(history);
    const expected = await reference.respond('Tell me about a bird.');
    console.log(`after setSystemPrompt: ${after.promptTokensEvaluated} tokens evaluated once, then ${again.promptTokensEvaluated}`);
    expect(after.text).toBe(expected.text);
    expect(after.promptTokensEvaluated).toBeGreaterThan(before.promptTokensEvaluated + 50); // the prompt and history again
    expect(again.promptTokensEvaluated).toBeLessThan(20); // once only
  });

  it('shrinks the history budget for a longer prompt and trims to it', async () => {
    const chat = await load({ historyTokenBudget: 5000 });
    const roomy = chat.historyTokenBudget;
    chat.restore(storyTurns(40));
    chat.setSystemPrompt(`${SYSTEM} ${'Always mention the weather and the time of day. '.repeat(40)}`);
    expect(chat.historyTokenBudget).toBeLessThan(roomy - 300);
    expect(chat.historyTokens()).toBeLessThanOrEqual(chat.historyTokenBudget);
    expect(chat.history().at(-1)?.user).toContain('story number 39');
  });
});

describe('prefill while the user speaks', () => {
  const history = storyTurns(6);
  const finalText = 'Tell me a story about a little red bird who could not fly over the big hill';
  const partial = 'Tell me a story about a little red bird who could not';

  async function reference(): Promise<string> {
    const fresh = await load();
    fresh.restore(history);
    return (await fresh.respond(finalText)).text;
  }

  it('evaluates history + the words so far; the answer then evaluates only the rest', async () => {
    const without = await load();
    without.restore(history);
    await without.warm();
    const plain = await without.respond(finalText);

    const chat = await load();
    chat.restore(history);
    await chat.warm();
    const pre = await chat.prefill(partial);
    const answer = await chat.respond(finalText);
    console.log(
      `prompt tokens evaluated at end of turn: ${plain.promptTokensEvaluated} without prefill, ` +
        `${answer.promptTokensEvaluated} after a prefill that evaluated ${pre.promptTokensEvaluated}`,
    );
    expect(pre).toMatchObject({ complete: true });
    expect(pre.promptTokensEvaluated).toBeGreaterThan(10);
    expect(answer.promptTokensEvaluated).toBeLessThan(plain.promptTokensEvaluated - 10);
    expect(answer.text).toBe(plain.text);
    expect(answer.text).toBe(await reference());
    expect(chat.history()).toEqual(history); // discard-safe
  });

  it('a prefill whose text the user then changed is discarded: the answer is the one to the final text', async () => {
    const chat = await load();
    chat.restore(history);
    await chat.prefill('Tell me about the green frog and the');
    const answer = await chat.respond(finalText);
    expect(answer.text).toBe(await reference());
  });

  it('an aborted prefill rejects with an AbortError and leaves the cache consistent', async () => {
    const chat = await load();
    chat.restore(storyTurns(12)); // a long evaluation, so the abort lands mid-way
    const controller = new AbortController();
    const pre = chat.prefill(partial, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(pre).rejects.toMatchObject({ name: 'AbortError' });
    const answer = await chat.respond(finalText);

    const fresh = await load();
    fresh.restore(storyTurns(12));
    expect(answer.text).toBe((await fresh.respond(finalText)).text);
    await expect(chat.prefill(partial, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a respond stops the prefill in progress (which resolves incomplete) instead of waiting for it', async () => {
    const chat = await load();
    chat.restore(storyTurns(12));
    const pre = chat.prefill(partial);
    const answer = chat.respond(finalText);
    const result = await pre;
    expect(result.complete).toBe(false);
    const fresh = await load();
    fresh.restore(storyTurns(12));
    expect((await answer).text).toBe((await fresh.respond(finalText)).text);
  });

  it('a newer prefill supersedes a queued one', async () => {
    const chat = await load();
    chat.restore(history);
    const first = chat.prefill('Tell me a story');
    const second = chat.prefill(partial);
    await expect(first).resolves.toEqual({ promptTokensEvaluated: 0, complete: false });
    await expect(second).resolves.toMatchObject({ complete: true });
  });
});
