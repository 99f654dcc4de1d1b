import type { ChatTurn, ConversationTurn, EngineEvent, TurnTrace } from '../../shared/events';
import { messageOf } from '../stages/stage-kit';
import type { LlmStage } from '../stages/contracts';
import type { ConversationJournal } from './journal';

/**
 * The conversation's memory: the LLM's history and the journal on disk. A finished turn is
 * committed to the LLM, appended to the journal, and announced (`turn_done`) only once it is
 * durable, in the order the turns finished. Owns neither: the journal belongs to the host that
 * opened it, the LLM to the engine's stage set.
 */
export class Conversation {
  /** turn_done events wait for the journal write; they go out in order. */
  private written: Promise<void> = Promise.resolve();
  private unwritten = 0;
  /** Standby: the last journaled turn its LLM holds. */
  private followed: number | undefined;

  constructor(
    private readonly journal: ConversationJournal | undefined,
    private readonly emit: (event: EngineEvent) => void,
  ) {}

  /** A finished turn is still being written (its `turn_done` has not gone out). */
  get writing(): boolean {
    return this.unwritten > 0;
  }

  /** Resolves once every finished turn has been written and announced. */
  settled(): Promise<void> {
    return this.written;
  }

  /** The turns kept on disk (a copy). */
  turns(): ConversationTurn[] {
    return [...(this.journal?.turns ?? [])];
  }

  /**
   * Standby: the LLM gets the history as the journal holds it now, read without repairing or
   * remembering anything (another engine owns the file and may be writing its last line).
   */
  async peek(llm: LlmStage): Promise<void> {
    if (!this.journal) return;
    const turns = this.journal.peek();
    await llm.restore(turns);
    this.followed = turns.at(-1)?.turn ?? 0;
  }

  /**
   * Standby: the turns the live engine wrote since the last peek or follow are committed to the LLM
   * as the live engine committed them (so its history and KV cache stay aligned: only the new turn
   * is evaluated, trimmed turns are erased from the cache). A journal that went back (cleared)
   * is read again whole.
   */
  async follow(llm: LlmStage): Promise<void> {
    if (!this.journal) return;
    const turns = this.journal.peek();
    const last = turns.at(-1)?.turn ?? 0;
    if (this.followed === undefined || last < this.followed) {
      await this.peek(llm);
      return;
    }
    for (const turn of turns) {
      if (turn.turn > this.followed) await llm.commit(turn.user, turn.assistant, turn.interrupted);
    }
    this.followed = last;
  }

  /** Reads the journal and gives the LLM its history; returns the last turn number. */
  async restore(llm: LlmStage): Promise<number> {
    if (!this.journal) return 0;
    const { turns, skippedLines } = this.journal.read();
    if (skippedLines > 0) {
      this.emit({ type: 'error', code: 'journal_torn', message: `skipped ${skippedLines} unreadable line(s) in ${this.journal.file} (a torn write after a crash); every complete turn was restored`, fatal: false });
    }
    await llm.restore(turns);
    this.emit({ type: 'history', turns });
    return turns.reduce((max, turn) => Math.max(max, turn.turn), 0);
  }

  /**
   * A turn ended with `outcome`: into the LLM's history and the journal (with its latency trace, so
   * the waterfall survives a restart), then `turn_done` (`t`: engine time now).
   */
  finish(turn: number, outcome: ChatTurn, llm: LlmStage, t: number, trace?: TurnTrace): void {
    if (outcome.user) {
      void Promise.resolve(llm.commit(outcome.user, outcome.assistant, outcome.interrupted)).catch((error: unknown) =>
        this.emit({ type: 'error', code: 'history_failed', message: messageOf(error), fatal: false }),
      );
    }
    const journal = this.journal;
    const done: EngineEvent = { type: 'turn_done', turn, t, ...outcome };
    if (!journal || !outcome.user) {
      this.emit(done);
      return;
    }
    // Durable before turn_done: a crash after the event never loses the turn it announced.
    this.unwritten++;
    const record: ConversationTurn = { turn, ...outcome, at: Date.now(), ...(trace ? { trace } : {}) };
    const write = journal.append(record).catch((error: unknown) =>
      this.emit({ type: 'error', code: 'journal_failed', message: `could not save the turn to ${journal.file}: ${messageOf(error)}`, fatal: false }),
    );
    this.written = Promise.all([this.written, write]).then(() => {
      this.unwritten--;
      this.emit(done);
    });
  }

  /** Forgets everything: after the turns being written, the journal and the LLM's history. */
  async clear(llm: LlmStage | undefined): Promise<void> {
    await this.written;
    try {
      await this.journal?.clear();
    } catch (error) {
      this.emit({ type: 'error', code: 'journal_failed', message: `could not clear ${this.journal?.file}: ${messageOf(error)}`, fatal: false });
    }
    await llm?.clear();
    this.emit({ type: 'history', turns: [] });
  }
}
