import { resolveConfig } from '../../../src-main/shared/config';
import { afterAll, describe, expect, it } from 'vitest';
import { feedAudio } from '../../../src-main/tools/cli/feeder';
import { TRACE_MARKS, type EngineEvent, type TurnTrace } from '../../../src-main/shared/events';
import { attachInstantPlayer, clip, concat, disposeStandinStages, play, silence, testEngine } from '../../helpers/engine-helpers';

afterAll(disposeStandinStages);

/** Edges of the turn's causal graph: each `to` can only happen after its `from`. */
const CAUSAL_EDGES: ReadonlyArray<[keyof TurnTrace['marks'], keyof TurnTrace['marks']]> = [
  ['speech_start', 'speech_end'],
  ['speech_end', 'eot_confirmed'],
  ['speech_end', 'stt_final'],
  ['stt_final', 'llm_request'],
  ['llm_request', 'llm_first_token'],
  ['llm_first_token', 'first_unit_ready'],
  ['first_unit_ready', 'tts_first_audio'],
  ['eot_confirmed', 'tts_first_audio'],
  ['tts_first_audio', 'playback_start'],
  ['llm_first_token', 'llm_done'],
  ['llm_done', 'tts_done'],
  ['tts_done', 'turn_done'],
  ['playback_start', 'turn_done'],
];

const ALL_MARKS = TRACE_MARKS;

describe('engine: a full turn on real speech (stand-in models)', () => {
  it('hears jfk.wav, answers with audio, and records every event in causal order', async () => {
    const { engine, of } = await testEngine();
    attachInstantPlayer(engine);
    await play(engine, concat(clip('jfk.wav'), silence(1500)));

    const traces = of('trace').map((e) => e.trace);
    expect(traces.length).toBeGreaterThan(0);
    const complete = traces.filter((t) => !t.interrupted && t.assistant.length > 0);
    expect(complete.length, 'at least one turn must complete with a spoken reply').toBeGreaterThan(0);
    const trace = complete.at(-1)!;
    for (const mark of ALL_MARKS) expect(trace.marks[mark], `mark ${mark}`).toBeTypeOf('number');
    for (const [from, to] of CAUSAL_EDGES) {
      expect(trace.marks[to]!, `${from} (${trace.marks[from]}) ≤ ${to} (${trace.marks[to]})`).toBeGreaterThanOrEqual(trace.marks[from]!);
    }
    expect(trace.user.length).toBeGreaterThan(0);
    const audio = of('audio').filter((e) => e.turn === trace.turn);
    expect(audio.length).toBeGreaterThan(0);
    expect(audio.every((a) => a.sampleRate === 24000 && a.samples.length > 0)).toBe(true);
    expect(audio.map((a) => a.unit)).toEqual([...audio.map((a) => a.unit)].sort((a, b) => a - b));
    expect(trace.durations.voiceToVoice).toBeTypeOf('number');
    await engine.dispose();
  });

  it('reports the backend of every stage', async () => {
    const { engine, events } = await testEngine();
    const snapshot = engine.snapshot();
    const backends = snapshot.find((e): e is Extract<EngineEvent, { type: 'backends' }> => e.type === 'backends');
    expect(backends?.backends.llm.device).toBe('cpu');
    expect(Object.keys(backends?.backends ?? {})).toEqual(['vad', 'stt', 'llm', 'tts']);
    expect(events.some((e) => e.type === 'state' && e.state === 'ready')).toBe(true);
  });
});

describe('engine: speculative start', () => {
  it('discards a speculative answer cleanly when the user goes on after a short pause', async () => {
    const { engine, of, events } = await testEngine({ vad: { endOfTurnSilenceMs: 600, speculativePauseMs: 96 } });
    attachInstantPlayer(engine);
    await play(engine, concat(clip('spk1_snt1.wav'), silence(350), clip('spk1_snt2.wav'), silence(1500)));

    const discarded = of('speculation_discarded');
    expect(discarded.length, 'the 350 ms pause should start (and then discard) a speculative answer').toBeGreaterThan(0);
    for (const { turn } of discarded) {
      // Nothing of the discarded speculation reached the outside before the turn was confirmed.
      // The turn goes on after the discarded speculation and is answered after its end of turn.
      const eotIndex = events.findIndex((e) => e.type === 'eot_confirmed' && e.turn === turn);
      const firstOutput = events.findIndex((e) => (e.type === 'audio' || e.type === 'llm_request') && e.turn === turn);
      expect(eotIndex, `turn ${turn} must reach its end of turn`).toBeGreaterThanOrEqual(0);
      expect(firstOutput, `turn ${turn} must be answered`).toBeGreaterThan(eotIndex);
    }
    const done = of('turn_done');
    const withUser = done.filter((d) => d.user);
    expect(withUser.length).toBeGreaterThan(0);
    // One stt_final per completed turn: the discarded speculation left no transcript behind.
    for (const d of done) expect(of('stt_final').filter((s) => s.turn === d.turn)).toHaveLength(1);
    await engine.dispose();
  });
});

describe('engine: barge-in', () => {
  it('stops the answer once the voice is sustained (bargeInMinSpeechMs after its onset), cancels it on the words, and keeps only what was spoken', async () => {
    const { engine, of } = await testEngine({ llm: { maxTokens: 160 } });
    // A player that takes real time to play each unit, so the answer is still speaking.
    const played: number[] = [];
    const firstTurn = 1;
    let playhead = 0;
    const timers: ReturnType<typeof setTimeout>[] = [];
    engine.on((event) => {
      if (event.type === 'audio') {
        if (event.unit === 0) engine.handle({ type: 'playback_started', turn: event.turn });
        const now = performance.now();
        playhead = Math.max(playhead, now) + (event.samples.length / event.sampleRate) * 1000;
        timers.push(
          setTimeout(() => {
            if (event.turn === firstTurn) played.push(event.unit);
            engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
          }, playhead - now),
        );
      }
      if (event.type === 'barge_in') for (const timer of timers) clearTimeout(timer);
    });
    engine.handle({ type: 'text_input', text: 'Tell me a long story about a dog.' });
    await waitFor(() => of('audio').length > 0, 30_000);
    const turn = of('audio')[0]!.turn;
    await new Promise((r) => setTimeout(r, 150));
    await play(engine, concat(clip('spk1_snt3.wav'), silence(1500)), true);

    const bargeIn = of('barge_in').find((e) => e.turn === turn);
    expect(bargeIn, 'user speech during the answer must barge in').toBeDefined();
    // Only the barge-in detector decides while the answer is audible (echo reaches the endpointer):
    // it needs bargeInMinSpeechMs of sustained voice, plus up to two windows of VAD lag. Both times
    // are engine times of the frames' arrival, so the real-time feeder's timer jitter adds to it.
    const FEEDER_JITTER_MS = 20;
    expect(bargeIn!.t - bargeIn!.onset!).toBeLessThanOrEqual(resolveConfig({}).echo.bargeInMinSpeechMs + 64 + FEEDER_JITTER_MS);
    // Playback stops at barge-in (the answer is paused); the user's words then cancel it for good.
    expect(of('answer_paused').find((e) => e.turn === turn)?.t).toBe(bargeIn!.t);
    const cancelled = of('cancelled').find((e) => e.turn === turn);
    expect(cancelled?.reason).toBe('barge-in');
    expect(of('answer_resumed')).toHaveLength(0);
    const done = of('turn_done').find((e) => e.turn === turn)!;
    expect(done.interrupted).toBe(true);
    const lateAudio = of('audio').filter((a) => a.turn === turn && a.t > bargeIn!.t);
    expect(lateAudio).toHaveLength(0);
    // The history holds what was played, not what was generated.
    const spokenUnits = of('unit_ready').filter((u) => u.turn === turn && played.includes(u.unit)).map((u) => u.text);
    expect(done.assistant).toBe(spokenUnits.join(' '));
    await engine.dispose();
  });

  // Commands during warm-up are covered in race-engine.test.ts (this engine is already loaded).
  it('survives 100 push-to-talk toggles per second, then answers a push-to-talk turn', async () => {
    const { engine, of } = await testEngine({ turn: { mode: 'push-to-talk' } });
    for (let i = 0; i < 100; i++) {
      engine.handle({ type: 'ptt', pressed: true });
      engine.handle({ type: 'audio', sampleRate: 16000, samples: new Float32Array(160) });
      engine.handle({ type: 'ptt', pressed: false });
      await new Promise((r) => setTimeout(r, 10));
    }
    engine.handle({ type: 'cancel' });
    await new Promise((r) => setTimeout(r, 200));
    expect(of('error').filter((e) => e.fatal)).toHaveLength(0);
    expect(of('turn_done')).toHaveLength(0);
    // Push-to-talk turn: press, speak, release.
    attachInstantPlayer(engine);
    engine.handle({ type: 'ptt', pressed: true });
    await feedAudio(engine, clip('spk1_snt1.wav'), { realtime: false });
    engine.handle({ type: 'ptt', pressed: false });
    await waitFor(() => of('turn_done').length > 0, 30_000);
    expect(of('turn_done')[0]!.user.length).toBeGreaterThan(0);
    await engine.dispose();
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
