import type { EngineConfig, EngineConfigInput } from '../../shared/config';
import type { SpeechStages } from '../../engine';
import type { EngineInit } from '../../engine/host/init';
import { loadModelStages, resolveDefaultModelPaths, type ModelPaths } from '../../engine/runtime';

/**
 * Model sets for the development CLIs (talk, bench, soak, serve) and tests. `standin` and
 * `standin-real` are generated test fixtures that live in the dev-only modules (src-main/dev);
 * the product (runtime.ts, the engine worker) only ever gets explicit model paths or the
 * manifest's default set. This module resolves a set into explicit paths before an engine starts.
 */

/** An engine init as the CLIs build it: which model set the flags asked for. */
export type CliEngineInit = EngineInit & { modelSet: ModelSetName };

/** Model paths of a set; explicit paths in `config.models` win. */
export async function resolveModelPaths(config: EngineConfig, modelSet: ModelSetName, userModelsDir?: string): Promise<ModelPaths> {
  if (modelSet === 'default') return resolveDefaultModelPaths(config, userModelsDir);
  const explicit = { stt: config.models.stt, llm: config.models.llm, tts: config.models.tts };
  const { standinModelPaths } = await import('../dev/standins/index');
  const base = await standinModelPaths(modelSet);
  // The stand-in end-of-turn model's verdicts mean nothing: it is loaded only where a run asks for
  // Smart or Patient explicitly (the bench and the scenario runner wrap it in a labelled oracle).
  const turn = config.models.turn || (config.turn.endOfTurn !== 'fast' ? base.turn : undefined);
  return { stt: explicit.stt || base.stt, llm: explicit.llm || base.llm, tts: explicit.tts || base.tts, ...(turn ? { turn } : {}) };
}

/**
 * A dev run on stand-in models ends turns on silence (Fast) unless its config chooses otherwise:
 * the stand-in end-of-turn model would decide at random.
 */
export function withDevEndOfTurn(config: EngineConfigInput, modelSet: ModelSetName): EngineConfigInput {
  if (modelSet === 'default' || config.turn?.endOfTurn !== undefined) return config;
  return { ...config, turn: { ...config.turn, endOfTurn: 'fast' } };
}

/**
 * Loads the stages of a set (in-process hosts). `standin-real` swaps the stand-ins' meaningless
 * text for realistic English (same model calls and cost): see dev/standins/text-adapters.ts.
 */
export async function loadStages(config: EngineConfig, paths: ModelPaths, modelSet?: ModelSetName): Promise<SpeechStages> {
  const stages = await loadModelStages(config, paths);
  return wrapForModelSet(stages, modelSet);
}

/** The stage wrapper a model set needs in-process (identity except for `standin-real`). */
export async function wrapForModelSet(stages: SpeechStages, modelSet?: ModelSetName): Promise<SpeechStages> {
  if (modelSet !== 'standin-real') return stages;
  const { withRealisticText } = await import('../dev/standins/text-adapters');
  return withRealisticText(stages);
}

/**
 * The init an engine process gets: stand-in sets become explicit paths in `config.models` (the
 * worker knows nothing of stand-ins). Text adapters cannot cross a process boundary: a worker
 * started with `standin-real` runs the plain stand-ins.
 */
export async function resolveInit(init: CliEngineInit): Promise<EngineInit> {
  const { modelSet, ...rest } = init;
  if (modelSet === 'default') return rest;
  const { resolveConfig } = await import('../../shared/config');
  const config = withDevEndOfTurn(init.config, modelSet);
  const paths = await resolveModelPaths(resolveConfig(config), modelSet);
  return { ...rest, config: { ...config, models: { ...config.models, ...paths } } };
}

/**
 * The model sets the development CLIs accept (`--models`): generated test stand-ins or the
 * manifest's real models. Not part of the engine process's start-up contract: the CLIs turn a set
 * into explicit paths (below).
 */
export type ModelSetName = 'standin' | 'standin-real' | 'default';
