import { roundMs } from '../../shared/stats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { speechExtent } from '../../audio/speech-extent';
import { readWavAs16kMono } from '../../audio/wav';
import { INPUT_SAMPLE_RATE, OUTPUT_SAMPLE_RATE, resolveConfig, VAD_WINDOW_SAMPLES, type EngineConfig, type EngineConfigInput } from '../../shared/config';
import { TtsCache } from '../../engine/core/tts-cache';
import { VoiceEngine, type SpeechStages, type UnitSplitter } from '../../engine';
import { decorateLlm, decorateStages } from '../dev/stage-decorators';
import type { EngineEvent, StageBackend, StageName, TurnTrace } from '../../shared/events';
import type { ModelSetName } from '../cli/model-sets';
import { loadStages, resolveModelPaths } from '../cli/model-sets';
import type { ModelPaths } from '../../engine/runtime';
import { resolveThreads, type ThreadPlan } from '../../engine/stages/threads';
import { feedAudio, feedSilence } from '../cli/feeder';
import { cpuDefaultStandins } from '../dev/standins/index';
import { RealisticText, readReplies, withRealisticText } from '../dev/standins/text-adapters';
import { firstUnitDistribution, type FirstUnitStats } from './first-units';
import { PeerSplitter } from './peer-splitter';

export interface BenchClip {
  file: string;
  name: string;
  reference: string;
  samples: Float32Array;
  /** First and last voiced samples, measured from the audio (energy, src-main/audio/speech-extent.ts), not from the VAD. */
  firstVoicedSample: number;
  lastVoicedSample: number;
}

export interface CallInterval {
  stage: 'vad' | 'stt' | 'llm' | 'tts';
  start: number;
  end: number;
}

/** Ours, and the two baselines that run through the same engine on the same loaded models. */
export type PipelineName = 'streaming' | 'peer' | 'peer-hot' | 'sequential';
export type BaselineName = Exclude<PipelineName, 'streaming'>;

export interface TurnResult {
  clip: string;
  run: number;
  pipeline: PipelineName;
  reference: string;
  transcript: string;
  /** The whole answer text as the LLM wrote it (up to where the bench stopped it). */
  reply: string;
  /** The first speakable unit's text, its audio length, and the text of every unit whose audio was produced. */
  firstUnit: string | undefined;
  firstUnitAudioMs: number | undefined;
  replyText: string;
  /** Engine time of the clip's last voiced sample. */
  lastVoicedAt: number;
  firstAudioAt: number | undefined;
  voiceToVoiceMs: number | undefined;
  stagesMs: Record<string, number | undefined>;
  overheadMs: number | undefined;
  /** Where the overhead went: the gaps between the critical path's links. */
  overheadGapsMs?: Record<string, number>;
  turnsInClip: number;
  /** Each call of the end-of-turn model in the clip's turns (features + inference, ms). */
  turnModelMs: number[];
}

export interface PipelineRun {
  pipeline: PipelineName;
  turns: TurnResult[];
  cpuMs: number;
  wallMs: number;
  /** The engine's TTS unit cache over the run (none in the peer baseline). */
  ttsCache?: { hits: number; misses: number };
}

export interface StageRates {
  /** TTS compute time / audio produced (the Kokoro stand-in's real-time factor when standin-real). */
  ttsRealTimeFactor: number | undefined;
  sttRealTimeFactor: number | undefined;
  /** Decode speed of the LLM (tokens generated per second after the first). */
  llmTokensPerSecond: number | undefined;
  /** Prompt evaluation speed of the LLM on a fresh context (prompt tokens per second to the first token). */
  llmPrefillTokensPerSecond: number | undefined;
  llmPrefillTokens: number | undefined;
}

/** What the bench ran: the effective engine config and where each part of it came from. */
export interface BenchConfigReport {
  /** The engine config every pipeline ran with (before each pipeline's own policy switches). */
  engine: EngineConfig;
  threads: ThreadPlan;
  /** What each model is: the manifest id whose shapes a stand-in has, or a file. */
  models: { stt: string; llm: string; tts: string; turn: string; files: ModelPaths };
  /** Differences from the app's configuration for this machine, each with why. */
  overrides: string[];
  /** Policy switches of each baseline (the only differences between pipelines). */
  pipelines: Record<PipelineName, string>;
}

export interface BenchRun {
  models: ModelSetName;
  clips: number;
  runs: number;
  backends: Record<StageName, StageBackend> | undefined;
  ours: PipelineRun;
  baselines: Partial<Record<BaselineName, PipelineRun>>;
  peakRssMb: number;
  rates: StageRates;
  machine: { cores: number; cpu: string };
  config: BenchConfigReport;
  replies: { file: string; count: number } | undefined;
  /** First-unit lengths over the whole replies file, ours and the peers' policy (issue 12). */
  firstUnits: { ours: FirstUnitStats; peer: FirstUnitStats } | undefined;
}

export interface BenchOptions {
  clipsDir: string;
  models: ModelSetName;
  baselines: BaselineName[];
  runs: number;
  limit?: number;
  /** The effective engine config (the app's for this machine, with the CLI's overrides applied). */
  config?: EngineConfigInput;
  /** Where `config` differs from the app's configuration, for the report. */
  overrides?: string[];
  /** Cores the thread plan was made for (default: this machine's). */
  cores?: number;
  /** JSONL file of real replies (`reply` field) the stand-ins speak (required for standin-real). */
  repliesFile?: string;
  trailingSilenceMs?: number;
  /** Let every reply play to its end before the next clip (default: stop it once it has started). */
  fullReplies?: boolean;
  log?: (line: string) => void;
}

/** Reads `<dir>/transcripts.tsv` and the WAVs it names (16 kHz; others are converted). */
export function loadClips(dir: string, limit?: number): BenchClip[] {
  const tsv = path.join(dir, 'transcripts.tsv');
  let text: string;
  try {
    text = readFileSync(tsv, 'utf8');
  } catch {
    throw new Error(`bench: ${tsv} not found: --clips needs a folder with WAV clips and a transcripts.tsv (file, reference_transcript, …)`);
  }
  const rows = text.split('\n').slice(1).filter((line) => line.trim());
  const clips = rows.map((row) => {
    const [file = '', reference = ''] = row.split('\t');
    const audio = readWavAs16kMono(path.join(dir, file));
    const { startMs, endMs } = speechExtent(file, audio.samples);
    const sample = (ms: number): number => Math.min(audio.samples.length, Math.round((ms / 1000) * INPUT_SAMPLE_RATE));
    return { file: path.join(dir, file), name: file, reference, samples: audio.samples, firstVoicedSample: sample(startMs), lastVoicedSample: sample(endMs) };
  });
  return limit ? clips.slice(0, limit) : clips;
}

/** Model calls still running (abandoned partials and cancelled answers finish in the background). */
let callsInFlight = 0;

/**
 * Waits until no model call of the bench's engines runs, including a synthesis whose caller gave
 * up (an ONNX run cannot be interrupted): a stage must not be disposed under one, and the next
 * clip starts on quiet cores, as a user's next turn does after an answer that was heard in full.
 */
async function settleCalls(tts: SpeechStages['tts'], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (modelCallsRunning(tts) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

function modelCallsRunning(tts: SpeechStages['tts']): boolean {
  return callsInFlight > 0 || tts.busy === true;
}

/** Wraps each stage to record when it is busy (for the engine-overhead figure). */
function instrument(stages: SpeechStages, clock: () => number, calls: CallInterval[]): SpeechStages {
  const timed = async <T>(stage: CallInterval['stage'], run: () => Promise<T>): Promise<T> => {
    const start = clock();
    callsInFlight++;
    try {
      return await run();
    } finally {
      callsInFlight--;
      calls.push({ stage, start, end: clock() });
      if (calls.length > 200_000) calls.splice(0, 100_000);
    }
  };
  return decorateStages(stages, {
    vad: (vad) => ({ probability: (w, o) => timed('vad', () => vad.probability(w, o)) }),
    stt: (stt) => ({ transcribe: (a, o) => timed('stt', () => stt.transcribe(a, o)) }),
    llm: (llm) => ({ respond: (u, o) => timed('llm', () => llm.respond(u, o)) }),
    tts: (tts) => ({ synthesize: (t, o) => timed('tts', () => tts.synthesize(t, o)) }),
  });
}

/**
 * Engine overhead on the critical path: the time between end of speech and first audio that is
 * neither a model call nor the endpointing wait. The chain is: endpoint (pause for a speculative
 * start, else end of turn) → STT call → LLM call (until the first unit's token) → TTS call for the
 * first unit (none when it came from the cache) → audio event; overhead is the sum of the gaps
 * between those links.
 */
export function criticalPathOverhead(
  calls: readonly CallInterval[],
  marks: TurnTrace['marks'],
  pauseAt: number | undefined,
  firstAudioAt: number | undefined,
): { total: number; gaps: Record<string, number>; queued: { stt: number; tts: number | undefined } } | undefined {
  const { llm_request: llmRequest, first_unit_ready: firstUnit, eot_confirmed: eot } = marks;
  if (llmRequest === undefined || firstUnit === undefined || firstAudioAt === undefined) return undefined;
  const last = <T>(list: T[]): T | undefined => list[list.length - 1];
  const stt = last(calls.filter((c) => c.stage === 'stt' && c.end <= llmRequest + 0.5));
  const llm = calls.find((c) => c.stage === 'llm' && c.start >= llmRequest - 0.5);
  // The first unit's synthesis ends before its audio; none does when the unit came from the cache.
  const tts = calls.find((c) => c.stage === 'tts' && c.start >= firstUnit - 0.5 && c.end <= firstAudioAt + 0.5);
  if (!stt || !llm) return undefined;
  // A speculative start is triggered by the pause; otherwise by the end-of-turn confirmation.
  const trigger = eot !== undefined && stt.start >= eot - 0.5 ? eot : (pauseAt ?? stt.start);
  const vad = calls.filter((c) => c.stage === 'vad' && c.end > trigger && c.start < stt.start);
  const gaps = {
    // The windows still queued for the VAD when the pause was reached are model calls too.
    endpoint_to_stt: stt.start - trigger - vad.reduce((sum, c) => sum + (Math.min(c.end, stt.start) - Math.max(c.start, trigger)), 0),
    stt_to_llm: llm.start - stt.end,
    ...(tts ? { unit_to_tts: tts.start - firstUnit, tts_to_audio: firstAudioAt - tts.end } : { unit_to_audio: firstAudioAt - firstUnit }),
  };
  const rounded = Object.fromEntries(Object.entries(gaps).map(([k, v]) => [k, roundMs(Math.max(0, v))]));
  const queued = { stt: queuedMs(calls, stt), tts: tts ? queuedMs(calls, tts) : undefined };
  return { total: Object.values(rounded).reduce((sum, gap) => sum + gap, 0), gaps: rounded, queued };
}

/**
 * How long a call waited behind another call of its stage before it could run (STT and TTS run
 * one call at a time): part of the stage's time in the trace, but a queue, not the model.
 */
export function queuedMs(calls: readonly CallInterval[], call: CallInterval): number {
  let until = call.start;
  for (const c of calls) {
    if (c !== call && c.stage === call.stage && c.start < call.start && c.end > until) until = Math.min(c.end, call.end);
  }
  return roundMs(until - call.start);
}

/**
 * Replies are capped at this many tokens: every pipeline stops a reply once its first audio
 * exists (a user who heard it start), so the cap matters only for `--full-replies` and for the
 * sequential baseline, which synthesizes the whole reply in one call.
 */
export const BENCH_REPLY_TOKENS = 60;

/** What each pipeline changes in the engine config and unit policy; nothing else differs. */
export const PIPELINE_POLICIES: Record<PipelineName, string> = {
  streaming: "the engine's own: speculative start at a short pause, partial transcripts, transcript reuse, its chunker",
  peer:
    'the best open local assistants: turn ends at the same silence, STT of the whole utterance, LLM streamed, ' +
    "first unit cut as RealtimeVoiceChat's get_context (first . ! ? , ; : - or line break after ≥ 10 letters or digits), later units by sentence; " +
    'no speculative start, no partial transcripts, no transcript reuse, no TTS cache',
  'peer-hot':
    "RealtimeVoiceChat's pipeline as it ships: partial transcripts while the user speaks, the LLM and TTS started " +
    "on the potential sentence at a pause (the engine's speculative start), turn ends at the same silence, its " +
    'first-unit cut (get_context), later units by sentence, the LLM writing on while the first unit is synthesized ' +
    '(no hold), no LLM prefill, no TTS cache',
  sequential: 'naive: full transcript, full reply, the whole reply synthesized in one call, then audio',
};

/** The peers' pipelines: their unit cut, and no TTS cache. */
const isPeer = (pipeline: PipelineName): boolean => pipeline === 'peer' || pipeline === 'peer-hot';

/**
 * The bench's end-of-turn oracle (the stand-in model's verdicts mean nothing): "complete" once the
 * engine has heard the end of the clip's speech, "incomplete" before. It wraps the stand-in
 * network, whose call keeps its full cost; reports say so.
 */
export const TURN_ORACLE_LABEL = 'oracle: complete once the end of the clip\'s speech was heard (the stand-in network runs at full cost; its own verdict is discarded)';

function withTurnOracle(stages: SpeechStages, speechHeard: () => boolean): SpeechStages {
  return decorateStages(stages, {
    turn: (turn) => ({
      classify: async (audio, options) => {
        const { ms } = await turn.classify(audio, options);
        return { probability: speechHeard() ? 1 : 0, ms };
      },
    }),
  });
}

/** The LLM stage without `hold`: RealtimeVoiceChat's LLM writes on while its first unit is synthesized. */
function withoutLlmHold(stages: SpeechStages): SpeechStages {
  const llm = decorateLlm(stages.llm, { respond: (user, options) => stages.llm.respond(user, options) });
  delete llm.hold;
  return { ...stages, llm };
}

function pipelineConfig(pipeline: PipelineName, base: EngineConfigInput): EngineConfig {
  const config = resolveConfig({
    ...base,
    llm: { maxTokens: BENCH_REPLY_TOKENS, ...base.llm },
    turn: {
      ...base.turn,
      pipeline: pipeline === 'sequential' ? 'sequential' : 'streaming',
      mode: 'always-listening',
      // The baselines end turns on silence, as the peers do.
      ...(pipeline === 'streaming' ? {} : { endOfTurn: 'fast' as const }),
    },
  });
  if (pipeline === 'peer-hot') return resolveConfig({ ...config, turn: { ...config.turn, speculative: true, prefill: false } });
  if (pipeline !== 'peer') return config;
  return resolveConfig({
    ...config,
    turn: { ...config.turn, speculative: false, prefill: false },
    stt: { ...config.stt, partialIntervalMs: 0 },
  });
}

async function runPipeline(
  pipeline: PipelineName,
  stages: SpeechStages,
  clips: BenchClip[],
  options: BenchOptions,
  text: RealisticText | undefined,
): Promise<PipelineRun> {
  const config = pipelineConfig(pipeline, options.config ?? {});
  const createUnitSplitter = isPeer(pipeline) ? (): UnitSplitter => new PeerSplitter() : undefined;
  // The peers keep no cache of synthesized units: one that can hold nothing.
  const ttsCache = isPeer(pipeline) ? new TtsCache({ maxEntries: 0, maxTextChars: 0 }) : undefined;
  const engine = new VoiceEngine({ config, stageOwnership: 'borrowed', createUnitSplitter, ttsCache });
  const calls: CallInterval[] = [];
  const clock = (): number => engine.now();
  await stages.llm.clear();
  text?.rewindReplies();
  let speechHeard = (): boolean => true;
  const shipped = pipeline === 'peer-hot' ? withoutLlmHold(stages) : stages;
  const oracle = options.models === 'default' ? shipped : withTurnOracle(shipped, () => speechHeard());
  await engine.load(async () => instrument(oracle, clock, calls));

  const traces = new Map<number, TurnTrace>();
  const pauses = new Map<number, number>();
  const audioAt: Array<{ turn: number; t: number }> = [];
  /** Per turn: each unit's text and, once synthesized, its audio length. */
  const units = new Map<number, Map<number, { text: string; samples?: number }>>();
  const unitsOf = (turn: number): Map<number, { text: string; samples?: number }> => {
    let map = units.get(turn);
    if (!map) units.set(turn, (map = new Map()));
    return map;
  };
  engine.on((event: EngineEvent) => {
    if (event.type === 'trace') traces.set(event.trace.turn, event.trace);
    if (event.type === 'speech_pause') pauses.set(event.turn, event.t);
    if (event.type === 'unit_ready') unitsOf(event.turn).set(event.unit, { text: event.text });
    if (event.type === 'audio') {
      const unit = unitsOf(event.turn).get(event.unit);
      if (unit) unit.samples = event.samples.length;
      if (!audioAt.some((a) => a.turn === event.turn)) {
        audioAt.push({ turn: event.turn, t: event.t });
        engine.handle({ type: 'playback_started', turn: event.turn });
      }
      engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
    }
    if (event.type === 'error') options.log?.(`  ${pipeline}: ${event.fatal ? 'error' : 'warning'}: ${event.message}`);
  });

  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const turns: TurnResult[] = [];
  const silence = new Float32Array(Math.round(((options.trailingSilenceMs ?? 1500) / 1000) * INPUT_SAMPLE_RATE));
  for (let run = 0; run < options.runs; run++) {
    for (const clip of clips) {
      const audio = new Float32Array(clip.samples.length + silence.length);
      audio.set(clip.samples);
      let fed = 0;
      // What the engine has heard: the frames fed, less those still queued for the VAD.
      const heard = (): number => Math.max(0, fed - engine.inputBacklog * VAD_WINDOW_SAMPLES);
      text?.setUtterance(clip.reference, clip.lastVoicedSample - clip.firstVoicedSample, { heard, speechStart: clip.firstVoicedSample });
      speechHeard = () => heard() >= clip.lastVoicedSample;
      let lastVoicedAt = 0;
      const firstTurn = Math.max(0, ...traces.keys()) + 1;
      await feedAudio(engine, audio, {
        realtime: true,
        frameSamples: VAD_WINDOW_SAMPLES,
        onFrame: (endSample, t) => {
          fed = endSample;
          if (lastVoicedAt === 0 && endSample >= clip.lastVoicedSample) {
            lastVoicedAt = t - ((endSample - clip.lastVoicedSample) / INPUT_SAMPLE_RATE) * 1000;
          }
        },
      });
      // Wait for the reply to start; then, unless full replies are wanted, stop it as a user who
      // heard enough would (its cost after first audio is not what this benchmark measures).
      // The microphone stays live meanwhile (silence), so the input clock keeps pace with the wall clock.
      await feedSilence(engine, {
        frameSamples: VAD_WINDOW_SAMPLES,
        timeoutMs: 180_000,
        until: () => audioAt.some((a) => a.turn >= firstTurn && a.t >= lastVoicedAt) || !engine.busy,
      });
      if (!options.fullReplies) engine.handle({ type: 'cancel' });
      // Then until the engine and every model call (an abandoned synthesis too) are done, the mic
      // still live: the next clip starts on quiet cores, as a user's next turn does after an answer.
      let quietSince: number | undefined;
      const settled = (): boolean => {
        if (engine.busy || modelCallsRunning(stages.tts)) {
          quietSince = undefined;
          return false;
        }
        quietSince ??= performance.now();
        return performance.now() - quietSince >= 200;
      };
      await feedSilence(engine, { frameSamples: VAD_WINDOW_SAMPLES, timeoutMs: 180_000, until: settled });
      if (!settled()) {
        throw new Error(`bench: still busy 180 s after ${clip.name} (engine ${engine.busy}, model calls ${callsInFlight}, synthesis ${stages.tts.busy === true})`);
      }
      const clipTraces = [...traces.values()].filter((tr) => tr.turn >= firstTurn).sort((a, b) => a.turn - b.turn);
      // The answer to the clip is the first audio after its last voiced sample.
      const reply = audioAt.filter((a) => a.turn >= firstTurn && a.t >= lastVoicedAt).sort((a, b) => a.t - b.t)[0];
      const trace = clipTraces.find((tr) => tr.turn === reply?.turn) ?? clipTraces.at(-1);
      const firstAudioAt = reply?.t;
      const marks = trace?.marks ?? {};
      const overhead = criticalPathOverhead(calls, marks, pauses.get(trace?.turn ?? -1), firstAudioAt);
      const replyUnits = [...(units.get(trace?.turn ?? -1)?.entries() ?? [])].sort((a, b) => a[0] - b[0]).map(([, u]) => u);
      const first = replyUnits[0];
      const result: TurnResult = {
        clip: clip.name,
        run,
        pipeline,
        reference: clip.reference,
        transcript: trace?.user ?? '',
        reply: trace?.assistant ?? '',
        firstUnit: first?.text,
        firstUnitAudioMs: first?.samples === undefined ? undefined : roundMs((first.samples / OUTPUT_SAMPLE_RATE) * 1000),
        replyText: replyUnits.filter((u) => u.samples !== undefined).map((u) => u.text).join(' '),
        lastVoicedAt: roundMs(lastVoicedAt),
        firstAudioAt,
        voiceToVoiceMs: firstAudioAt === undefined ? undefined : roundMs(firstAudioAt - lastVoicedAt),
        stagesMs: {
          end_of_turn_wait: trace?.durations.endOfTurnWait,
          stt: trace?.durations.stt,
          llm_first_token: trace?.durations.llmFirstToken,
          first_unit: trace?.durations.firstUnit,
          tts_first_audio: trace?.durations.ttsFirstAudio,
          // Inside stt and tts_first_audio: time spent waiting for the stage, not in the model.
          stt_queue_wait: overhead?.queued.stt,
          tts_queue_wait: overhead?.queued.tts,
        },
        overheadMs: overhead === undefined ? undefined : roundMs(overhead.total),
        overheadGapsMs: overhead?.gaps,
        turnsInClip: clipTraces.length,
        turnModelMs: clipTraces.flatMap((tr) => (tr.verdicts ?? []).map((v) => roundMs(v.ms))),
      };
      turns.push(result);
      options.log?.(
        `  ${pipeline.padEnd(10)} ${clip.name.padEnd(44)} v2v ${fmt(result.voiceToVoiceMs).padStart(7)}  overhead ${fmt(result.overheadMs).padStart(6)}  turns ${result.turnsInClip}  first unit "${(result.firstUnit ?? '').slice(0, 40)}"`,
      );
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  await engine.dispose();
  // The next pipeline starts on quiet stages, as this one did.
  await settleCalls(stages.tts, 300_000);
  const cache = pipeline === 'peer' ? undefined : { hits: engine.ttsCache.hits, misses: engine.ttsCache.misses };
  return { pipeline, turns, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, ttsCache: cache };
}

/** What node-llama-cpp's stage reports beyond the LlmStage contract (absent for other stages). */
interface LlmCallDetails {
  tokens: number;
  promptTokensEvaluated?: number;
  firstTokenMs?: number;
}

/** A long user turn of real English (≈ 120 Qwen tokens) for the prefill rate. */
const PREFILL_TEXT =
  'I am planning a week-long trip to the mountains in early spring with two friends who have never hiked before, ' +
  'and I would like some advice on what kind of trails to choose, how much water and food we should carry each day, ' +
  'what clothes and shoes make sense when the weather changes quickly, how to keep warm at night in a small tent, ' +
  'and what we should do if one of us twists an ankle far away from the nearest road or loses the path in fog.';

/** Measures stage throughput outside the conversation (same raw stages, same threads). */
async function measureRates(stages: SpeechStages, sample: Float32Array): Promise<StageRates> {
  const text = 'The quick brown fox jumps over the lazy dog, and then it runs far away into the quiet forest.';
  let t0 = performance.now();
  const audio = await stages.tts.synthesize(text, {});
  const ttsMs = performance.now() - t0;
  const ttsAudioMs = (audio.length / OUTPUT_SAMPLE_RATE) * 1000;
  t0 = performance.now();
  await stages.stt.transcribe(sample, {});
  const sttMs = performance.now() - t0;

  await stages.llm.clear();
  let firstAt: number | undefined;
  t0 = performance.now();
  const result = (await stages.llm.respond(PREFILL_TEXT, {
    onToken: () => {
      firstAt ??= performance.now();
    },
  })) as LlmCallDetails;
  const end = performance.now();
  await stages.llm.clear();
  const prefillMs = (firstAt ?? end) - t0;
  const decodeMs = end - (firstAt ?? t0);
  const prompt = result.promptTokensEvaluated;
  return {
    ttsRealTimeFactor: ttsAudioMs > 0 ? round3(ttsMs / ttsAudioMs) : undefined,
    sttRealTimeFactor: round3(sttMs / ((sample.length / INPUT_SAMPLE_RATE) * 1000)),
    llmTokensPerSecond: result.tokens > 1 && decodeMs > 0 ? roundMs((result.tokens - 1) / (decodeMs / 1000)) : undefined,
    llmPrefillTokensPerSecond: prompt && prefillMs > 0 ? roundMs(prompt / (prefillMs / 1000)) : undefined,
    llmPrefillTokens: prompt,
  };
}

async function describeModels(models: ModelSetName, files: ModelPaths, explicit: EngineConfig['models']): Promise<BenchConfigReport['models']> {
  const describe: Record<'stt' | 'llm' | 'tts' | 'turn', string> = { stt: files.stt, llm: files.llm, tts: files.tts, turn: files.turn ?? 'none (end of turn on silence)' };
  if (models === 'standin-real') {
    for (const standin of cpuDefaultStandins()) describe[standin.role] = `${standin.id}: ${standin.shapes}`;
  } else if (models === 'standin') {
    Object.assign(describe, {
      stt: 'whisper tiny.en shapes (stand-in)',
      llm: 'stories260K (a real tiny llama, not a chat model)',
      tts: 'Kokoro-format ONNX, light (nearly free)',
      ...(files.turn ? { turn: 'Smart Turn v3 network (stand-in, seeded weights)' } : {}),
    });
  }
  if (files.turn && models !== 'default') describe.turn += `; ${TURN_ORACLE_LABEL}`;
  for (const role of ['stt', 'llm', 'tts'] as const) if (explicit[role]) describe[role] = `file ${explicit[role]} (--${role}-model)`;
  return { ...describe, files };
}

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? (() => undefined);
  const clips = loadClips(options.clipsDir, options.limit);
  if (clips.length === 0) throw new Error(`bench: no clips listed in ${options.clipsDir}/transcripts.tsv`);
  const config = pipelineConfig('streaming', options.config ?? {});
  if (options.models === 'default' && options.repliesFile) throw new Error('bench: --replies is for stand-in models (real models write their own replies)');
  // Stand-ins speak real replies: always for standin-real, for standin when a replies file is given.
  const replies = options.repliesFile ? readReplies(options.repliesFile) : undefined;
  const text = replies ? new RealisticText({ replies }) : undefined;
  if (options.models === 'standin-real' && !text) throw new Error('bench: --models standin-real needs a replies file (--replies <file.jsonl>)');
  log(`bench: ${clips.length} clip(s) × ${options.runs} run(s), models ${options.models}, baselines ${options.baselines.join(', ') || 'none'}`);
  const paths = await resolveModelPaths(config, options.models, undefined, { turnOracle: true });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    // Raw stages (the real runtimes on the stand-in files); for standin-real their text is swapped
    // for real text, every model call keeping its full cost.
    const raw = await loadStages(config, paths);
    const stages = text ? withRealisticText(raw, text) : raw;
    const backends: Record<StageName, StageBackend> = { vad: raw.vad.backend, stt: raw.stt.backend, llm: raw.llm.backend, tts: raw.tts.backend };
    const ours = await runPipeline('streaming', stages, clips, options, text);
    const baselines: BenchRun['baselines'] = {};
    for (const name of options.baselines) baselines[name] = await runPipeline(name, stages, clips, options, text);
    const rates = await measureRates(raw, clips[0]!.samples.subarray(0, clips[0]!.lastVoicedSample));
    log(
      `bench: stand-in rates: TTS real-time factor ${rates.ttsRealTimeFactor}, STT real-time factor ${rates.sttRealTimeFactor}, ` +
        `LLM ${rates.llmTokensPerSecond} tokens/s decode, ${rates.llmPrefillTokensPerSecond} tokens/s prefill (${rates.llmPrefillTokens} prompt tokens)`,
    );
    for (const stage of [raw.vad, raw.stt, raw.llm, raw.tts, raw.turn]) await stage?.dispose();
    const { cpus } = await import('node:os');
    const cpuList = cpus();
    return {
      models: options.models,
      clips: clips.length,
      runs: options.runs,
      backends,
      ours,
      baselines,
      peakRssMb: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024),
      rates,
      machine: { cores: cpuList.length, cpu: cpuList[0]?.model ?? 'unknown' },
      config: {
        engine: config,
        threads: resolveThreads(config, options.cores),
        models: await describeModels(options.models, paths, config.models),
        overrides: [
          ...(options.overrides ?? []),
          `llm.maxTokens ${config.llm.maxTokens} (bench: replies are stopped once their first audio exists; the cap only bounds --full-replies and the sequential baseline)`,
        ],
        pipelines: PIPELINE_POLICIES,
      },
      replies: text && options.repliesFile ? { file: options.repliesFile, count: text.replyCount } : undefined,
      firstUnits: replies ? firstUnitDistribution(replies, config.chunker) : undefined,
    };
  } finally {
    clearInterval(rssTimer);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const fmt = (ms: number | undefined): string => (ms === undefined ? '—' : `${Math.round(ms)}ms`);
