/**
 * The soak run itself (the `npm run soak` CLI and the soak test drive it): many turns through one
 * in-process engine, clips fed as fast as the engine takes them, with an answer to every turn.
 * Reports memory growth after warmup, open handles, latency at the start vs the end, and per turn
 * the prompt tokens the LLM evaluated (a long conversation must not re-evaluate its history once it
 * is trimmed), its first-token time and RSS.
 */
import { INPUT_SAMPLE_RATE, resolveConfig } from '../../shared/config';
import { VoiceEngine, type LlmStage } from '../../engine';
import { decorateLlm } from '../dev/stage-decorators';

import { LlamaChat, type LlmResponse } from '../../engine/stages/llm/llama-chat';
import { loadStages, resolveModelPaths, withDevEndOfTurn, type CliEngineInit } from './model-sets';
import { resolveThreads } from '../../engine/stages/threads';
import { percentile } from '../../shared/stats';
import { feedAudio, silenceThatEndsAnyTurnMs, waitIdle } from './feeder';

export interface SoakClip {
  samples: Float32Array;
}

export interface SoakOptions {
  init: CliEngineInit;
  clips: readonly SoakClip[];
  turns: number;
  /** Memory is compared from the end of this turn on. */
  warmupTurns: number;
  /** How long one clip's turn may take before the soak gives up (a busy machine is slow). */
  turnTimeoutMs: number;
  log?: (line: string) => void;
}

interface Sample {
  turn: number;
  rssMb: number;
  heapMb: number;
  handles: number;
  latencyMs: number | undefined;
  llmCalls: LlmCall[];
}

/** One `respond` of the LLM stage (a turn may have several: a discarded speculative one, the answer). */
interface LlmCall {
  promptTokensEvaluated?: number;
  firstTokenMs?: number;
}

export interface SoakTurn {
  turn: number;
  /** Summed over the turn's LLM calls (speculative ones included): what the turn cost the LLM. */
  prompt_tokens_evaluated: number | null;
  /** The answering call's time to its first text (ms). */
  first_token_ms: number | null;
  rss_mb: number;
  llm_calls: number;
}

export interface SoakReport {
  turns: number;
  models: string;
  warmupTurns: number;
  rss_mb: { afterWarmup: number; end: number; growthPercent: number };
  heap_mb: { afterWarmup: number; end: number; growthPercent: number };
  handles: { afterWarmup: number; end: number; byType: Record<string, number> };
  latency_p95_ms: { start: number | null; end: number | null };
  llm: {
    /** The most prompt tokens one turn evaluated after the second (the history is cached by then). */
    max_prompt_tokens_after_turn_2: number | null;
    first_token_ms_p50: number | null;
    first_token_ms_p95: number | null;
  };
  /**
   * Drift over the run: RSS from the end of the warm-up to the end (MB), and the answering call's
   * first-token p95 of the ten turns after the warm-up against the last ten (turns 11–20 and
   * 31–40 of a 40-turn run with the default warm-up).
   */
  drift: {
    rss_growth_mb: number;
    first_token_p95_ms: { after_warmup: number | null; last_10: number | null; change_percent: number | null };
  };
  errors: number;
  wallSeconds: number;
  per_turn: SoakTurn[];
}

/** Wraps the LLM stage so every respond's prompt-token count and first-token time are recorded. */
function recordingLlm(llm: LlmStage, onCall: (call: LlmCall) => void): LlmStage {
  return decorateLlm(llm, {
    respond: async (...args) => {
      const reply: Awaited<ReturnType<LlmStage['respond']>> & Partial<LlmResponse> = await llm.respond(...args);
      onCall({ promptTokensEvaluated: reply.promptTokensEvaluated, firstTokenMs: reply.firstTokenMs });
      return reply;
    },
  });
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function runSoak({ init, clips, turns, warmupTurns, turnTimeoutMs, log = () => undefined }: SoakOptions): Promise<SoakReport> {
  if (clips.length === 0) throw new Error('soak: no clips to play');
  const config = resolveConfig(withDevEndOfTurn(init.config, init.modelSet));
  const loaded = await loadStages(config, await resolveModelPaths(config, init.modelSet), init.modelSet);
  let llmCalls: LlmCall[] = [];
  const stages = { ...loaded, llm: recordingLlm(loaded.llm, (call) => llmCalls.push(call)) };
  const engine = new VoiceEngine({ config });
  let errors = 0;
  const latency = new Map<number, number | undefined>();
  engine.on((event) => {
    if (event.type === 'error') {
      errors++;
      log(`soak: ${event.message}`);
    }
    if (event.type === 'audio' && event.unit === 0) engine.handle({ type: 'playback_started', turn: event.turn });
    if (event.type === 'audio') engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
    if (event.type === 'trace') latency.set(event.trace.turn, event.trace.durations.voiceToVoice);
  });
  try {
    await engine.load(async () => stages);
    return await playTurns();
  } finally {
    await engine.dispose();
  }

  async function playTurns(): Promise<SoakReport> {
    const samples: Sample[] = [];
    // Enough for each turn to end on silence whatever the end-of-turn model says (a file stops, a microphone does not).
    const silence = new Float32Array(Math.round((Math.max(600, silenceThatEndsAnyTurnMs(config)) / 1000) * INPUT_SAMPLE_RATE));
    const started = performance.now();
    for (let i = 0; i < turns; i++) {
      const clip = clips[i % clips.length]!;
      const audio = new Float32Array(clip.samples.length + silence.length);
      audio.set(clip.samples);
      // Long-form clips split into several turns; one clip counts as one soak turn either way.
      const before = latency.size;
      llmCalls = [];
      await feedAudio(engine, audio, { realtime: false });
      await waitIdle(engine, turnTimeoutMs, 50);
      if (i === warmupTurns - 1 || i === turns - 1 || i % 10 === 0) gc();
      const usage = process.memoryUsage();
      const lastTurn = [...latency.keys()].at(-1) ?? 0;
      samples.push({
        turn: i + 1,
        rssMb: mb(usage.rss),
        heapMb: mb(usage.heapUsed),
        handles: process.getActiveResourcesInfo().length,
        latencyMs: latency.size > before ? latency.get(lastTurn) : undefined,
        llmCalls,
      });
      const evaluated = sumEvaluated(llmCalls);
      log(
        `soak: turn ${i + 1}/${turns}: ${evaluated ?? '-'} prompt tokens evaluated, first token ` +
          `${llmCalls.at(-1)?.firstTokenMs?.toFixed(0) ?? '-'} ms, rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)} MB`,
      );
    }
    const atWarmup = samples[warmupTurns - 1]!;
    const end = samples.at(-1)!;
    const window = Math.max(5, Math.floor(turns / 10));
    const p95 = (list: Sample[]): number | null => {
      const v = percentile(list.map((s) => s.latencyMs).filter((x): x is number => x !== undefined), 95);
      return v === undefined ? null : Math.round(v);
    };
    const perTurn: SoakTurn[] = samples.map((sample) => ({
      turn: sample.turn,
      prompt_tokens_evaluated: sumEvaluated(sample.llmCalls),
      first_token_ms: roundOrNull(sample.llmCalls.at(-1)?.firstTokenMs),
      rss_mb: sample.rssMb,
      llm_calls: sample.llmCalls.length,
    }));
    const afterTurn2 = perTurn.slice(2).map((t) => t.prompt_tokens_evaluated).filter((n): n is number => n !== null);
    const firstTokenMs = perTurn.map((t) => t.first_token_ms).filter((n): n is number => n !== null);
    const byType: Record<string, number> = {};
    for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
    const report: SoakReport = {
      turns,
      models: init.modelSet,
      warmupTurns,
      rss_mb: { afterWarmup: atWarmup.rssMb, end: end.rssMb, growthPercent: growth(atWarmup.rssMb, end.rssMb) },
      heap_mb: { afterWarmup: atWarmup.heapMb, end: end.heapMb, growthPercent: growth(atWarmup.heapMb, end.heapMb) },
      handles: { afterWarmup: atWarmup.handles, end: end.handles, byType },
      latency_p95_ms: { start: p95(samples.slice(warmupTurns, warmupTurns + window)), end: p95(samples.slice(-window)) },
      llm: {
        max_prompt_tokens_after_turn_2: afterTurn2.length > 0 ? Math.max(...afterTurn2) : null,
        first_token_ms_p50: roundOrNull(percentile(firstTokenMs, 50)),
        first_token_ms_p95: roundOrNull(percentile(firstTokenMs, 95)),
      },
      drift: {
        rss_growth_mb: Math.round((end.rssMb - atWarmup.rssMb) * 10) / 10,
        first_token_p95_ms: firstTokenDrift(perTurn.slice(warmupTurns, warmupTurns + 10), perTurn.slice(-10)),
      },
      errors,
      wallSeconds: Math.round((performance.now() - started) / 1000),
      per_turn: perTurn,
    };
    return report;
  }
}

function firstTokenDrift(early: readonly SoakTurn[], late: readonly SoakTurn[]): SoakReport['drift']['first_token_p95_ms'] {
  const p95 = (turns: readonly SoakTurn[]): number | null =>
    roundOrNull(percentile(turns.map((t) => t.first_token_ms).filter((n): n is number => n !== null), 95));
  const afterWarmup = p95(early);
  const last10 = p95(late);
  return { after_warmup: afterWarmup, last_10: last10, change_percent: afterWarmup && last10 !== null ? growth(afterWarmup, last10) : null };
}

const growth = (from: number, to: number): number => Math.round(((to - from) / from) * 1000) / 10;
const roundOrNull = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value));

function sumEvaluated(calls: readonly LlmCall[]): number | null {
  const counts = calls.map((call) => call.promptTokensEvaluated).filter((n): n is number => n !== undefined);
  return counts.length === 0 ? null : counts.reduce((a, b) => a + b, 0);
}


export interface LlmSoakOptions {
  init: CliEngineInit;
  /** Each turn's user message (cycled). */
  userTexts: readonly string[];
  turns: number;
  log?: (line: string) => void;
}

export interface LlmSoakReport {
  turns: number;
  models: string;
  llm: SoakReport['llm'];
  per_turn: Array<Omit<SoakTurn, 'llm_calls'> & { history_turns: number; history_tokens: number }>;
}

/**
 * The soak's LLM workload without STT and TTS (`--llm-only`): respond + commit per turn on the
 * engine's LLM configuration, so a long conversation's prompt evaluation can be measured in
 * minutes where the full pipeline takes an hour. With `standin-real`, the committed reply is the
 * realistic text the full soak commits (the stand-in's own tokens are not English).
 */
export async function runLlmSoak({ init, userTexts, turns, log = () => undefined }: LlmSoakOptions): Promise<LlmSoakReport> {
  if (userTexts.length === 0) throw new Error('soak: no user texts');
  const config = resolveConfig(init.config);
  const paths = await resolveModelPaths(config, init.modelSet);
  const chat = await LlamaChat.load({ ...config.llm, modelPath: paths.llm, threads: resolveThreads(config).llm });
  const realisticReplies = init.modelSet === 'standin-real' ? await realReplies(config.llm.maxTokens) : undefined;
  const perTurn: LlmSoakReport['per_turn'] = [];
  try {
    await chat.warm();
    for (let i = 0; i < turns; i++) {
      const user = userTexts[i % userTexts.length] as string;
      const reply = await chat.respond(user);
      chat.commit(user, realisticReplies?.[i % realisticReplies.length] ?? reply.text, false);
      const row = {
        turn: i + 1,
        prompt_tokens_evaluated: reply.promptTokensEvaluated,
        first_token_ms: roundOrNull(reply.firstTokenMs),
        rss_mb: mb(process.memoryUsage().rss),
        history_turns: chat.history().length,
        history_tokens: chat.historyTokens(),
      };
      perTurn.push(row);
      log(`soak (llm only): ${JSON.stringify(row)}`);
    }
  } finally {
    await chat.dispose();
  }
  const afterTurn2 = perTurn.slice(2).map((t) => t.prompt_tokens_evaluated as number);
  const firstTokenMs = perTurn.map((t) => t.first_token_ms).filter((n): n is number => n !== null);
  return {
    turns,
    models: init.modelSet,
    llm: {
      max_prompt_tokens_after_turn_2: afterTurn2.length > 0 ? Math.max(...afterTurn2) : null,
      first_token_ms_p50: roundOrNull(percentile(firstTokenMs, 50)),
      first_token_ms_p95: roundOrNull(percentile(firstTokenMs, 95)),
    },
    per_turn: perTurn,
  };
}

/** The real chat-model replies the full `standin-real` soak speaks, cut to the token cap (bench data from ../shared). */
async function realReplies(maxTokens: number): Promise<string[]> {
  const { DEFAULT_REPLIES_FILE, qwenTokenPieces, readReplies } = await import('../dev/standins/text-adapters');
  const { sharedPath } = await import('../dev/shared-data');
  return readReplies(sharedPath(DEFAULT_REPLIES_FILE)).map((reply) => qwenTokenPieces(reply).slice(0, maxTokens).join(''));
}
