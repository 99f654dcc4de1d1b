import { readFileSync } from 'node:fs';
import path from 'node:path';
import { speechExtent } from '../audio/speech-extent';
import { readWavAs16kMono } from '../audio/wav';
import { INPUT_SAMPLE_RATE, OUTPUT_SAMPLE_RATE, resolveConfig, type EngineConfigInput } from '../engine/config';
import { VoiceEngine, type SpeechStages } from '../engine/engine';
import type { EngineEvent, StageBackend, StageName, TurnTrace } from '../engine/events';
import type { ModelSetName } from '../engine/host/types';
import { loadStages, resolveModelPaths } from '../cli/model-sets';
import { feedAudio, waitIdle } from '../cli/feeder';

export interface BenchClip {
  file: string;
  name: string;
  reference: string;
  samples: Float32Array;
  /** Last voiced sample, measured from the audio (energy, src-main/audio/speech-extent.ts), not from the VAD. */
  lastVoicedSample: number;
}

export interface CallInterval {
  stage: 'vad' | 'stt' | 'llm' | 'tts';
  start: number;
  end: number;
}

export interface TurnResult {
  clip: string;
  run: number;
  pipeline: 'streaming' | 'sequential';
  reference: string;
  transcript: string;
  reply: string;
  /** Engine time of the clip's last voiced sample. */
  lastVoicedAt: number;
  firstAudioAt: number | undefined;
  voiceToVoiceMs: number | undefined;
  stagesMs: Record<string, number | undefined>;
  overheadMs: number | undefined;
  /** Where the overhead went: the gaps between the critical path's links. */
  overheadGapsMs?: Record<string, number>;
  turnsInClip: number;
}

export interface PipelineRun {
  pipeline: 'streaming' | 'sequential';
  turns: TurnResult[];
  cpuMs: number;
  wallMs: number;
}

export interface StageRates {
  /** TTS compute time / audio produced (the Kokoro stand-in's real-time factor when standin-real). */
  ttsRealTimeFactor: number | undefined;
  sttRealTimeFactor: number | undefined;
  llmTokensPerSecond: number | undefined;
}

export interface BenchRun {
  models: ModelSetName;
  clips: number;
  runs: number;
  backends: Record<StageName, StageBackend> | undefined;
  ours: PipelineRun;
  baseline: PipelineRun | undefined;
  peakRssMb: number;
  rates: StageRates;
  machine: { cores: number; cpu: string };
}

export interface BenchOptions {
  clipsDir: string;
  models: ModelSetName;
  baseline: boolean;
  runs: number;
  limit?: number;
  config?: EngineConfigInput;
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
    const endMs = speechExtent(file, audio.samples).endMs;
    return { file: path.join(dir, file), name: file, reference, samples: audio.samples, lastVoicedSample: Math.min(audio.samples.length, Math.round((endMs / 1000) * INPUT_SAMPLE_RATE)) };
  });
  return limit ? clips.slice(0, limit) : clips;
}

/** Wraps each stage to record when it is busy (for the engine-overhead figure). */
function instrument(stages: SpeechStages, clock: () => number, calls: CallInterval[]): SpeechStages {
  const timed = async <T>(stage: CallInterval['stage'], run: () => Promise<T>): Promise<T> => {
    const start = clock();
    try {
      return await run();
    } finally {
      calls.push({ stage, start, end: clock() });
      if (calls.length > 200_000) calls.splice(0, 100_000);
    }
  };
  const { vad, stt, llm, tts } = stages;
  return {
    vad: Object.assign(Object.create(vad) as typeof vad, { probability: (w: Float32Array) => timed('vad', () => vad.probability(w)) }),
    stt: Object.assign(Object.create(stt) as typeof stt, { transcribe: (a: Float32Array, o: Parameters<typeof stt.transcribe>[1]) => timed('stt', () => stt.transcribe(a, o)) }),
    llm: Object.assign(Object.create(llm) as typeof llm, { respond: (u: string, o: Parameters<typeof llm.respond>[1]) => timed('llm', () => llm.respond(u, o)) }),
    tts: Object.assign(Object.create(tts) as typeof tts, { synthesize: (t: string, o: Parameters<typeof tts.synthesize>[1]) => timed('tts', () => tts.synthesize(t, o)) }),
  };
}

/**
 * Engine overhead on the critical path: the time between end of speech and first audio that is
 * neither a model call nor the endpointing wait. The chain is: endpoint (pause for a speculative
 * start, else end of turn) → STT call → LLM call (until the first unit's token) → TTS call for the
 * first unit → audio event; overhead is the sum of the gaps between those links.
 */
export function criticalPathOverhead(
  calls: readonly CallInterval[],
  marks: TurnTrace['marks'],
  pauseAt: number | undefined,
  firstAudioAt: number | undefined,
): { total: number; gaps: Record<string, number> } | undefined {
  const { llm_request: llmRequest, first_unit_ready: firstUnit, eot_confirmed: eot } = marks;
  if (llmRequest === undefined || firstUnit === undefined || firstAudioAt === undefined) return undefined;
  const last = <T>(list: T[]): T | undefined => list[list.length - 1];
  const stt = last(calls.filter((c) => c.stage === 'stt' && c.end <= llmRequest + 0.5));
  const llm = calls.find((c) => c.stage === 'llm' && c.start >= llmRequest - 0.5);
  const tts = calls.find((c) => c.stage === 'tts' && c.start >= firstUnit - 0.5);
  if (!stt || !llm || !tts) return undefined;
  // A speculative start is triggered by the pause; otherwise by the end-of-turn confirmation.
  const trigger = eot !== undefined && stt.start >= eot - 0.5 ? eot : (pauseAt ?? stt.start);
  const vad = calls.filter((c) => c.stage === 'vad' && c.end > trigger && c.start < stt.start);
  const gaps = {
    // The windows still queued for the VAD when the pause was reached are model calls too.
    endpoint_to_stt: stt.start - trigger - vad.reduce((sum, c) => sum + (Math.min(c.end, stt.start) - Math.max(c.start, trigger)), 0),
    stt_to_llm: llm.start - stt.end,
    unit_to_tts: tts.start - firstUnit,
    tts_to_audio: firstAudioAt - tts.end,
  };
  const rounded = Object.fromEntries(Object.entries(gaps).map(([k, v]) => [k, round(Math.max(0, v))]));
  return { total: Object.values(rounded).reduce((sum, gap) => sum + gap, 0), gaps: rounded };
}

/**
 * A spoken answer is one to three sentences (the system prompt asks for that); stand-in LLMs never
 * stop on their own, so replies are capped at that length to keep each turn realistic.
 */
export const BENCH_REPLY_TOKENS = 60;

async function runPipeline(
  pipeline: 'streaming' | 'sequential',
  stages: SpeechStages,
  clips: BenchClip[],
  options: BenchOptions,
): Promise<PipelineRun> {
  const base = options.config ?? {};
  const config = resolveConfig({
    ...base,
    llm: { maxTokens: BENCH_REPLY_TOKENS, ...base.llm },
    turn: { ...base.turn, pipeline, mode: 'always-listening' },
  });
  const engine = new VoiceEngine({ config, sharedStages: true });
  const calls: CallInterval[] = [];
  const clock = (): number => engine.now();
  await stages.llm.clear();
  await engine.load(async () => instrument(stages, clock, calls));

  const traces = new Map<number, TurnTrace>();
  const pauses = new Map<number, number>();
  const audioAt: Array<{ turn: number; t: number }> = [];
  engine.on((event: EngineEvent) => {
    if (event.type === 'trace') traces.set(event.trace.turn, event.trace);
    if (event.type === 'speech_pause') pauses.set(event.turn, event.t);
    if (event.type === 'audio') {
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
      let lastVoicedAt = 0;
      const firstTurn = Math.max(0, ...traces.keys()) + 1;
      await feedAudio(engine, audio, {
        realtime: true,
        onFrame: (endSample, t) => {
          if (lastVoicedAt === 0 && endSample >= clip.lastVoicedSample) {
            lastVoicedAt = t - ((endSample - clip.lastVoicedSample) / INPUT_SAMPLE_RATE) * 1000;
          }
        },
      });
      // Wait for the reply to start; then, unless full replies are wanted, stop it as a user who
      // heard enough would (its cost after first audio is not what this benchmark measures).
      const deadline = performance.now() + 180_000;
      while (engine.busy && !audioAt.some((a) => a.turn >= firstTurn && a.t >= lastVoicedAt) && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      if (!options.fullReplies) engine.handle({ type: 'cancel' });
      await waitIdle(engine, 180_000);
      const clipTraces = [...traces.values()].filter((tr) => tr.turn >= firstTurn).sort((a, b) => a.turn - b.turn);
      // The answer to the clip is the first audio after its last voiced sample.
      const reply = audioAt.filter((a) => a.turn >= firstTurn && a.t >= lastVoicedAt).sort((a, b) => a.t - b.t)[0];
      const trace = clipTraces.find((tr) => tr.turn === reply?.turn) ?? clipTraces.at(-1);
      const firstAudioAt = reply?.t;
      const marks = trace?.marks ?? {};
      const overhead = criticalPathOverhead(calls, marks, pauses.get(trace?.turn ?? -1), firstAudioAt);
      const result: TurnResult = {
        clip: clip.name,
        run,
        pipeline,
        reference: clip.reference,
        transcript: trace?.user ?? '',
        reply: trace?.assistant ?? '',
        lastVoicedAt: round(lastVoicedAt),
        firstAudioAt,
        voiceToVoiceMs: firstAudioAt === undefined ? undefined : round(firstAudioAt - lastVoicedAt),
        stagesMs: {
          end_of_turn_wait: trace?.durations.endOfTurnWait,
          stt: trace?.durations.stt,
          llm_first_token: trace?.durations.llmFirstToken,
          first_unit: trace?.durations.firstUnit,
          tts_first_audio: trace?.durations.ttsFirstAudio,
        },
        overheadMs: overhead === undefined ? undefined : round(overhead.total),
        overheadGapsMs: overhead?.gaps,
        turnsInClip: clipTraces.length,
      };
      turns.push(result);
      options.log?.(
        `  ${pipeline.padEnd(10)} ${clip.name.padEnd(44)} v2v ${fmt(result.voiceToVoiceMs).padStart(7)}  overhead ${fmt(result.overheadMs).padStart(6)}  turns ${result.turnsInClip}`,
      );
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  return { pipeline, turns, cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

/** Measures stage throughput outside the conversation (same stages, same threads). */
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
  let tokens = 0;
  let firstAt: number | undefined;
  t0 = performance.now();
  await stages.llm.respond('Tell me a short story about a cat.', {
    onToken: () => {
      tokens++;
      firstAt ??= performance.now();
    },
  });
  const decodeMs = performance.now() - (firstAt ?? t0);
  await stages.llm.clear();
  return {
    ttsRealTimeFactor: ttsAudioMs > 0 ? round3(ttsMs / ttsAudioMs) : undefined,
    sttRealTimeFactor: round3(sttMs / ((sample.length / INPUT_SAMPLE_RATE) * 1000)),
    llmTokensPerSecond: tokens > 1 && decodeMs > 0 ? Math.round(((tokens - 1) / decodeMs) * 1000 * 10) / 10 : undefined,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const log = options.log ?? (() => undefined);
  const clips = loadClips(options.clipsDir, options.limit);
  if (clips.length === 0) throw new Error(`bench: no clips listed in ${options.clipsDir}/transcripts.tsv`);
  const config = resolveConfig({ ...options.config, llm: { maxTokens: BENCH_REPLY_TOKENS, ...options.config?.llm } });
  log(`bench: ${clips.length} clip(s) × ${options.runs} run(s), models ${options.models}`);
  const paths = await resolveModelPaths(config, options.models);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  try {
    const stages = await loadStages(config, paths, options.models);
    let backends: Record<StageName, StageBackend> | undefined;
    const ours = await (async () => {
      const run = await runPipeline('streaming', stages, clips, options);
      backends = { vad: stages.vad.backend, stt: stages.stt.backend, llm: stages.llm.backend, tts: stages.tts.backend };
      return run;
    })();
    const baseline = options.baseline ? await runPipeline('sequential', stages, clips, options) : undefined;
    const rates = await measureRates(stages, clips[0]!.samples.subarray(0, clips[0]!.lastVoicedSample));
    log(`bench: stand-in rates: TTS real-time factor ${rates.ttsRealTimeFactor}, STT real-time factor ${rates.sttRealTimeFactor}, LLM ${rates.llmTokensPerSecond} tokens/s`);
    for (const stage of [stages.vad, stages.stt, stages.llm, stages.tts]) await stage.dispose();
    const { cpus } = await import('node:os');
    const cpuList = cpus();
    return {
      models: options.models,
      clips: clips.length,
      runs: options.runs,
      backends,
      ours,
      baseline,
      peakRssMb: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 1024 / 1024),
      rates,
      machine: { cores: cpuList.length, cpu: cpuList[0]?.model ?? 'unknown' },
    };
  } finally {
    clearInterval(rssTimer);
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const fmt = (ms: number | undefined): string => (ms === undefined ? '—' : `${Math.round(ms)}ms`);
