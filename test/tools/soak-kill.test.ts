import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationJournal } from '../../src-main/engine/core/journal';
import { resolveInit } from '../../src-main/tools/cli/model-sets';
import { runKillSoak } from '../../src-main/tools/cli/soak-kill';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-kill-soak-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('soak --kill-every (the engine process SIGKILLed inside turns, replaced by the app policy)', () => {
  it('loses no turn that was announced done, and every kill is recovered from', async () => {
    const journalPath = path.join(tmp, 'journal.jsonl');
    const report = await runKillSoak({
      init: await resolveInit({ config: { llm: { maxTokens: 24 } }, modelSet: 'standin', journalPath }),
      texts: ['what is the weather like', 'tell me a story', 'how far is the moon'],
      turns: 6,
      killEvery: 3,
      seed: 7,
    });
    expect(report.kills).toBe(2);
    expect(report.recoveries_ms).toHaveLength(2);
    expect(report.lost_turns).toBe(0);
    // The app's host keeps a standby engine (CPU model sets): each kill is recovered by it, not by
    // loading every model again.
    expect(report.standby).toBe(true);
    expect(report.standby_takeovers).toBe(2);
    // Every turn that was done (and not killed before its end) is in the journal, in order.
    const done = report.per_turn.filter((t) => t.done).map((t) => t.engineTurn);
    const kept = new ConversationJournal(journalPath).read().turns.map((t) => t.turn);
    for (const turn of done) expect(kept).toContain(turn);
    expect(done.length).toBeGreaterThanOrEqual(4);
  }, 240_000);
});
