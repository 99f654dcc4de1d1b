import { describe, expect, it } from 'vitest';
import { stablePart } from '../../../src-main/engine/core/transcriber';
import { fakeEngine, QUIET, VOICE, type FakeEngine } from '../../fakes/harness';

/** Preemptive generation (LLM prefill on partial transcripts), on FAKE stages and a manual clock. */

async function speaking(config: Parameters<typeof fakeEngine>[0] = {}): Promise<FakeEngine> {
  const f = await fakeEngine({ stt: { partialIntervalMs: 200 }, turn: { speculative: false, ...config.turn } });
  f.stages.stt.auto = (_audio, partial) => (partial ? 'what is the weather' : 'what is the weather today');
  f.stages.llm.auto = ['It is sunny.'];
  f.stages.tts.auto = true;
  await f.feed(VOICE, 800);
  return f;
}

describe('preemptive prefill', () => {
  it('keeps the stable part of a partial transcript (not its last word)', () => {
    expect(stablePart(' what is the weath ')).toBe('what is the');
    expect(stablePart('what')).toBe('');
  });

  it('starts on a partial transcript while the user speaks; the answer supersedes it', async () => {
    const f = await speaking();
    expect(f.of('stt_partial').length).toBeGreaterThan(0);
    const prefills = f.stages.llm.prefills;
    expect(prefills.length).toBeGreaterThan(0);
    expect(prefills.at(-1)?.text).toBe('what is the');
    expect(prefills.at(-1)?.signal?.aborted).toBe(false);
    await f.feed(QUIET, 800);
    expect(f.of('eot_confirmed')).toHaveLength(1);
    expect(f.stages.llm.calls).toHaveLength(1);
    expect(prefills.every((p) => p.signal?.aborted)).toBe(true);
    await f.engine.dispose();
  });

  it('a mute aborts it', async () => {
    const f = await speaking();
    const last = f.stages.llm.prefills.at(-1);
    expect(last?.signal?.aborted).toBe(false);
    f.engine.handle({ type: 'mute', muted: true });
    expect(last?.signal?.aborted).toBe(true);
    await f.engine.dispose();
  });

  it('is off with turn.prefill = false (the peer baseline)', async () => {
    const f = await speaking({ turn: { prefill: false } });
    expect(f.of('stt_partial').length).toBeGreaterThan(0);
    expect(f.stages.llm.prefills).toHaveLength(0);
    await f.engine.dispose();
  });
});
