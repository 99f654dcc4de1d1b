import type { EngineConfig } from '../../shared/config';
import type { ConfigApplied, StageName } from '../../shared/events';


/** Paths read when they are used (each turn, unit or window): a change applies live. */
const LIVE_SECTIONS = new Set(['turn', 'chunker']);
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
