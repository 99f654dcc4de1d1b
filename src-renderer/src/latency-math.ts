import type { TraceMark, TurnTrace } from '../../src-main/shared/events';
import { percentile } from '../../src-main/shared/stats';

/**
 * Pure math behind the latency panel: waterfall geometry on one shared time axis
 * (speech_end = 0), percentiles, the session summary and the Chrome trace export.
 */

export type StageKey = 'endOfTurnWait' | 'heldForEndOfTurn' | 'turnModel' | 'stt' | 'llmFirstToken' | 'firstUnit' | 'ttsFirstAudio' | 'playbackStart';
type MarkName = TraceMark | 'barge_in' | 'cancelled';

export interface StageDef {
  key: StageKey;
  label: string;
  /** Where the bar starts; when missing it starts where the previous stage ended. */
  from: MarkName;
  to: MarkName;
}

export const WATERFALL_STAGES: readonly StageDef[] = [
  { key: 'endOfTurnWait', label: 'End-of-turn wait', from: 'speech_end', to: 'eot_confirmed' },
  { key: 'stt', label: 'Speech-to-text', from: 'speech_end', to: 'stt_final' },
  { key: 'llmFirstToken', label: 'LLM first token', from: 'llm_request', to: 'llm_first_token' },
  { key: 'firstUnit', label: 'First speakable unit', from: 'llm_first_token', to: 'first_unit_ready' },
  { key: 'ttsFirstAudio', label: 'TTS first audio', from: 'first_unit_ready', to: 'tts_first_audio' },
  { key: 'playbackStart', label: 'Playback start', from: 'tts_first_audio', to: 'playback_start' },
];

/** The mark a turn's axis is anchored at: speech_end, or (typed turns) the earliest mark. */
export function originOf(trace: TurnTrace): number | undefined {
  const end = trace.marks.speech_end;
  if (end !== undefined) return end;
  const values = Object.values(trace.marks).filter((v): v is number => typeof v === 'number');
  return values.length > 0 ? Math.min(...values) : undefined;
}

export interface StageSpan {
  key: StageKey;
  label: string;
  /** ms relative to the origin (negative = before the end of speech, e.g. speculative start). */
  startMs: number;
  endMs: number;
  durationMs: number;
}

/** Stage spans of one turn, relative to its origin; stages whose end mark is missing are left out. */
export function stageSpans(trace: TurnTrace): StageSpan[] {
  const origin = originOf(trace);
  if (origin === undefined) return [];
  const spans: StageSpan[] = [];
  let previousEnd: number | undefined;
  for (const stage of WATERFALL_STAGES) {
    const to = trace.marks[stage.to];
    const from = trace.marks[stage.from] ?? previousEnd;
    if (to === undefined || from === undefined) continue;
    const startMs = from - origin;
    const endMs = Math.max(to - origin, startMs);
    spans.push({ key: stage.key, label: stage.label, startMs, endMs, durationMs: endMs - startMs });
    previousEnd = to;
  }
  return spans;
}

/** The segment a speculative answer's ready audio waited for the end of turn to be confirmed. */
export const HELD_STAGE: StageDef = { key: 'heldForEndOfTurn', label: 'Held for end of turn', from: 'tts_first_audio', to: 'eot_confirmed' };

/**
 * The turn's wait from its origin (end of speech; typed: the send) to the reply's first sound,
 * cut into consecutive segments, each ending at the milestone that closed it: what the user
 * waited for, in order. They add up to voice-to-voice exactly. Work done in parallel (a
 * speculative answer computed during the end-of-turn wait) takes no segment of its own: a
 * milestone reached before the previous one closes a zero-length segment. When a speculative
 * answer's audio was ready before the end of turn was confirmed, that wait is "held for end of
 * turn", after the TTS.
 */
export function criticalPath(trace: TurnTrace): StageSpan[] {
  const origin = originOf(trace);
  const end = trace.marks.playback_start ?? trace.marks.tts_first_audio;
  if (origin === undefined || end === undefined) return [];
  const marks = trace.marks;
  const byKey = new Map(WATERFALL_STAGES.map((s) => [s.key, s]));
  const held = marks.eot_confirmed !== undefined && marks.tts_first_audio !== undefined && marks.tts_first_audio < marks.eot_confirmed;
  const chain: StageDef[] = held
    ? (['stt', 'llmFirstToken', 'firstUnit', 'ttsFirstAudio'] as const).map((k) => byKey.get(k) as StageDef).concat(HELD_STAGE, byKey.get('playbackStart') as StageDef)
    : (['endOfTurnWait', 'stt', 'llmFirstToken', 'firstUnit', 'ttsFirstAudio', 'playbackStart'] as const).map((k) => byKey.get(k) as StageDef);
  const spans: StageSpan[] = [];
  let at = origin;
  for (const stage of chain) {
    const reached = marks[stage.to];
    if (reached === undefined) continue;
    const next = Math.min(end, Math.max(at, reached));
    spans.push({ key: stage.key, label: stage.label, startMs: at - origin, endMs: next - origin, durationMs: next - at });
    at = next;
  }
  return spans;
}

/** Voice-to-voice: speech_end → playback_start (or tts_first_audio), as the engine defines it. */
export function voiceToVoiceMs(trace: TurnTrace): number | undefined {
  if (trace.durations.voiceToVoice !== undefined) return trace.durations.voiceToVoice;
  const end = trace.marks.speech_end;
  const heard = trace.marks.playback_start ?? trace.marks.tts_first_audio;
  return end !== undefined && heard !== undefined ? heard - end : undefined;
}

export interface AxisDomain {
  minMs: number;
  maxMs: number;
  /** Gridline positions (ms), including 0. */
  ticks: number[];
}

function niceStep(span: number, targetTicks: number): number {
  const raw = span / Math.max(1, targetTicks);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/** One axis for all rows: always includes 0, extends left for negative offsets, rounded to nice ticks. */
export function axisDomain(traces: readonly TurnTrace[], targetTicks = 5): AxisDomain {
  let min = 0;
  let max = 0;
  for (const trace of traces) {
    for (const span of criticalPath(trace)) {
      min = Math.min(min, span.startMs);
      max = Math.max(max, span.endMs);
    }
  }
  if (max - min < 100) max = min + 100;
  const step = niceStep(max - min, targetTicks);
  const minMs = Math.floor(min / step) * step;
  const maxMs = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = minMs; v <= maxMs + step / 1000; v += step) ticks.push(Math.round(v));
  return { minMs, maxMs, ticks };
}

export interface BarGeometry extends StageSpan {
  /** Percent of the track width. */
  leftPct: number;
  widthPct: number;
  /** The bar begins before the origin (speculative work). */
  beforeOrigin: boolean;
}

export function positionPct(ms: number, domain: AxisDomain): number {
  const span = domain.maxMs - domain.minMs;
  if (span <= 0) return 0;
  return Math.min(100, Math.max(0, ((ms - domain.minMs) / span) * 100));
}

/** The waterfall row of a turn: its critical-path segments on the shared axis. */
/** The end-of-turn model's runs at the turn's pauses (beside the wait, not on the critical path). */
export const TURN_MODEL_STAGE = { key: 'turnModel' as const, label: 'End-of-turn model' };

export function turnModelSpans(trace: TurnTrace): StageSpan[] {
  const origin = originOf(trace);
  if (origin === undefined) return [];
  return (trace.verdicts ?? []).map((v) => ({
    key: TURN_MODEL_STAGE.key,
    label: `${TURN_MODEL_STAGE.label}: ${v.complete ? 'complete' : 'not yet'} (${v.probability.toFixed(2)})`,
    startMs: v.t - v.ms - origin,
    endMs: v.t - origin,
    durationMs: v.ms,
  }));
}

export function barGeometry(trace: TurnTrace, domain: AxisDomain): BarGeometry[] {
  return [...criticalPath(trace), ...turnModelSpans(trace)].map((span) => {
    const left = positionPct(span.startMs, domain);
    const right = positionPct(span.endMs, domain);
    return { ...span, leftPct: left, widthPct: Math.max(0, right - left), beforeOrigin: span.startMs < 0 };
  });
}

/** Every mark of a turn relative to its origin, in time order (for hover details). */
export function markOffsets(trace: TurnTrace): { mark: string; ms: number }[] {
  const origin = originOf(trace) ?? 0;
  return Object.entries(trace.marks)
    .filter((e): e is [string, number] => typeof e[1] === 'number')
    .map(([mark, t]) => ({ mark, ms: t - origin }))
    .sort((a, b) => a.ms - b.ms);
}

/** Same percentile definition (nearest rank) as the engine's trace, the CLI and the benchmark. */
export { percentile };

export interface SummaryRow {
  key: 'voiceToVoice' | StageKey;
  label: string;
  n: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export function sessionSummary(traces: readonly TurnTrace[]): SummaryRow[] {
  const row = (key: SummaryRow['key'], label: string, values: number[]): SummaryRow => ({
    key,
    label,
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  });
  const v2v = traces.map(voiceToVoiceMs).filter((v): v is number => v !== undefined);
  const rows = [row('voiceToVoice', 'Voice-to-voice', v2v)];
  for (const stage of WATERFALL_STAGES) {
    const values = traces.flatMap((t) => stageSpans(t).filter((s) => s.key === stage.key).map((s) => s.durationMs));
    rows.push(row(stage.key, stage.label, values));
  }
  return rows;
}

export interface ChromeTraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'i' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 't';
  args?: Record<string, unknown>;
}

/** Chrome trace-event format (chrome://tracing, Perfetto): one thread per turn, µs on the engine clock. */
export function toChromeTrace(traces: readonly TurnTrace[]): { traceEvents: ChromeTraceEvent[]; displayTimeUnit: 'ms' } {
  const traceEvents: ChromeTraceEvent[] = [
    { name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid: 0, args: { name: 'Murmur engine' } },
  ];
  for (const trace of traces) {
    const tid = trace.turn;
    const origin = originOf(trace) ?? 0;
    traceEvents.push({
      name: 'thread_name',
      cat: '__metadata',
      ph: 'M',
      ts: 0,
      pid: 1,
      tid,
      args: { name: `turn ${trace.turn}${trace.interrupted ? ' (interrupted)' : ''}` },
    });
    for (const span of stageSpans(trace)) {
      traceEvents.push({
        name: span.label,
        cat: 'stage',
        ph: 'X',
        ts: Math.round((origin + span.startMs) * 1000),
        dur: Math.round(span.durationMs * 1000),
        pid: 1,
        tid,
        args: { turn: trace.turn, ms: span.durationMs },
      });
    }
    for (const [mark, t] of Object.entries(trace.marks)) {
      if (typeof t !== 'number') continue;
      traceEvents.push({ name: mark, cat: 'mark', ph: 'i', s: 't', ts: Math.round(t * 1000), pid: 1, tid });
    }
  }
  return { traceEvents, displayTimeUnit: 'ms' };
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (Math.abs(ms) >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms)} ms`;
}
