import { percentile } from '../../shared/stats';
import type { BenchRun, PipelineRun, TurnResult } from './run';

interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99?: number | null;
}

interface PipelineJson {
  voice_to_voice_ms: Required<Quantiles>;
  stages_ms: Record<string, Quantiles>;
}

/** One turn as the JSON report writes it. */
export type TurnJson = Omit<TurnResult, 'firstUnit' | 'firstUnitAudioMs' | 'replyText'> & {
  first_unit: string | null;
  first_unit_audio_ms: number | null;
  reply_text: string;
};

export interface BenchJson {
  clips: number;
  runs: number;
  models: string;
  machine: BenchRun['machine'];
  backends: BenchRun['backends'] | null;
  config: BenchRun['config'];
  replies: BenchRun['replies'] | null;
  voice_to_voice_ms: Required<Quantiles>;
  stages_ms: Record<string, Quantiles>;
  overhead_ms: Quantiles;
  cpu_ms: number;
  wall_ms: number;
  peak_rss_mb: number;
  standin_rates: BenchRun['rates'];
  /** `--baseline peer`: the pipeline the best open local assistants ship, same run. */
  peer_baseline: PipelineJson | null;
  speedup_vs_peer_p50: number | null;
  speedup_vs_peer_p95: number | null;
  /** `--baseline peer-hot`: RealtimeVoiceChat's pipeline as it ships (partials, a hot start at a pause), same run. */
  peer_hot_baseline: PipelineJson | null;
  speedup_vs_peer_hot_p50: number | null;
  speedup_vs_peer_hot_p95: number | null;
  /** `--baseline sequential` (the seeds' "before"). */
  baseline: PipelineJson | null;
  speedup_p50: number | null;
  first_unit_distribution: BenchRun['firstUnits'] | null;
  /** The end-of-turn model's calls in our pipeline (features + inference). */
  turn_model_ms: { p50: number | null; p95: number | null; calls: number };
  /**
   * How turns ended: ours with the configured policy, the peer with silence alone, and the
   * end-of-turn wait (speech end → end of turn confirmed) of both, same clips.
   */
  end_of_turn: { policy: string; model: string; wait_ms: Quantiles; silence_only_wait_ms: Quantiles | null };
  /** Hit rate of the engine's TTS unit cache, when the engine has one ("n/a" otherwise). */
  tts_cache_hit_rate: number | 'n/a';
  turns: TurnJson[];
}

const q = (values: number[], p: number): number | null => {
  const v = percentile(values, p);
  return v === undefined ? null : Math.round(v);
};
const defined = (values: Array<number | undefined>): number[] => values.filter((v): v is number => v !== undefined);

function voiceToVoice(run: PipelineRun): Required<Quantiles> {
  const v = defined(run.turns.map((t) => t.voiceToVoiceMs));
  return { p50: q(v, 50), p95: q(v, 95), p99: q(v, 99) };
}

function stages(run: PipelineRun): Record<string, Quantiles> {
  const names = Object.keys(run.turns[0]?.stagesMs ?? {});
  return Object.fromEntries(
    names.map((name) => {
      const v = defined(run.turns.map((t) => t.stagesMs[name]));
      return [name, { p50: q(v, 50), p95: q(v, 95) }];
    }),
  );
}

const pipelineJson = (run: PipelineRun | undefined): PipelineJson | null =>
  run ? { voice_to_voice_ms: voiceToVoice(run), stages_ms: stages(run) } : null;

const ratio = (theirs: number | null | undefined, ours: number | null): number | null =>
  theirs && ours ? Math.round((theirs / ours) * 100) / 100 : null;

function turnJson({ firstUnit, firstUnitAudioMs, replyText, ...rest }: TurnResult): TurnJson {
  return { ...rest, first_unit: firstUnit ?? null, first_unit_audio_ms: firstUnitAudioMs ?? null, reply_text: replyText };
}

export function toJson(run: BenchRun): BenchJson {
  const ours = voiceToVoice(run.ours);
  const peer = pipelineJson(run.baselines.peer);
  const peerHot = pipelineJson(run.baselines['peer-hot']);
  const baseline = pipelineJson(run.baselines.sequential);
  const overhead = defined(run.ours.turns.map((t) => t.overheadMs));
  const turnModel = run.ours.turns.flatMap((t) => t.turnModelMs);
  return {
    clips: run.clips,
    runs: run.runs,
    models: run.models,
    machine: run.machine,
    backends: run.backends ?? null,
    config: run.config,
    replies: run.replies ?? null,
    voice_to_voice_ms: ours,
    stages_ms: stages(run.ours),
    overhead_ms: { p50: q(overhead, 50), p95: q(overhead, 95) },
    cpu_ms: Math.round(run.ours.cpuMs),
    wall_ms: Math.round(run.ours.wallMs),
    peak_rss_mb: run.peakRssMb,
    standin_rates: run.rates,
    peer_baseline: peer,
    speedup_vs_peer_p50: ratio(peer?.voice_to_voice_ms.p50, ours.p50),
    speedup_vs_peer_p95: ratio(peer?.voice_to_voice_ms.p95, ours.p95),
    peer_hot_baseline: peerHot,
    speedup_vs_peer_hot_p50: ratio(peerHot?.voice_to_voice_ms.p50, ours.p50),
    speedup_vs_peer_hot_p95: ratio(peerHot?.voice_to_voice_ms.p95, ours.p95),
    baseline,
    speedup_p50: ratio(baseline?.voice_to_voice_ms.p50, ours.p50),
    first_unit_distribution: run.firstUnits ?? null,
    turn_model_ms: { p50: q(turnModel, 50), p95: q(turnModel, 95), calls: turnModel.length },
    end_of_turn: {
      policy: run.config.engine.turn.endOfTurn,
      model: run.config.models.turn,
      wait_ms: stages(run.ours).end_of_turn_wait ?? { p50: null, p95: null },
      silence_only_wait_ms: peer?.stages_ms.end_of_turn_wait ?? null,
    },
    tts_cache_hit_rate: cacheHitRate(run.ours.ttsCache),
    turns: [run.ours, run.baselines.peer, run.baselines['peer-hot'], run.baselines.sequential].flatMap((p) => p?.turns ?? []).map(turnJson),
  };
}

const cell = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${v}`);
const text = (s: string | null | undefined, max = 60): string => (s ?? '—').slice(0, max).replaceAll('|', '/').replaceAll('\n', ' ');

export function toMarkdown(json: BenchJson): string {
  const r = json.standin_rates;
  const lines = [
    `# Benchmark: ${json.clips} clips × ${json.runs} run(s), models \`${json.models}\``,
    '',
    `Machine: ${json.machine.cores} cores, ${json.machine.cpu}. Peak RSS ${json.peak_rss_mb} MB, CPU ${json.cpu_ms} ms over ${json.wall_ms} ms wall (streaming pass).`,
    `Models: STT ${json.config.models.stt}; LLM ${json.config.models.llm}; TTS ${json.config.models.tts}.`,
    `Threads: STT ${json.config.threads.stt}, LLM ${json.config.threads.llm}, TTS ${json.config.threads.tts}. End-of-turn silence ${json.config.engine.vad.endOfTurnSilenceMs} ms.`,
    `Overrides of the app's configuration: ${json.config.overrides.length ? json.config.overrides.join('; ') : 'none'}.`,
    json.replies ? `Replies: ${json.replies.count} real replies from \`${json.replies.file}\`, one per turn in a seeded order.` : 'Replies: the model\'s own text.',
    `Stand-in rates: TTS real-time factor ${cell(r.ttsRealTimeFactor)}, STT real-time factor ${cell(r.sttRealTimeFactor)}, ` +
      `LLM ${cell(r.llmTokensPerSecond)} tokens/s decode, ${cell(r.llmPrefillTokensPerSecond)} tokens/s prefill (${cell(r.llmPrefillTokens)} prompt tokens).`,
    '',
    '| metric (ms) | p50 | p95 | p99 |',
    '|---|---|---|---|',
    `| **voice-to-voice (ours, streaming)** | **${cell(json.voice_to_voice_ms.p50)}** | **${cell(json.voice_to_voice_ms.p95)}** | ${cell(json.voice_to_voice_ms.p99)} |`,
  ];
  if (json.peer_baseline) {
    const b = json.peer_baseline.voice_to_voice_ms;
    lines.push(`| voice-to-voice (peer baseline, same run) | ${cell(b.p50)} | ${cell(b.p95)} | ${cell(b.p99)} |`);
  }
  if (json.peer_hot_baseline) {
    const b = json.peer_hot_baseline.voice_to_voice_ms;
    lines.push(`| voice-to-voice (peer-hot baseline, same run) | ${cell(b.p50)} | ${cell(b.p95)} | ${cell(b.p99)} |`);
  }
  if (json.baseline) {
    const b = json.baseline.voice_to_voice_ms;
    lines.push(`| voice-to-voice (sequential baseline, same run) | ${cell(b.p50)} | ${cell(b.p95)} | ${cell(b.p99)} |`);
  }
  lines.push(`| engine overhead (ours) | ${cell(json.overhead_ms.p50)} | ${cell(json.overhead_ms.p95)} | |`);
  lines.push('', '| stage (ms, p50 / p95) | ours | peer | peer-hot |', '|---|---|---|---|');
  const quantiles = (p: { p50: number | null; p95: number | null } | undefined): string => (p ? `${cell(p.p50)} / ${cell(p.p95)}` : '—');
  for (const [name, v] of Object.entries(json.stages_ms)) {
    const peer = json.peer_baseline?.stages_ms[name];
    const hot = json.peer_hot_baseline?.stages_ms[name];
    lines.push(`| ${name.replaceAll('_', ' ')} | ${quantiles(v)} | ${quantiles(peer)} | ${quantiles(hot)} |`);
  }
  lines.push('');
  if (json.speedup_vs_peer_p50 !== null) lines.push(`Speed-up over the peer baseline: **${json.speedup_vs_peer_p50}× at p50, ${cell(json.speedup_vs_peer_p95)}× at p95**.`);
  if (json.speedup_vs_peer_hot_p50 !== null) {
    lines.push(`Speed-up over the peer-hot baseline: **${json.speedup_vs_peer_hot_p50}× at p50, ${cell(json.speedup_vs_peer_hot_p95)}× at p95**.`);
  }
  if (json.speedup_p50 !== null) lines.push(`Speed-up over the sequential baseline at p50: ${json.speedup_p50}×.`);
  const d = json.first_unit_distribution;
  if (d) {
    lines.push(
      '',
      `First-unit audio length over all ${d.ours.replies} replies (estimated at Kokoro's speaking rate, ms p10 / p50 / p90): ` +
        `ours ${d.ours.audio_ms.p10} / ${d.ours.audio_ms.p50} / ${d.ours.audio_ms.p90}; peer ${d.peer.audio_ms.p10} / ${d.peer.audio_ms.p50} / ${d.peer.audio_ms.p90}.`,
      '',
      `Commonest first units (ours): ${d.ours.most_common.map((c) => `"${text(c.unit, 40)}" × ${c.count}`).join(', ')}.`,
      '',
      `| ${d.ours.sampled.length} sampled first units (evenly over the replies) | ours | peer |`,
      '|---|---|---|',
      ...d.ours.sampled.map((unit, i) => `| ${i + 1} | ${text(unit, 80)} | ${text(d.peer.sampled[i], 80)} |`),
    );
  }
  const eot = json.end_of_turn;
  lines.push(
    `End of turn: ${eot.policy} (model: ${eot.model}); wait p50 / p95 ${cell(eot.wait_ms.p50)} / ${cell(eot.wait_ms.p95)} ms` +
      (eot.silence_only_wait_ms ? ` vs silence only (peer) ${cell(eot.silence_only_wait_ms.p50)} / ${cell(eot.silence_only_wait_ms.p95)} ms` : '') +
      `; end-of-turn model ${json.turn_model_ms.calls} calls, p50 ${cell(json.turn_model_ms.p50)} ms, p95 ${cell(json.turn_model_ms.p95)} ms.`,
  );
  lines.push(`TTS cache hit rate: ${json.tts_cache_hit_rate}.`);
  lines.push('', '| clip | pipeline | v2v | overhead | first unit | its audio (ms) | transcript |', '|---|---|---|---|---|---|---|');
  for (const t of json.turns) {
    lines.push(
      `| ${t.clip} | ${t.pipeline} | ${cell(t.voiceToVoiceMs)} | ${cell(t.overheadMs)} | ${text(t.first_unit, 50)} | ${cell(t.first_unit_audio_ms)} | ${text(t.transcript, 50)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

const STAGE_COLORS: Record<string, string> = {
  end_of_turn_wait: '#94a3b8',
  stt: '#60a5fa',
  llm_first_token: '#a78bfa',
  first_unit: '#f472b6',
  tts_first_audio: '#fb923c',
  stt_queue_wait: '#cbd5e1',
  tts_queue_wait: '#cbd5e1',
};

/** Aggregate waterfall (p50 of each stage, laid end to end as in a turn) and the v2v distribution. */
export function toSvg(json: BenchJson): string {
  const width = 760;
  const rowH = 26;
  const left = 170;
  const stageEntries = Object.entries(json.stages_ms);
  const v2v = json.turns.filter((t) => t.pipeline === 'streaming' && t.voiceToVoiceMs !== undefined).map((t) => t.voiceToVoiceMs as number);
  const base = json.turns.filter((t) => t.pipeline === 'sequential' && t.voiceToVoiceMs !== undefined).map((t) => t.voiceToVoiceMs as number);
  const peer = json.turns.filter((t) => t.pipeline === 'peer' && t.voiceToVoiceMs !== undefined).map((t) => t.voiceToVoiceMs as number);
  const peerP50 = json.peer_baseline?.voice_to_voice_ms.p50 ?? null;
  // The waterfall gets its own scale (the baseline's seconds would flatten it); the distribution
  // shows both pipelines on one axis.
  const waterfallMs = Math.max(1000, json.voice_to_voice_ms.p95 ?? 0, peerP50 ?? 0, ...Object.values(json.stages_ms).map((q) => q.p50 ?? 0));
  const maxMs = Math.max(1000, ...v2v, ...peer, ...base, json.voice_to_voice_ms.p95 ?? 0);
  const span = width - left - 80;
  let scaleMs = waterfallMs;
  const x = (ms: number): number => left + (Math.max(0, ms) / scaleMs) * span;
  const ticks = (y0: number): void => {
    const raw = scaleMs / 6;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= raw) ?? raw;
    for (let ms = 0; ms <= scaleMs; ms += step) {
      parts.push(`<line x1="${x(ms).toFixed(1)}" y1="${y0}" x2="${x(ms).toFixed(1)}" y2="${y0 + 5}" stroke="#64748b"/>`);
      parts.push(`<text x="${x(ms).toFixed(1)}" y="${y0 + 18}" font-size="10" text-anchor="middle" fill="#64748b">${Math.round(ms)}</text>`);
    }
  };
  const parts: string[] = [];
  let y = 40;
  parts.push(`<text x="16" y="24" font-size="15" font-weight="600">Voice-to-voice waterfall, p50 per stage (${json.models}, ${json.clips} clips)</text>`);
  // Stages start where the previous one (in turn order) ends, from the end of the user's speech.
  const starts: Record<string, number> = {
    end_of_turn_wait: 0,
    stt: 0,
    llm_first_token: json.stages_ms.stt?.p50 ?? 0,
    first_unit: (json.stages_ms.stt?.p50 ?? 0) + (json.stages_ms.llm_first_token?.p50 ?? 0),
    tts_first_audio: (json.stages_ms.stt?.p50 ?? 0) + (json.stages_ms.llm_first_token?.p50 ?? 0) + (json.stages_ms.first_unit?.p50 ?? 0),
  };
  // A queue wait is the first part of the stage it is inside.
  starts.stt_queue_wait = 0;
  starts.tts_queue_wait = starts.tts_first_audio ?? 0;
  for (const [name, v] of stageEntries) {
    const p50 = v.p50 ?? 0;
    const start = starts[name] ?? 0;
    parts.push(`<text x="16" y="${y + 17}" font-size="12">${name.replaceAll('_', ' ')}</text>`);
    parts.push(`<rect x="${x(start).toFixed(1)}" y="${y + 4}" width="${Math.max(1, x(start + p50) - x(start)).toFixed(1)}" height="${rowH - 8}" rx="3" fill="${STAGE_COLORS[name] ?? '#64748b'}"/>`);
    parts.push(`<text x="${(x(start + p50) + 6).toFixed(1)}" y="${y + 17}" font-size="11" fill="#334155">${p50} ms</text>`);
    y += rowH;
  }
  parts.push(`<text x="16" y="${y + 17}" font-size="12" font-weight="600">voice-to-voice p50</text>`);
  parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(json.voice_to_voice_ms.p50 ?? 0) - left).toFixed(1)}" height="${rowH - 8}" rx="3" fill="#16a34a"/>`);
  parts.push(`<text x="${(x(json.voice_to_voice_ms.p50 ?? 0) + 6).toFixed(1)}" y="${y + 17}" font-size="11">${cell(json.voice_to_voice_ms.p50)} ms</text>`);
  y += rowH;
  if (peerP50 !== null) {
    parts.push(`<text x="16" y="${y + 17}" font-size="12" font-weight="600">peer baseline p50</text>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(peerP50) - left).toFixed(1)}" height="${rowH - 8}" rx="3" fill="#d97706"/>`);
    parts.push(`<text x="${(x(peerP50) + 6).toFixed(1)}" y="${y + 17}" font-size="11">${peerP50} ms</text>`);
    y += rowH;
  }
  ticks(y);
  y += 48;
  scaleMs = maxMs;
  parts.push(`<text x="16" y="${y}" font-size="15" font-weight="600">Distribution of voice-to-voice (ms)</text>`);
  y += 14;
  const dots = (values: number[], label: string, color: string): void => {
    parts.push(`<text x="16" y="${y + 15}" font-size="12">${label}</text>`);
    parts.push(`<line x1="${left}" y1="${y + 11}" x2="${width - 60}" y2="${y + 11}" stroke="#e2e8f0"/>`);
    for (const v of values) parts.push(`<circle cx="${x(v).toFixed(1)}" cy="${y + 11}" r="4" fill="${color}" fill-opacity="0.6"/>`);
    y += rowH;
  };
  dots(v2v, 'streaming (ours)', '#16a34a');
  if (peer.length) dots(peer, 'peer baseline', '#d97706');
  if (base.length) dots(base, 'sequential baseline', '#dc2626');
  ticks(y);
  y += 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, sans-serif">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}

function cacheHitRate(cache: { hits: number; misses: number } | undefined): number | 'n/a' {
  if (!cache || cache.hits + cache.misses === 0) return 'n/a';
  return Math.round((cache.hits / (cache.hits + cache.misses)) * 1000) / 1000;
}
