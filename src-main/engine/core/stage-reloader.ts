import type { EngineConfig } from '../../shared/config';
import type { ConfigApplied, EngineEvent, StageName } from '../../shared/events';
import { STAGE_NAMES, type SpeechStages } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';
import type { StageSet } from '../stages/stage-set';

/** Loads one stage again with a new config (a model path, threads or device changed). */
export type StageLoaders = { [N in StageName]: (config: EngineConfig) => Promise<SpeechStages[N]> };

/** What the reloader needs of the engine around it. */
export interface StageReloaderContext {
  stages(): StageSet | undefined;
  emit(event: EngineEvent): void;
  /** The conversation to give a reloaded LLM. */
  history(): Parameters<SpeechStages['llm']['restore']>[0];
  /** The engine is ready (its backends were reported: a reload reports them again). */
  ready(): boolean;
}

/**
 * Stage reloads asked for by `configure`: queued, then run only between turns (never under a turn
 * in progress), one stage after another; `config_applied` goes out once they are done.
 */
export class StageReloader {
  private readonly pending = new Set<StageName>();
  private notice: ConfigApplied | undefined;
  private run: Promise<void> | undefined;

  constructor(
    private readonly loaders: Partial<StageLoaders> | undefined,
    private readonly context: StageReloaderContext,
  ) {}

  /** Whether a configure change can reload stages at all (else it needs a restart). */
  get available(): boolean {
    return this.loaders !== undefined;
  }

  /** Resolves when the reload in progress (if any) is done. */
  get running(): Promise<void> | undefined {
    return this.run;
  }

  /** A configure change that needs `change.reloaded`: reported once they are reloaded. */
  request(change: ConfigApplied): void {
    for (const stage of change.reloaded) this.pending.add(stage);
    this.notice = mergeChanges(this.notice, change);
  }

  /** Reloads what is pending if nothing is in progress and `idle` (no turn going). */
  maybeRun(config: EngineConfig, idle: boolean): void {
    if (this.pending.size === 0 || this.run || !idle || !this.context.stages() || !this.loaders) return;
    const names = STAGE_NAMES.filter((name) => this.pending.has(name));
    this.pending.clear();
    const notice = this.notice;
    this.notice = undefined;
    this.run = (async () => {
      for (const name of names) await this.reload(name, config);
      if (notice) this.context.emit({ type: 'config_applied', ...notice });
    })().finally(() => {
      this.run = undefined;
    });
  }

  private async reload<N extends StageName>(name: N, config: EngineConfig): Promise<void> {
    try {
      const load = this.loaders?.[name];
      if (!load) throw new Error('this engine cannot reload it; restart the engine');
      const fresh = await load(config);
      await fresh.warm();
      const stages = this.context.stages();
      if (!stages) {
        await fresh.dispose();
        return;
      }
      await stages.replace(name, fresh);
      if (this.context.ready()) this.context.emit({ type: 'backends', backends: stages.backends });
      if (name === 'llm') await stages.llm.restore(this.context.history());
    } catch (error) {
      this.context.emit({ type: 'error', code: 'reload_failed', message: `could not reload the ${name} stage: ${messageOf(error)}`, fatal: false });
    }
  }
}

function mergeChanges(a: ConfigApplied | undefined, b: ConfigApplied): ConfigApplied {
  if (!a) return b;
  const union = <T>(x: T[], y: T[]): T[] => [...new Set([...x, ...y])];
  return { applied: union(a.applied, b.applied), reloaded: union(a.reloaded, b.reloaded), restartRequired: union(a.restartRequired, b.restartRequired) };
}
