import { INPUT_SAMPLE_RATE } from '../../shared/config';
import type { EngineEvent } from '../../shared/events';
import type { RunRecord } from './runner';

/** A cut with no user speech from 600 ms before it to 300 ms after it cut the answer by itself. */
const SELF_INTERRUPTION_BEFORE_MS = 600;
const SELF_INTERRUPTION_AFTER_MS = 300;
/** A barge-in belongs to a clip when detected from 300 ms before its onset (pre-roll) to this long after it. */
const BARGE_IN_WINDOW_MS = 3000;

export interface ClipReport {
  clip: string;
  /** Its speech on the run's clock (ms). */
  start_ms: number;
  end_ms: number;
  words: number;
  words_heard: number;
  /** It started while an answer was audible. */
  during_answer: boolean;
  /** Barge-in detection − speech onset, for a clip during an answer (null otherwise, or when none was detected). */
  barge_in_ms: number | null;
}

export interface TurnReport {
  turn: number;
  transcript: string;
  interrupted: boolean;
  voice_to_voice_ms: number | null;
  /** Each silence inside the answer while it was not finished (a paused answer's wait is not one). */
  gaps_ms: number[];
}

export interface ScenarioReport {
  scenario: string;
  duration_ms: number;
  user: ClipReport[];
  turns: TurnReport[];
  self_interruptions: number;
  words_lost: number;
  max_gap_ms: number;
  /** Parts that never played because the answer they wait for never came. */
  unplayed_parts: number;
  errors: string[];
}

const msOf = (samples: number): number => Math.round((samples * 1000) / INPUT_SAMPLE_RATE);

export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Indices of `reference` matched by a longest common subsequence with `heard`. */
export function matchedWords(reference: readonly string[], heard: readonly string[]): Set<number> {
  const n = reference.length;
  const m = heard.length;
  const table: Uint16Array[] = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = table[i] as Uint16Array;
      row[j] = reference[i] === heard[j] ? (table[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(table[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const matched = new Set<number>();
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (reference[i] === heard[j]) {
      matched.add(i);
      i++;
      j++;
    } else if ((table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)) i++;
    else j++;
  }
  return matched;
}

export function buildReport(record: RunRecord): ScenarioReport {
  const { placed, events } = record;
  const of = <T extends EngineEvent['type']>(type: T): Array<{ at: number; event: Extract<EngineEvent, { type: T }> }> =>
    events.filter((e): e is { at: number; event: Extract<EngineEvent, { type: T }> } => e.event.type === type);
  const traces = [...record.traces].sort((a, b) => a.turn - b.turn);

  // Words: every reference word in time order against every transcript that went to the LLM.
  const reference: Array<{ word: string; clip: number }> = [];
  placed.forEach((p, index) => {
    for (const word of normalizeWords(p.clip.words.join(' '))) reference.push({ word, clip: index });
  });
  const heard = traces.flatMap((t) => normalizeWords(t.user));
  const matched = matchedWords(reference.map((r) => r.word), heard);
  const heardPerClip = placed.map((_, index) => reference.filter((r, i) => r.clip === index && matched.has(i)).length);

  // When each answer was audible: from the player's first sample to its end or its cut.
  const cuts = [...of('barge_in'), ...of('cancelled')];
  const audible = [...record.playbackStarts].map(([turn, from]) => {
    const ends = [...cuts.filter((c) => c.event.turn === turn && c.at >= from).map((c) => c.at), ...of('turn_done').filter((d) => d.event.turn === turn).map((d) => d.at)];
    return { turn, from, to: ends.length > 0 ? Math.min(...ends) : record.durationMs };
  });

  const user: ClipReport[] = placed.map((p, index) => {
    const onset = msOf(p.start + p.clip.speechStart);
    const during = audible.some((a) => onset >= a.from && onset < a.to);
    const detection = of('barge_in').find((b) => b.at >= onset - SELF_INTERRUPTION_AFTER_MS && b.at <= onset + BARGE_IN_WINDOW_MS);
    return {
      clip: p.clip.name,
      start_ms: onset,
      end_ms: msOf(p.start + p.clip.speechEnd),
      words: p.clip.words.length,
      words_heard: heardPerClip[index] ?? 0,
      during_answer: during,
      barge_in_ms: during && detection ? Math.round(detection.at - onset) : null,
    };
  });

  const speech = user.map((u) => [u.start_ms, u.end_ms] as const);
  const selfInterruptions = of('barge_in').filter(
    (b) => !speech.some(([from, to]) => from <= b.at + SELF_INTERRUPTION_AFTER_MS && to >= b.at - SELF_INTERRUPTION_BEFORE_MS),
  ).length;

  const turns: TurnReport[] = traces.map((trace) => ({
    turn: trace.turn,
    transcript: trace.user,
    interrupted: trace.interrupted,
    voice_to_voice_ms: trace.durations.voiceToVoice === undefined ? null : Math.round(trace.durations.voiceToVoice),
    gaps_ms: gapsOf(record, trace.turn, cuts.filter((c) => c.event.turn === trace.turn).map((c) => c.at)),
  }));
  const wordsTotal = user.reduce((n, u) => n + u.words, 0) + record.unplayed.reduce((n, p) => n + (record.scenario.parts[p]?.clips.reduce((k, c) => k + c.words.length, 0) ?? 0), 0);
  return {
    scenario: record.scenario.name,
    duration_ms: Math.round(record.durationMs),
    user,
    turns,
    self_interruptions: selfInterruptions,
    words_lost: wordsTotal - user.reduce((n, u) => n + u.words_heard, 0),
    max_gap_ms: Math.max(0, ...turns.flatMap((t) => t.gaps_ms)),
    unplayed_parts: record.unplayed.length,
    errors: record.errors,
  };
}

/** Silences between a turn's audible stretches; a stretch that follows a cut (a paused answer resuming) is not a gap. */
function gapsOf(record: RunRecord, turn: number, cutsAt: number[]): number[] {
  const block = record.playerBlockSamples;
  const gaps: number[] = [];
  let lastEnd: number | undefined;
  for (const entry of record.playback) {
    if (entry.turn !== turn) continue;
    const start = entry.block * block;
    if (lastEnd !== undefined && start > lastEnd) {
      const from = msOf(lastEnd);
      const to = msOf(start);
      if (!cutsAt.some((c) => c >= from - 1 && c <= to)) gaps.push(to - from);
    }
    lastEnd = start + entry.audible;
  }
  return gaps;
}

/** Who speaks when, what was heard, where an answer was cut: a few lines for a person. */
export function formatTimeline(record: RunRecord, report: ScenarioReport): string {
  const lines: Array<[number, string]> = [];
  const sec = (at: number): string => `${(at / 1000).toFixed(2).padStart(6)} s`;
  report.user.forEach((u) => {
    const extra = u.during_answer ? ` · over the answer${u.barge_in_ms === null ? ', barge-in NOT detected' : `, barge-in after ${u.barge_in_ms} ms`}` : '';
    lines.push([u.start_ms, `user      ▶ ${u.clip} (speech to ${sec(u.end_ms).trim()}) · ${u.words_heard}/${u.words} words heard${extra}`]);
  });
  for (const { at, event } of record.events) {
    if (event.type === 'speech_start') lines.push([at, `engine    turn ${event.turn} heard from here`]);
    else if (event.type === 'eot_confirmed') lines.push([at, `engine    turn ${event.turn} ended`]);
    else if (event.type === 'barge_in') lines.push([at, `engine    barge-in over turn ${event.turn}`]);
    else if (event.type === 'answer_resumed') lines.push([at, `assistant ▶ turn ${event.turn} resumed (no words in the interruption)`]);
    else if (event.type === 'cancelled') lines.push([at, `assistant ■ turn ${event.turn} cut (${event.reason})`]);
    else if (event.type === 'turn_abandoned') lines.push([at, `engine    turn ${event.turn} dropped (${event.reason})`]);
  }
  for (const [turn, at] of record.playbackStarts) {
    const t = report.turns.find((r) => r.turn === turn);
    lines.push([at, `assistant ▶ turn ${turn} speaks${t?.voice_to_voice_ms != null ? ` (voice-to-voice ${t.voice_to_voice_ms} ms)` : ''}`]);
  }
  for (const t of report.turns) {
    const done = record.events.find((e) => e.event.type === 'turn_done' && e.event.turn === t.turn);
    const gaps = t.gaps_ms.length > 0 ? ` · gaps ${t.gaps_ms.join(', ')} ms` : '';
    lines.push([done?.at ?? report.duration_ms, `turn ${t.turn}${t.interrupted ? ' (interrupted)' : ''}: "${t.transcript}"${gaps}`]);
  }
  lines.sort((a, b) => a[0] - b[0]);
  const summary = `${report.scenario}: words lost ${report.words_lost}, self-interruptions ${report.self_interruptions}, max gap ${report.max_gap_ms} ms, ${report.turns.length} turns${report.unplayed_parts ? `, ${report.unplayed_parts} parts never played` : ''}`;
  return [...lines.map(([at, text]) => `${sec(at)}  ${text}`), summary].join('\n');
}
