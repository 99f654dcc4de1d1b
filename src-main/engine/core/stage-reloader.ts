import type { EngineConfig, EngineConfigPatch } from '../../shared/config';
import type { ConfigApplied, ConfigRejection, EngineEvent, StageName } from '../../shared/events';
import { STAGE_NAMES, type SpeechStages } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';
import type { StageSet } from '../stages/stage-set';
import { restoreRestartPaths, stageOfPath } from './configure';

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
  /** A stage would not load with its new settings: they go back to these values. */
  rollback(patch: EngineConfigPatch): void;
}

/**
 * Stage reloads asked for by `configure`: queued, then run only between turns (never under a turn
 * in progress), one stage after another; `config_applied` goes out once they are done. A reload is
 * a transaction: when the stage will not load with its new settings, the old stage keeps running,
 * the settings go back to the values it runs with, and `config_applied` lists them as rejected.
 */
export class StageReloader {
  private readonly pending = new Set<StageName>();
  /** The value each path had before the pending reloads, to roll a failed one back to. */
  private readonly previous = new Map<string, EngineConfig>();
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

  /** A configure change that needs `change.reloaded` (`before`: the config it changed): reported once they are reloaded. */
  request(change: ConfigApplied, before: EngineConfig): void {
    for (const stage of change.reloaded) this.pending.add(stage);
    for (const path of change.applied) {
      const stage = stageOfPath(path);
      if (stage && change.reloaded.includes(stage) && !this.previous.has(path)) this.previous.set(path, before);
    }
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
      const rejected: ConfigRejection[] = [];
      for (const name of names) {
        const paths = [...this.previous.keys()].filter((path) => stageOfPath(path) === name);
        const failure = await this.reload(name, config);
        if (failure !== undefined) {
          // The old stage still runs: its settings go back to what it was loaded with.
          let patch: EngineConfigPatch = {};
          for (const path of paths) patch = mergePatch(patch, restoreRestartPaths(this.previous.get(path) as EngineConfig, [path]));
          this.context.rollback(patch);
          rejected.push({ paths, reason: failure });
        }
        for (const path of paths) this.previous.delete(path);
      }
      if (notice) this.context.emit({ type: 'config_applied', ...withRejections(notice, rejected) });
    })().finally(() => {
      this.run = undefined;
    });
  }

  /** Reloads one stage; returns why it failed (the old stage is kept), or undefined. */
  private async reload<N extends StageName>(name: N, config: EngineConfig): Promise<string | undefined> {
    try {
      const load = this.loaders?.[name];
      if (!load) throw new Error('this engine cannot reload it; restart the engine');
      const fresh = await load(config);
      await fresh.warm();
      const stages = this.context.stages();
      if (!stages) {
        await fresh.dispose();
        return undefined;
      }
      await stages.replace(name, fresh);
      if (this.context.ready()) this.context.emit({ type: 'backends', backends: stages.backends });
      if (name === 'llm') await stages.llm.restore(this.context.history());
      return undefined;
    } catch (error) {
      const reason = `could not reload the ${name} stage: ${messageOf(error)}`;
      this.context.emit({ type: 'error', code: 'reload_failed', message: `${reason}; the previous settings stay`, fatal: false });
      return reason;
    }
  }
}

function mergeChanges(a: ConfigApplied | undefined, b: ConfigApplied): ConfigApplied {
  if (!a) return b;
  const union = <T>(x: T[], y: T[]): T[] => [...new Set([...x, ...y])];
  return { applied: union(a.applied, b.applied), reloaded: union(a.reloaded, b.reloaded), restartRequired: union(a.restartRequired, b.restartRequired) };
}

/** The notice without what was rolled back: those paths were not applied and those stages not reloaded. */
function withRejections(notice: ConfigApplied, rejected: ConfigRejection[]): ConfigApplied {
  if (rejected.length === 0) return notice;
  const paths = new Set(rejected.flatMap((r) => r.paths));
  const failedStages = new Set(rejected.flatMap((r) => r.paths.map(stageOfPath)));
  return {
    applied: notice.applied.filter((p) => !paths.has(p)),
    reloaded: notice.reloaded.filter((stage) => !failedStages.has(stage)),
    restartRequired: notice.restartRequired,
    rejected,
  };
}

function mergePatch(a: EngineConfigPatch, b: EngineConfigPatch): EngineConfigPatch {
  const out: Record<string, Record<string, unknown>> = { ...(a as Record<string, Record<string, unknown>>) };
  for (const [section, values] of Object.entries(b as Record<string, Record<string, unknown>>)) out[section] = { ...out[section], ...values };
  return out as EngineConfigPatch;
}
