import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConversationJournal } from '../../../src-main/engine/core/journal';
import type { ConversationTurn } from '../../../src-main/shared/events';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-journal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const turn = (n: number, user = `question ${n} — café ☕`): ConversationTurn => ({ turn: n, user, assistant: `answer ${n}`, interrupted: false, at: 1_700_000_000_000 + n });

describe('journal after a crash mid-write', () => {
  it('every turn appended after a tear survives two restarts, whatever byte the crash cut at', async () => {
    const torn = Buffer.from(JSON.stringify(turn(3)) + '\n', 'utf8');
    const good = [turn(1), turn(2)].map((t) => JSON.stringify(t) + '\n').join('');
    for (let cut = 1; cut <= torn.length; cut++) {
      const file = path.join(tmp, `torn-${cut}.jsonl`);
      // Two durable turns, then the crash: the third turn's line stops after `cut` bytes.
      writeFileSync(file, good);
      appendFileSync(file, torn.subarray(0, cut));
      // The line is complete when only its newline was lost: that turn is kept too.
      const thirdKept = cut >= torn.length - 1;

      const first = new ConversationJournal(file); // restart 1
      const afterCrash = first.read();
      expect(afterCrash.turns.map((t) => t.turn), `cut ${cut}`).toEqual(thirdKept ? [1, 2, 3] : [1, 2]);
      expect(afterCrash.skippedLines, `cut ${cut}`).toBe(thirdKept ? 0 : 1);
      await first.append(turn(4));

      const second = new ConversationJournal(file); // restart 2
      const afterFirstRestart = second.read();
      expect(afterFirstRestart.turns.map((t) => t.turn), `cut ${cut}`).toEqual(thirdKept ? [1, 2, 3, 4] : [1, 2, 4]);
      expect(afterFirstRestart.skippedLines, `cut ${cut}: the tear was repaired on disk`).toBe(0);
      await second.append(turn(5));

      const third = new ConversationJournal(file); // and once more
      expect(third.read().turns.map((t) => t.turn), `cut ${cut}`).toEqual(thirdKept ? [1, 2, 3, 4, 5] : [1, 2, 4, 5]);
      expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    }
  });

  it('a tear in an empty journal (the first turn cut) leaves an empty, appendable file', async () => {
    const file = path.join(tmp, 'first-torn.jsonl');
    writeFileSync(file, '{"turn":1,"us');
    const journal = new ConversationJournal(file);
    expect(journal.read()).toEqual({ turns: [], skippedLines: 1 });
    await journal.append(turn(2));
    expect(new ConversationJournal(file).read()).toEqual({ turns: [turn(2)], skippedLines: 0 });
  });

  it('an unreadable line in the middle is skipped and counted; the turns around it are kept', () => {
    const file = path.join(tmp, 'middle.jsonl');
    writeFileSync(file, `${JSON.stringify(turn(1))}\nnot json\n${JSON.stringify(turn(2))}\n`);
    expect(new ConversationJournal(file).read()).toMatchObject({ turns: [turn(1), turn(2)], skippedLines: 1 });
  });
});

describe('journal read by a standby engine (peek)', () => {
  it('reads the complete turns only and leaves the file as it is', () => {
    const file = path.join(tmp, 'peek.jsonl');
    const good = [turn(1), turn(2)].map((t) => JSON.stringify(t) + '\n').join('');
    writeFileSync(file, good + JSON.stringify(turn(3)));
    const journal = new ConversationJournal(file);
    expect(journal.peek().map((t) => t.turn)).toEqual([1, 2]);
    expect(readFileSync(file, 'utf8')).toBe(good + JSON.stringify(turn(3)));
    expect(journal.turns, 'nothing is remembered: the standby is not the journal owner').toHaveLength(0);
    expect(new ConversationJournal(path.join(tmp, 'absent.jsonl')).peek()).toEqual([]);
  });
});
