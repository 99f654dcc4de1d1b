import type { StageBackend, StageName } from '../../shared/events';
import type { SpeechStages, Stage } from './contracts';

/** Who disposes the stages handed to an engine: the engine (`owned`), or whoever lent them (`borrowed`). */
export type StageOwnership = 'owned' | 'borrowed';

/**
 * The engine's stages (four, and the optional end-of-turn model) and who disposes each. The set is the engine's own copy: replacing a
 * stage never writes into the object it was loaded from (the bench shares one loaded set between
 * engines). A stage the engine loaded itself (a reload) is always its own to dispose; borrowed
 * stages stay loaded when they are replaced or the set is disposed.
 */
export class StageSet {
  private readonly current: SpeechStages;
  private readonly owned = new Set<Stage>();

  constructor(stages: SpeechStages, ownership: StageOwnership) {
    this.current = { ...stages };
    if (ownership === 'owned') for (const stage of this.all()) this.owned.add(stage);
  }

  get vad(): SpeechStages['vad'] {
    return this.current.vad;
  }

  get stt(): SpeechStages['stt'] {
    return this.current.stt;
  }

  get llm(): SpeechStages['llm'] {
    return this.current.llm;
  }

  get tts(): SpeechStages['tts'] {
    return this.current.tts;
  }

  /** The end-of-turn model, when one was loaded. */
  get turn(): SpeechStages['turn'] {
    return this.current.turn;
  }

  /** Where each stage runs (device and detail), as the `backends` event reports it. */
  get backends(): Record<StageName, StageBackend> {
    const { vad, stt, llm, tts } = this.current;
    return { vad: vad.backend, stt: stt.backend, llm: llm.backend, tts: tts.backend };
  }

  all(): Stage[] {
    const { vad, stt, llm, tts, turn } = this.current;
    return turn ? [vad, stt, llm, tts, turn] : [vad, stt, llm, tts];
  }

  /** Puts a freshly loaded stage in place (it becomes the set's own) and disposes the old one if it was. */
  async replace<N extends StageName>(name: N, fresh: SpeechStages[N]): Promise<void> {
    const old = this.current[name];
    this.current[name] = fresh;
    this.owned.add(fresh);
    if (this.owned.delete(old)) await old.dispose().catch(() => undefined);
  }

  /** Disposes the stages the set owns; borrowed ones stay loaded. */
  async dispose(): Promise<void> {
    for (const stage of this.all()) {
      if (this.owned.delete(stage)) await stage.dispose().catch(() => undefined);
    }
  }
}
