import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import type { ConversationTurn } from '../../shared/events';

export interface JournalOptions {
  /** Turns kept (in memory and on disk); older ones are compacted away. */
  maxTurns?: number;
}

/**
 * The conversation journal: one JSON object per line. Read once at start-up; a torn last line (a
 * crash mid-write) is repaired there: cut off when it is incomplete (skipped and counted), ended
 * with its newline when only that was lost, so the next append starts on a line of its own. After that the turns live in memory and each new
 * turn is appended and fsynced asynchronously, off the audio path: `append` resolves once the turn
 * is durable. Bounded: when the file holds twice `maxTurns` lines it is rewritten (atomically:
 * temp file, fsync, rename, fsync of the folder) with the latest `maxTurns` — all the UI lists and more than the LLM's
 * history budget ever keeps.
 */
export class ConversationJournal {
  private memory: ConversationTurn[] = [];
  private linesOnDisk = 0;
  private writes: Promise<void> = Promise.resolve();
  private readonly maxTurns: number;

  constructor(
    readonly file: string,
    options: JournalOptions = {},
  ) {
    this.maxTurns = Math.max(1, options.maxTurns ?? 500);
    mkdirSync(path.dirname(file), { recursive: true });
  }

  /** The turns kept in memory (the start-up read plus every append since). */
  get turns(): readonly ConversationTurn[] {
    return this.memory;
  }

  /** Reads the file (start-up): every complete turn, and how many unreadable lines were skipped. */
  read(): { turns: ConversationTurn[]; skippedLines: number } {
    if (!existsSync(this.file)) {
      this.memory = [];
      this.linesOnDisk = 0;
      return { turns: [], skippedLines: 0 };
    }
    const turns: ConversationTurn[] = [];
    let skippedLines = this.repairTornTail();
    let lines = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      lines++;
      const value = parseTurn(line);
      if (value) turns.push(value);
      else skippedLines++;
    }
    this.memory = turns.slice(-this.maxTurns);
    this.linesOnDisk = lines;
    return { turns: [...this.memory], skippedLines };
  }

  /**
   * The complete turns on disk, read-only: for a standby engine while another process owns the
   * file. A last line without its newline may be an append in progress: it is left alone.
   */
  peek(): ConversationTurn[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const turns: ConversationTurn[] = [];
    for (const line of complete.split('\n')) {
      const value = parseTurn(line);
      if (value) turns.push(value);
    }
    return turns.slice(-this.maxTurns);
  }

  /** Adds a turn; resolves once it is on disk (fsynced). Writes happen in call order. */
  append(turn: ConversationTurn): Promise<void> {
    this.memory.push(turn);
    if (this.memory.length > this.maxTurns) this.memory.splice(0, this.memory.length - this.maxTurns);
    return this.enqueue(async () => {
      if (this.linesOnDisk + 1 > 2 * this.maxTurns) {
        await this.rewrite(this.memory);
      } else {
        await writeSynced(this.file, 'a', JSON.stringify(turn) + '\n');
        this.linesOnDisk++;
      }
    });
  }

  /** Empties the journal atomically (the user asked to clear the conversation). */
  clear(): Promise<void> {
    this.memory = [];
    return this.enqueue(() => this.rewrite([]));
  }

  /** Resolves when every write so far is on disk. */
  flushed(): Promise<void> {
    return this.writes;
  }

  /**
   * A file that does not end with a newline was cut by a crash mid-append. A tail that is a whole
   * turn lost only its newline: it gets it back. Anything else is cut off (returns 1: one line
   * lost), so the next append does not land on the torn line and become unreadable with it.
   */
  private repairTornTail(): number {
    const bytes = readFileSync(this.file);
    if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return 0;
    const lineStart = bytes.lastIndexOf(0x0a) + 1;
    const whole = parseTurn(bytes.subarray(lineStart).toString('utf8')) !== undefined;
    const fd = openSync(this.file, 'r+');
    try {
      if (whole) {
        writeSync(fd, '\n', bytes.length);
      } else {
        ftruncateSync(fd, lineStart);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return whole ? 0 : 1;
  }

  private async rewrite(turns: readonly ConversationTurn[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    await writeSynced(tmp, 'w', turns.map((t) => JSON.stringify(t) + '\n').join(''));
    await rename(tmp, this.file);
    await syncFolder(path.dirname(this.file));
    this.linesOnDisk = turns.length;
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const run = this.writes.then(write);
    this.writes = run.catch(() => undefined);
    return run;
  }
}

async function writeSynced(file: string, flags: 'a' | 'w', text: string): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseTurn(line: string): ConversationTurn | undefined {
  if (!line.trim()) return undefined;
  try {
    const value = JSON.parse(line) as ConversationTurn;
    const valid = typeof value === 'object' && value !== null && typeof value.user === 'string' && typeof value.assistant === 'string' && typeof value.turn === 'number';
    return valid ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The rename is durable only once the folder's entry is on disk (POSIX); folders cannot be opened for sync on Windows. */
async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Not supported here (Windows): the rename itself is atomic, only its durability is weaker.
  } finally {
    await handle?.close();
  }
}
