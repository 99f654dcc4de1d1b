import { mergeConfig, type EngineConfig, type EngineConfigPatch } from '../../shared/config';
import type { ConfigApplied, EngineEvent, StageName } from '../../shared/events';
import type { LlmStage } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';


/** Paths read when they are used (each turn, unit or window): a change applies live. */
// echo: the engine rebuilds its mic path (guard + detector settings) at once ("I use headphones").
const LIVE_SECTIONS = new Set(['turn', 'chunker', 'echo']);
const LIVE_PATHS = new Set([
  'vad.threshold',
  'vad.negativeThreshold',
  'vad.minSpeechMs',
  'vad.endOfTurnSilenceMs',
  'vad.speculativePauseMs',
  'vad.preRollMs',
  'vad.maxUtteranceMs',
  'stt.partialIntervalMs',
  'llm.systemPrompt',
  'tts.voice',
  'tts.speed',
]);

/** Paths fixed when a stage loads: a change reloads that stage. */
const RELOAD_PATHS: Record<string, StageName> = {
  'models.vad': 'vad',
  'vad.threads': 'vad',
  'models.stt': 'stt',
  'stt.threads': 'stt',
  'stt.gpu': 'stt',
  'stt.language': 'stt',
  'stt.initialPrompt': 'stt',
  'models.llm': 'llm',
  'llm.threads': 'llm',
  'llm.gpu': 'llm',
  'llm.contextSize': 'llm',
  'llm.maxTokens': 'llm',
  'llm.timeoutMs': 'llm',
  'llm.historyTokenBudget': 'llm',
  'llm.temperature': 'llm',
  'llm.seed': 'llm',
  'models.tts': 'tts',
  'models.ttsDtype': 'tts',
  'tts.threads': 'tts',
  'tts.device': 'tts',
};

/** The stage a path is read by when it loads (a change to it reloads that stage), if any. */
export function stageOfPath(path: string): StageName | undefined {
  return RELOAD_PATHS[path];
}

/** Every dotted path whose value differs between two configs. */
export function changedPaths(before: EngineConfig, after: EngineConfig): string[] {
  const paths: string[] = [];
  for (const section of Object.keys(after) as (keyof EngineConfig)[]) {
    const a = before[section] as Record<string, unknown>;
    const b = after[section] as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!Object.is(a[key], b[key])) paths.push(`${section}.${key}`);
    }
  }
  return paths;
}

/** Sorts each changed path into live / reload / restart (reloads need a stage loader). */
export function classifyConfigChange(before: EngineConfig, after: EngineConfig, canReload: boolean): ConfigApplied {
  const change: ConfigApplied = { applied: [], reloaded: [], restartRequired: [] };
  for (const path of changedPaths(before, after)) {
    const section = path.split('.')[0] ?? '';
    const stage = RELOAD_PATHS[path];
    if (LIVE_SECTIONS.has(section) || LIVE_PATHS.has(path)) {
      change.applied.push(path);
    } else if (stage && canReload) {
      change.applied.push(path);
      if (!change.reloaded.includes(stage)) change.reloaded.push(stage);
    } else {
      change.restartRequired.push(path);
    }
  }
  return change;
}

/**
 * The config after `patch` and what the change needs. What needs a restart keeps its old value
 * until then; `canReload`: the engine can reload stages (else such changes need a restart too).
 */
export function applyPatch(before: EngineConfig, patch: EngineConfigPatch, canReload: boolean): { config: EngineConfig; change: ConfigApplied } {
  const next = mergeConfig(before, patch);
  const change = classifyConfigChange(before, next, canReload);
  const config = change.restartRequired.length > 0 ? mergeConfig(next, restoreRestartPaths(before, change.restartRequired)) : next;
  return { config, change };
}

/** A patch that puts back the old values of the given dotted paths (what needs a restart keeps its value until then). */
export function restoreRestartPaths(before: EngineConfig, paths: string[]): EngineConfigPatch {
  const patch: Record<string, Record<string, unknown>> = {};
  for (const dotted of paths) {
    const [section, key] = dotted.split('.') as [keyof EngineConfig, string];
    const value = (before[section] as Record<string, unknown>)[key];
    patch[section] = { ...patch[section], [key]: value };
  }
  return patch as EngineConfigPatch;
}

/** The parts of the engine a live change reaches. */
export interface LiveChangeTargets {
  llm: LlmStage | undefined;
  emit(event: EngineEvent): void;
  configureEcho(config: EngineConfig): void;
  clearTtsCache(): void;
  resetPushToTalk(): void;
}

/** Applies what a live config change means beyond the values (the turn controller gets its own call). */
export function applyLiveChanges(before: EngineConfig, after: EngineConfig, to: LiveChangeTargets): void {
  if (after.llm.systemPrompt !== before.llm.systemPrompt && to.llm) {
    void Promise.resolve(to.llm.setSystemPrompt(after.llm.systemPrompt)).catch((error: unknown) =>
      to.emit({ type: 'error', code: 'configure_failed', message: `system prompt: ${messageOf(error)}`, fatal: false }),
    );
  }
  if (JSON.stringify(after.echo) !== JSON.stringify(before.echo)) to.configureEcho(after);
  if (after.tts.voice !== before.tts.voice || after.tts.speed !== before.tts.speed) to.clearTtsCache();
  if (after.turn.mode !== before.turn.mode) to.resetPushToTalk();
}
