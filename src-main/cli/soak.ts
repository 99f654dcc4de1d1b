/**
 * npm run soak -- --turns 200 [--models standin] [--clips ../shared/speech] [--json soak.json]
 *
 * Drives many turns through one engine (clips fed as fast as the engine takes them, with an
 * answer to every turn) and reports memory growth after warmup, open handles, and latency at the
 * start vs the end. Exit code 1 when memory grew more than --max-growth percent (default 5).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadClips } from '../bench/run';
import { INPUT_SAMPLE_RATE, resolveConfig } from '../engine/config';
import { VoiceEngine } from '../engine/engine';
import { loadStages, resolveModelPaths } from './model-sets';
import { percentile } from '../engine/trace';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { feedAudio, waitIdle } from './feeder';
import { runEngineCli } from './run-engine-cli';

interface Sample {
  turn: number;
  rssMb: number;
  heapMb: number;
  handles: number;
  latencyMs: number | undefined;
}

export interface SoakReport {
  turns: number;
  models: string;
  warmupTurns: number;
  rss_mb: { afterWarmup: number; end: number; growthPercent: number };
  heap_mb: { afterWarmup: number; end: number; growthPercent: number };
  handles: { afterWarmup: number; end: number; byType: Record<string, number> };
  latency_p95_ms: { start: number | null; end: number | null };
  errors: number;
  wallSeconds: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      models: { type: 'string', default: 'standin' },
      turns: { type: 'string', default: '200' },
      clips: { type: 'string', default: '../shared/speech' },
      warmup: { type: 'string', default: '10' },
      'max-growth': { type: 'string', default: '5' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const turns = Number(values.turns);
  const warmupTurns = Math.min(Number(values.warmup), Math.max(1, turns - 1));
  const init = engineInitFromFlags(values, { llm: { maxTokens: 48 } });
  const config = resolveConfig(init.config);
  const clips = loadClips(values.clips);
  const stages = await loadStages(config, await resolveModelPaths(config, init.modelSet));
  const engine = new VoiceEngine({ config });
  let errors = 0;
  const latency = new Map<number, number | undefined>();
  engine.on((event) => {
    if (event.type === 'error') {
      errors++;
      console.error(`soak: ${event.message}`);
    }
    if (event.type === 'audio' && event.unit === 0) engine.handle({ type: 'playback_started', turn: event.turn });
    if (event.type === 'audio') engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
    if (event.type === 'trace') latency.set(event.trace.turn, event.trace.durations.voiceToVoice);
  });
  await engine.load(async () => stages);

  const samples: Sample[] = [];
  const silence = new Float32Array(Math.round(0.6 * INPUT_SAMPLE_RATE));
  const started = performance.now();
  for (let i = 0; i < turns; i++) {
    const clip = clips[i % clips.length]!;
    const audio = new Float32Array(clip.samples.length + silence.length);
    audio.set(clip.samples);
    // Long-form clips split into several turns; one clip counts as one soak turn either way.
    const before = latency.size;
    await feedAudio(engine, audio, { realtime: false });
    await waitIdle(engine, 60_000, 50);
    if (i === warmupTurns - 1 || i === turns - 1 || i % 10 === 0) gc();
    const usage = process.memoryUsage();
    const lastTurn = [...latency.keys()].at(-1) ?? 0;
    samples.push({
      turn: i + 1,
      rssMb: mb(usage.rss),
      heapMb: mb(usage.heapUsed),
      handles: process.getActiveResourcesInfo().length,
      latencyMs: latency.size > before ? latency.get(lastTurn) : undefined,
    });
    if ((i + 1) % 20 === 0) console.log(`soak: ${i + 1}/${turns} turns, rss ${mb(usage.rss)} MB, heap ${mb(usage.heapUsed)} MB`);
  }
  const atWarmup = samples[warmupTurns - 1]!;
  const end = samples.at(-1)!;
  const window = Math.max(5, Math.floor(turns / 10));
  const p95 = (list: Sample[]): number | null => {
    const v = percentile(list.map((s) => s.latencyMs).filter((x): x is number => x !== undefined), 95);
    return v === undefined ? null : Math.round(v);
  };
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
    errors,
    wallSeconds: Math.round((performance.now() - started) / 1000),
  };
  console.log(JSON.stringify(report, null, 2));
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  await engine.dispose();
  return report.rss_mb.growthPercent > Number(values['max-growth']) ? 1 : 0;
}

const growth = (from: number, to: number): number => Math.round(((to - from) / from) * 1000) / 10;

runEngineCli('soak', main);
