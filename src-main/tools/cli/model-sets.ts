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

/** How a dev run treats the end-of-turn model of a stand-in set. */
export interface DevTurnOptions {
  /**
   * The run wraps the stand-in end-of-turn model in a labelled oracle (the bench, the scenario
   * runner): it is loaded, and the configured end of turn is kept. Otherwise a stand-in set ends
   * turns on silence and loads no end-of-turn model: the stand-in's verdicts would decide at random.
   */
  turnOracle?: boolean;
}

/** Model paths of a set; explicit paths in `config.models` win. */
export async function resolveModelPaths(config: EngineConfig, modelSet: ModelSetName, userModelsDir?: string, options: DevTurnOptions = {}): Promise<ModelPaths> {
  if (modelSet === 'default') return resolveDefaultModelPaths(config, userModelsDir);
  const explicit = { stt: config.models.stt, llm: config.models.llm, tts: config.models.tts };
  const { standinModelPaths } = await import('../dev/standins/index');
  const base = await standinModelPaths(modelSet);
  // The stand-in end-of-turn model's verdicts mean nothing: loaded only under an oracle.
  const turn = config.models.turn || (options.turnOracle && config.turn.endOfTurn !== 'fast' ? base.turn : undefined);
  return { stt: explicit.stt || base.stt, llm: explicit.llm || base.llm, tts: explicit.tts || base.tts, ...(turn ? { turn } : {}) };
}

/**
 * A dev run on stand-in models ends turns on silence (Fast), whatever its settings say, unless it
 * wraps the stand-in end-of-turn model in an oracle: the stand-in would decide at random.
 */
export function withDevEndOfTurn(config: EngineConfigInput, modelSet: ModelSetName, options: DevTurnOptions = {}): EngineConfigInput {
  if (modelSet === 'default' || options.turnOracle || config.models?.turn) return config;
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
export async function resolveInit(init: CliEngineInit, options: DevTurnOptions = {}): Promise<EngineInit> {
  const { modelSet, ...rest } = init;
  if (modelSet === 'default') return rest;
  const { resolveConfig } = await import('../../shared/config');
  const config = withDevEndOfTurn(init.config, modelSet, options);
  const paths = await resolveModelPaths(resolveConfig(config), modelSet, undefined, options);
  return { ...rest, config: { ...config, models: { ...config.models, ...paths } } };
}

/**
 * The model sets the development CLIs accept (`--models`): generated test stand-ins or the
 * manifest's real models. Not part of the engine process's start-up contract: the CLIs turn a set
 * into explicit paths (below).
 */
export type ModelSetName = 'standin' | 'standin-real' | 'default';
