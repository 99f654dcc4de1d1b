import type { EngineConfig } from './config';
import { resolveConfig } from './config';
import { VoiceEngine, type SpeechStages } from './engine';
import type { EngineInit } from './host/init';
import type { ModelSetName } from './host/types';
import { ConversationJournal } from './journal';
import { KOKORO_ONNX_FILE, KokoroTts } from './tts';
import { LlamaChat } from './llm';
import { SileroVad } from './vad';
import { WhisperStt } from './stt';
import { resolveThreads } from './threads';

export interface ModelPaths {
  stt: string;
  llm: string;
  tts: string;
}

export class MissingModelError extends Error {
  override name = 'MissingModelError';
}

/**
 * Where each model comes from. `standin*` sets are generated test fixtures (never shipped: the
 * generators live in the dev-only modules and need ../shared); `default` is the manifest's real set.
 * Explicit paths in `config.models` always win.
 */
export async function resolveModelPaths(config: EngineConfig, modelSet: ModelSetName, userModelsDir?: string): Promise<ModelPaths> {
  const explicit = { stt: config.models.stt, llm: config.models.llm, tts: config.models.tts };
  if (explicit.stt && explicit.llm && explicit.tts) return explicit;
  let base: ModelPaths;
  if (modelSet === 'default') {
    base = await defaultModelPaths(userModelsDir, explicit, config.models.ttsDtype);
  } else {
    const { standinModelPaths } = await import('../dev/standins/index');
    base = await standinModelPaths(modelSet);
  }
  return { stt: explicit.stt || base.stt, llm: explicit.llm || base.llm, tts: explicit.tts || base.tts };
}

async function defaultModelPaths(userModelsDir: string | undefined, explicit: ModelPaths, ttsDtype: EngineConfig['models']['ttsDtype']): Promise<ModelPaths> {
  const { ModelStore } = await import('../models/store');
  const store = new ModelStore({ userDataModelsDir: userModelsDir });
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
  return { stt: pick('stt'), llm: pick('llm'), tts: pick('tts') };
}

/** Loads every stage with the thread plan; a failure names the stage and the file. */
export async function loadStages(config: EngineConfig, paths: ModelPaths, modelSet?: ModelSetName): Promise<SpeechStages> {
  const stages = await loadModelStages(config, paths);
  if (modelSet !== 'standin-real') return stages;
  const { withRealisticText } = await import('../dev/standins/text-adapters');
  return withRealisticText(stages);
}

async function loadModelStages(config: EngineConfig, paths: ModelPaths): Promise<SpeechStages> {
  const threads = resolveThreads(config);
  // Loading is mostly file I/O and allocation: all four load at once (restart time matters).
  const vad = SileroVad.load({ modelPath: config.models.vad, threads: threads.vad });
  const stt = WhisperStt.load({ modelPath: paths.stt, threads: threads.stt, gpu: config.stt.gpu, language: config.stt.language, initialPrompt: config.stt.initialPrompt });
  const llm = LlamaChat.load({
    modelPath: paths.llm,
    threads: threads.llm,
    gpu: config.llm.gpu,
    contextSize: config.llm.contextSize,
    systemPrompt: config.llm.systemPrompt,
    maxTokens: config.llm.maxTokens,
    timeoutMs: config.llm.timeoutMs,
    historyTokenBudget: config.llm.historyTokenBudget,
    temperature: config.llm.temperature,
    seed: config.llm.seed,
  });
  const tts = KokoroTts.load({
    modelDir: paths.tts,
    dtype: config.models.ttsDtype,
    device: config.tts.device,
    threads: threads.tts,
    voice: config.tts.voice,
    speed: config.tts.speed,
  });
  const settled = await Promise.allSettled([vad, stt, llm, tts]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Free whatever did load before reporting the first failure.
    for (const r of settled) if (r.status === 'fulfilled') await r.value.dispose().catch(() => undefined);
    throw failed.reason;
  }
  return { vad: await vad, stt: await stt, llm: await llm, tts: await tts };
}

/** Creates an engine for a host (CLI, worker process, bench) and starts loading it. */
export function createEngine(init: EngineInit): { engine: VoiceEngine; ready: Promise<void>; config: EngineConfig } {
  const config = resolveConfig(init.config);
  const journal = init.journalPath ? new ConversationJournal(init.journalPath) : undefined;
  const engine = new VoiceEngine({ config, journal });
  const ready = engine.load(async () => loadStages(config, await resolveModelPaths(config, init.modelSet, init.userModelsDir), init.modelSet));
  return { engine, ready, config };
}
