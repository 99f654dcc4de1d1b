import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ConversationTurn } from './events';

/**
 * The conversation journal: one JSON object per line, appended and fsynced when a turn ends, so
 * a crash loses at most the turn in flight. A torn last line (crash mid-write) is skipped on read.
 */
export class ConversationJournal {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  append(turn: ConversationTurn): void {
    const fd = openSync(this.file, 'a');
    try {
      writeSync(fd, JSON.stringify(turn) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Every complete turn on disk; lines that don't parse (a torn tail) are reported and skipped. */
  read(): { turns: ConversationTurn[]; skippedLines: number } {
    if (!existsSync(this.file)) return { turns: [], skippedLines: 0 };
    const turns: ConversationTurn[] = [];
    let skippedLines = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line) as ConversationTurn;
        if (typeof value.user === 'string' && typeof value.assistant === 'string' && typeof value.turn === 'number') {
          turns.push(value);
        } else {
          skippedLines++;
        }
      } catch {
        skippedLines++;
      }
    }
    return { turns, skippedLines };
  }

  /** Empties the journal atomically (the user asked to clear the conversation). */
  clear(): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
  }
}
