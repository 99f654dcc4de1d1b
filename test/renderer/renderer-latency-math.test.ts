import { describe, expect, it } from 'vitest';
import type { TurnTrace } from '../../src-main/shared/events';
import {
  axisDomain,
  barGeometry,
  markOffsets,
  percentile,
  sessionSummary,
  stageSpans,
  criticalPath,
  toChromeTrace,
  voiceToVoiceMs,
} from '../../src-renderer/src/latency-math';

function makeTrace(turn: number, speechEnd: number, offsets: Record<string, number>): TurnTrace {
  const marks: TurnTrace['marks'] = { speech_start: speechEnd - 1500, speech_end: speechEnd };
  for (const [k, v] of Object.entries(offsets)) (marks as Record<string, number>)[k] = speechEnd + v;
  return { turn, marks, partials: [], user: 'u', assistant: 'a', interrupted: false, durations: {} };
}

const sequential = makeTrace(1, 10_000, {
  eot_confirmed: 300,
  stt_final: 420,
  llm_request: 425,
  llm_first_token: 600,
  first_unit_ready: 750,
  tts_first_audio: 870,
  playback_start: 900,
});
// Speculative start: the LLM request went out before the end of speech was even recorded.
const speculative = makeTrace(2, 20_000, {
  eot_confirmed: 300,
  stt_final: 150,
  llm_request: -50,
  llm_first_token: 130,
  first_unit_ready: 260,
  tts_first_audio: 380,
  playback_start: 400,
});

describe('waterfall geometry', () => {
  it('places stages relative to speech_end', () => {
    const spans = stageSpans(sequential);
    expect(spans.map((s) => [s.key, s.startMs, s.endMs])).toEqual([
      ['endOfTurnWait', 0, 300],
      ['stt', 0, 420],
      ['llmFirstToken', 425, 600],
      ['firstUnit', 600, 750],
      ['ttsFirstAudio', 750, 870],
      ['playbackStart', 870, 900],
    ]);
  });

  it('draws each turn as consecutive segments that add up to its voice-to-voice time', () => {
    for (const trace of [sequential, speculative]) {
      const path = criticalPath(trace);
      const v2v = voiceToVoiceMs(trace)!;
      expect(path.reduce((sum, s) => sum + s.durationMs, 0)).toBeCloseTo(v2v, 6);
      for (let i = 1; i < path.length; i++) expect(path[i]!.startMs).toBe(path[i - 1]!.endMs);
      expect(path[0]!.startMs).toBe(0);
    }
    expect(criticalPath(sequential).map((s) => [s.key, s.durationMs])).toEqual([
      ['endOfTurnWait', 300],
      ['stt', 120],
      ['llmFirstToken', 180],
      ['firstUnit', 150],
      ['ttsFirstAudio', 120],
      ['playbackStart', 30],
    ]);
    // Speculative: the answer was computed during the end-of-turn wait; only what came after it shows.
    expect(criticalPath(speculative).map((s) => [s.key, s.durationMs])).toEqual([
      ['endOfTurnWait', 300],
      ['stt', 0],
      ['llmFirstToken', 0],
      ['firstUnit', 0],
      ['ttsFirstAudio', 80],
      ['playbackStart', 20],
    ]);
  });

  it('shows audio that waited for the end of turn as "held for end of turn"', () => {
    const held = makeTrace(3, 40_000, { stt_final: 60, llm_request: -200, llm_first_token: 40, first_unit_ready: 120, tts_first_audio: 200, eot_confirmed: 300, playback_start: 330 });
    expect(criticalPath(held).map((s) => [s.key, s.durationMs])).toEqual([
      ['stt', 60],
      ['llmFirstToken', 0],
      ['firstUnit', 60],
      ['ttsFirstAudio', 80],
      ['heldForEndOfTurn', 100],
      ['playbackStart', 30],
    ]);
  });

  it('uses one axis for all rows covering every bar, with nice ticks', () => {
    const domain = axisDomain([sequential, speculative]);
    expect(domain.minMs).toBe(0); // every row starts at the end of speech (or the send)
    expect(domain.maxMs).toBeGreaterThanOrEqual(900);
    const step = domain.ticks[1]! - domain.ticks[0]!;
    expect([100, 200, 250, 500]).toContain(step);
    for (const bar of [...barGeometry(sequential, domain), ...barGeometry(speculative, domain)]) {
      expect(bar.leftPct).toBeGreaterThanOrEqual(0);
      expect(bar.leftPct + bar.widthPct).toBeLessThanOrEqual(100 + 1e-9);
    }
  });

  it('skips stages whose marks are missing and chains from the previous stage', () => {
    const partial = makeTrace(3, 0, { eot_confirmed: 300, stt_final: 380, llm_first_token: 700 });
    expect(stageSpans(partial).map((s) => [s.key, s.startMs, s.endMs])).toEqual([
      ['endOfTurnWait', 0, 300],
      ['stt', 0, 380],
      // no llm_request mark: starts where STT ended
      ['llmFirstToken', 380, 700],
    ]);
  });

  it('lists all marks relative to speech_end in time order', () => {
    const marks = markOffsets(speculative);
    expect(marks[0]).toEqual({ mark: 'speech_start', ms: -1500 });
    expect(marks.find((m) => m.mark === 'llm_request')?.ms).toBe(-50);
    expect(marks.map((m) => m.ms)).toEqual([...marks.map((m) => m.ms)].sort((a, b) => a - b));
  });
});

describe('end-of-turn model marks', () => {
  it('shows each verdict as a mark beside the wait (from its call to its verdict), not as a part of the critical path', () => {
    const trace: TurnTrace = { ...sequential, verdicts: [{ t: 10_000 + 290, probability: 0.93, complete: true, ms: 90 }] };
    const domain = axisDomain([trace]);
    const bars = barGeometry(trace, domain);
    const mark = bars.find((b) => b.key === 'turnModel');
    expect(mark).toMatchObject({ startMs: 200, endMs: 290, durationMs: 90 });
    expect(mark?.label).toMatch(/complete \(0\.93\)/);
    const path = bars.filter((b) => b.key !== 'turnModel').reduce((sum, b) => sum + b.durationMs, 0);
    expect(path).toBeCloseTo(voiceToVoiceMs(trace) ?? 0, 6);
  });
});

describe('percentiles and summary', () => {
  it('uses nearest rank, like the engine trace and the benchmark', () => {
    const values = [1000, 100, 200, 300, 400, 500, 600, 700, 800, 900];
    expect(percentile(values, 50)).toBe(500);
    expect(percentile(values, 0)).toBe(100);
    expect(percentile(values, 100)).toBe(1000);
    expect(percentile(values, 90)).toBe(900);
    expect(percentile(values, 95)).toBe(1000);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([3, 1, 2], 50)).toBe(2);
  });

  it('summarises voice-to-voice and every stage', () => {
    const rows = sessionSummary([sequential, speculative]);
    const v2v = rows.find((r) => r.key === 'voiceToVoice')!;
    expect(v2v.n).toBe(2);
    expect(v2v.p50).toBe(400);
    expect(v2v.p95).toBe(900);
    expect(voiceToVoiceMs(sequential)).toBe(900);
    const llm = rows.find((r) => r.key === 'llmFirstToken')!;
    expect(llm.p50).toBe(175);
    // The engine's own voice-to-voice figure wins when present.
    expect(voiceToVoiceMs({ ...sequential, durations: { voiceToVoice: 880 } })).toBe(880);
  });
});

describe('Chrome trace export', () => {
  it('emits complete events in µs per turn thread, plus marks and metadata', () => {
    const trace = toChromeTrace([sequential, speculative]);
    expect(trace.displayTimeUnit).toBe('ms');
    const llm = trace.traceEvents.find((e) => e.ph === 'X' && e.tid === 2 && e.name === 'LLM first token')!;
    expect(llm.ts).toBe((20_000 - 50) * 1000);
    expect(llm.dur).toBe(180 * 1000);
    expect(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name')).toHaveLength(2);
    expect(trace.traceEvents.some((e) => e.ph === 'i' && e.name === 'playback_start' && e.ts === 10_900_000)).toBe(true);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });
});
