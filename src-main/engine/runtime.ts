import type { EngineConfig } from '../shared/config';
import { resolveConfig } from '../shared/config';
import { VoiceEngine } from './core/voice-engine';
import type { SpeechStages } from './stages/contracts';
import type { StageLoaders } from './core/stage-reloader';
import type { EngineInit } from './host/init';
import { ConversationJournal } from './core/journal';
import { KOKORO_ONNX_FILE, type KokoroTtsOptions } from './stages/tts/kokoro-tts';
import { ThreadedTts } from './stages/tts/threaded-tts';
import { LlamaChat } from './stages/llm/llama-chat';
import { SileroVad } from './stages/vad/silero-vad';
import { WhisperStt } from './stages/stt/whisper-stt';
import { SmartTurn } from './stages/turn/smart-turn';
import { resolveThreads } from './stages/threads';

export interface ModelPaths {
  stt: string;
  llm: string;
  tts: string;
  /** The end-of-turn model, when installed (optional: without it turns end on silence). */
  turn?: string;
}

export class MissingModelError extends Error {
  override name = 'MissingModelError';
}

/**
 * The model paths the engine loads: explicit paths in `config.models` win; the rest come from the
 * manifest's default set installed in the model store (bundled or downloaded). Test stand-ins are
 * not known here: the dev CLIs resolve them into explicit paths (cli/model-sets.ts).
 */
export async function resolveDefaultModelPaths(config: EngineConfig, userModelsDir?: string): Promise<ModelPaths> {
  const explicit = { stt: config.models.stt, llm: config.models.llm, tts: config.models.tts };
  if (explicit.stt && explicit.llm && explicit.tts && config.models.turn) return { ...explicit, turn: config.models.turn };
  return defaultModelPaths(userModelsDir, explicit, config.models.turn, config.models.ttsDtype);
}

async function defaultModelPaths(
  userModelsDir: string | undefined,
  explicit: ModelPaths,
  explicitTurn: string,
  ttsDtype: EngineConfig['models']['ttsDtype'],
): Promise<ModelPaths> {
  const { ModelStore } = await import('../models/store');
  const store = new ModelStore({ userDataModelsDir: userModelsDir });
  const installedTurn = (): string | undefined => {
    for (const entry of store.manifest.models.filter((e) => e.role === 'turn')) {
      const resolved = store.resolveModel(entry.id);
      if (resolved) return resolved.primary;
    }
    return undefined;
  };
  const pick = (role: 'stt' | 'llm' | 'tts'): string => {
    if (explicit[role]) return explicit[role];
    const defaults = [...store.defaultSet({ gpu: true }), ...store.defaultSet({ gpu: false })].filter((e) => e.role === role);
    // A Kokoro precision chosen in Settings picks its folder; otherwise any installed alternative of
    // the role still runs (e.g. the q8 Kokoro an earlier version installed).
    const chosen = role === 'tts' && ttsDtype !== 'auto' ? store.manifest.models.filter((e) => e.role === 'tts' && e.files.some((f) => f.path === `onnx/${KOKORO_ONNX_FILE[ttsDtype]}`)) : [];
    const others = store.manifest.models.filter((e) => e.role === role);
    const candidates = [...new Set([...chosen, ...defaults, ...others])];
    for (const entry of candidates) {
      const resolved = store.resolveModel(entry.id);
      if (resolved) return role === 'tts' ? resolved.dir : resolved.primary;
    }
    const wanted = store.defaultSet({ gpu: false }).find((e) => e.role === role) ?? candidates[0];
    const id = wanted?.id ?? role;
    const where = store.roots().map((r) => r.dir).join(', ');
    throw new MissingModelError(
      `the ${role.toUpperCase()} model "${id}" is not installed (looked in ${where}). ` +
        `Download it with: npm run models -- download ${id}   (or all defaults: npm run models -- download default)`,
    );
  };
  const turn = explicitTurn || installedTurn();
  return { stt: pick('stt'), llm: pick('llm'), tts: pick('tts'), ...(turn ? { turn } : {}) };
}

/** Loads every stage with the thread plan; a failure names the stage and the file. */
export async function loadModelStages(config: EngineConfig, paths: ModelPaths): Promise<SpeechStages> {
  const threads = resolveThreads(config);
  // Loading is mostly file I/O and allocation: all four load at once (restart time matters).
  const vad = SileroVad.load({ modelPath: config.models.vad, threads: threads.vad });
  const stt = WhisperStt.load(sttOptions(config, paths.stt, threads.stt));
  const llm = LlamaChat.load(llmOptions(config, paths.llm, threads.llm));
  const tts = ThreadedTts.load(ttsOptions(config, paths.tts, threads.tts));
  // The end-of-turn model runs at pauses, in bursts: it gets the transcriber's cores (at most 4).
  const turn = paths.turn ? SmartTurn.load({ modelPath: paths.turn, threads: Math.min(4, threads.stt) }) : undefined;
  const settled = await Promise.allSettled([vad, stt, llm, tts, ...(turn ? [turn] : [])]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Free whatever did load before reporting the first failure.
    for (const r of settled) if (r.status === 'fulfilled') await r.value.dispose().catch(() => undefined);
    throw failed.reason;
  }
  return { vad: await vad, stt: await stt, llm: await llm, tts: await tts, ...(turn ? { turn: await turn } : {}) };
}

/** Loaders of each stage with a new config (a `configure` changed its model, threads or device). */
export function stageLoaders(userModelsDir?: string): StageLoaders {
  const paths = (config: EngineConfig): Promise<ModelPaths> => resolveDefaultModelPaths(config, userModelsDir);
  return {
    vad: async (config) => SileroVad.load({ modelPath: config.models.vad, threads: resolveThreads(config).vad }),
    stt: async (config) => WhisperStt.load(sttOptions(config, (await paths(config)).stt, resolveThreads(config).stt)),
    llm: async (config) => LlamaChat.load(llmOptions(config, (await paths(config)).llm, resolveThreads(config).llm)),
    tts: async (config) => ThreadedTts.load(ttsOptions(config, (await paths(config)).tts, resolveThreads(config).tts)),
  };
}

export interface CreateEngineOptions {
  /** In-process hosts may wrap the loaded stages (the dev CLIs' `standin-real` text adapters). */
  wrapStages?: (stages: SpeechStages) => SpeechStages | Promise<SpeechStages>;
  /** Load as a standby (`VoiceEngine.loadStandby`): `ready` resolves in state `standby`, `activate` makes it the engine. */
  standby?: boolean;
}

/** Creates an engine for a host (CLI, worker process, bench) and starts loading it. */
export function createEngine(init: EngineInit, options: CreateEngineOptions = {}): { engine: VoiceEngine; ready: Promise<void>; config: EngineConfig } {
  const config = resolveConfig(init.config);
  const journal = init.journalPath ? new ConversationJournal(init.journalPath) : undefined;
  const engine = new VoiceEngine({
    config,
    journal,
    reloadStages: stageLoaders(init.userModelsDir),
  });
  const load = async (): Promise<SpeechStages> => {
    const stages = await loadModelStages(config, await resolveDefaultModelPaths(config, init.userModelsDir));
    return options.wrapStages ? options.wrapStages(stages) : stages;
  };
  const ready = options.standby ? engine.lifecycle.loadStandby(load) : engine.load(load);
  return { engine, ready, config };
}

function sttOptions(config: EngineConfig, modelPath: string, threads: number): Parameters<typeof WhisperStt.load>[0] {
  return { modelPath, threads, gpu: config.stt.gpu, language: config.stt.language, initialPrompt: config.stt.initialPrompt };
}

function llmOptions(config: EngineConfig, modelPath: string, threads: number): Parameters<typeof LlamaChat.load>[0] {
  const { gpu, contextSize, systemPrompt, maxTokens, timeoutMs, historyTokenBudget, temperature, seed } = config.llm;
  return { modelPath, threads, gpu, contextSize, systemPrompt, maxTokens, timeoutMs, historyTokenBudget, temperature, seed };
}

function ttsOptions(config: EngineConfig, modelDir: string, threads: number): KokoroTtsOptions {
  return { modelDir, dtype: config.models.ttsDtype, device: config.tts.device, threads, voice: config.tts.voice, speed: config.tts.speed };
}
