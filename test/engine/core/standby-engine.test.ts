import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VoiceEngine } from '../../../src-main/engine';
import { ConversationJournal } from '../../../src-main/engine/core/journal';
import { resolveConfig } from '../../../src-main/shared/config';
import type { ChatTurn, ConversationTurn, EngineEvent } from '../../../src-main/shared/events';
import { disposeStandinStages, standinStages, TEST_CONFIG } from '../../helpers/engine-helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-standby-'));
afterAll(async () => {
  await disposeStandinStages();
  rmSync(tmp, { recursive: true, force: true });
});

const turn = (n: number): ConversationTurn => ({ turn: n, user: `question ${n}`, assistant: `answer ${n}`, interrupted: false, at: 1_700_000_000_000 + n });
const line = (n: number): string => JSON.stringify(turn(n)) + '\n';

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('standby engine (the host keeps one to take over a crashed engine at once)', () => {
  it('loads without touching the journal, follows the turns another engine writes, and takes over with the repaired journal', async () => {
    const file = path.join(tmp, 'journal.jsonl');
    // The live engine wrote two turns and is in the middle of appending the third.
    writeFileSync(file, line(1) + line(2) + line(3).slice(0, 20));
    const before = readFileSync(file);

    const stages = await standinStages();
    await stages.llm.clear();
    // What history the standby's LLM holds is recorded through its contract (restores and commits).
    let held: string[] = [];
    let restores = 0;
    const llm = new Proxy(stages.llm, {
      get(target, key, receiver) {
        if (key === 'restore') return (turns: readonly ChatTurn[]) => {
          restores++;
          held = turns.map((t) => t.user);
          return target.restore(turns);
        };
        if (key === 'commit') return (user: string, assistant: string, interrupted: boolean) => {
          held.push(user);
          return target.commit(user, assistant, interrupted);
        };
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = new VoiceEngine({ config: resolveConfig(TEST_CONFIG), journal: new ConversationJournal(file), stageOwnership: 'borrowed' });
    const events: EngineEvent[] = [];
    engine.on((event) => events.push(event));
    await engine.lifecycle.loadStandby(async () => ({ ...stages, llm }));

    expect(engine.engineState).toBe('standby');
    expect(readFileSync(file).equals(before), 'a standby never repairs or writes the journal the live engine owns').toBe(true);
    expect(held, 'the append in progress is not read').toEqual(['question 1', 'question 2']);
    // A standby answers nothing.
    engine.handle({ type: 'text_input', text: 'hello?' });
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e.type === 'turn_done')).toHaveLength(0);

    // The live engine finishes turn 3; the host says so.
    writeFileSync(file, line(1) + line(2) + line(3));
    await engine.lifecycle.follow();
    // Committed as the live engine committed it (its KV cache stays aligned), not read again whole.
    expect(held).toEqual(['question 1', 'question 2', 'question 3']);
    expect(restores).toBe(1);

    // It crashes while appending turn 4: the standby takes over.
    appendFileSync(file, line(4).slice(0, 11));
    await engine.lifecycle.activate();
    expect(engine.engineState).toBe('ready');
    expect(readFileSync(file, 'utf8')).toBe(line(1) + line(2) + line(3));
    const history = events.filter((e): e is Extract<EngineEvent, { type: 'history' }> => e.type === 'history').at(-1);
    expect(history?.turns.map((t) => t.turn)).toEqual([1, 2, 3]);
    expect(events.some((e) => e.type === 'error' && e.code === 'journal_torn'), 'the torn line is reported').toBe(true);

    // And answers, numbering after the restored turns.
    engine.handle({ type: 'text_input', text: 'What is the capital of France?' });
    await waitFor(() => events.some((e) => e.type === 'turn_done'), 60_000);
    const done = events.find((e): e is Extract<EngineEvent, { type: 'turn_done' }> => e.type === 'turn_done');
    expect(done?.turn).toBe(4);
    expect(new ConversationJournal(file).read().turns.map((t) => t.turn)).toEqual([1, 2, 3, 4]);
    await engine.dispose();
  }, 120_000);
});
