import { describe, expect, it } from 'vitest';
import type { EngineEvent, TurnTrace } from '../../src-main/shared/events';
import type { HostEvent } from '../../src-main/shared/host-types';
import { applyEvent, createUiStore, initialUiState, playingUnit, RESTART_NOTICE, tracesOf, type UiState } from '../../src-renderer/src/store';

function run(events: HostEvent[], from: UiState = initialUiState()): UiState {
  return events.reduce(applyEvent, from);
}

const trace = (turn: number): TurnTrace => ({
  turn,
  marks: { speech_end: 1000, playback_start: 1600 },
  partials: [],
  user: 'hi',
  assistant: 'hello',
  interrupted: false,
  durations: { voiceToVoice: 600 },
});

describe('store reducer', () => {
  it('turns partial transcripts into a final one', () => {
    let s = run([
      { type: 'speech_start', turn: 1, t: 0 },
      { type: 'stt_partial', turn: 1, t: 300, text: 'what is' },
    ]);
    expect(s.turns).toHaveLength(1);
    expect(s.turns[0]).toMatchObject({ turn: 1, user: 'what is', userFinal: false });
    s = run(
      [
        { type: 'stt_partial', turn: 1, t: 600, text: 'what is the' },
        { type: 'stt_final', turn: 1, t: 900, text: 'What is the time?' },
        // A late partial must not overwrite the final transcript.
        { type: 'stt_partial', turn: 1, t: 950, text: 'what is th' },
      ],
      s,
    );
    expect(s.turns[0]).toMatchObject({ user: 'What is the time?', userFinal: true });
  });

  it('grows the assistant text unit by unit and tracks the unit being played', () => {
    const events: EngineEvent[] = [
      { type: 'stt_final', turn: 2, t: 0, text: 'Tell me a fact.' },
      { type: 'llm_token', turn: 2, t: 10, text: 'Octopuses' },
      { type: 'first_unit_ready', turn: 2, t: 20, unit: 0, text: 'Octopuses have three hearts,' },
      { type: 'unit_ready', turn: 2, t: 20, unit: 0, text: 'Octopuses have three hearts,', first: true },
      { type: 'unit_ready', turn: 2, t: 40, unit: 1, text: 'and blue blood.', first: false },
    ];
    let s = run(events);
    const turn = s.turns[0]!;
    expect(turn.units.map((u) => u.text)).toEqual(['Octopuses have three hearts,', 'and blue blood.']);
    expect(turn.draft).toBe('Octopuses');
    expect(playingUnit(turn)).toBeUndefined();

    s = run([{ type: 'playback_start', turn: 2, t: 50 }], s);
    expect(playingUnit(s.turns[0]!)).toBe(0);
    s = run([{ type: 'unit_played', turn: 2, t: 60, unit: 0 }], s);
    expect(playingUnit(s.turns[0]!)).toBe(1);
    expect(s.turns[0]!.units[0]!.played).toBe(true);

    s = run([{ type: 'turn_done', turn: 2, t: 70, user: 'Tell me a fact.', assistant: 'Octopuses have three hearts, and blue blood.', interrupted: false }], s);
    expect(s.turns[0]).toMatchObject({ done: true, interrupted: false });
    expect(playingUnit(s.turns[0]!)).toBeUndefined();
  });

  it('marks an answer cut off by barge-in as interrupted, and keeps what was said', () => {
    const s = run([
      { type: 'stt_final', turn: 3, t: 0, text: 'Explain tides.' },
      { type: 'unit_ready', turn: 3, t: 10, unit: 0, text: 'Tides come from the moon,', first: true },
      { type: 'unit_ready', turn: 3, t: 20, unit: 1, text: 'pulling on the oceans.', first: false },
      { type: 'playback_start', turn: 3, t: 30 },
      { type: 'unit_played', turn: 3, t: 40, unit: 0 },
      { type: 'barge_in', turn: 3, t: 45 },
    ]);
    expect(s.turns[0]!.interrupted).toBe(true);
    const done = run([{ type: 'turn_done', turn: 3, t: 50, user: 'Explain tides.', assistant: 'Tides come from the moon,', interrupted: true }], s);
    expect(done.turns[0]).toMatchObject({ interrupted: true, done: true });
    expect(done.turns[0]!.units.map((u) => u.played)).toEqual([true, false]);
  });

  it('does not mark a turn interrupted when cancelled before any answer existed', () => {
    const s = run([
      { type: 'stt_final', turn: 1, t: 0, text: 'hm' },
      { type: 'cancelled', turn: 1, t: 5, reason: 'user' },
    ]);
    expect(s.turns[0]!.interrupted).toBe(false);
  });

  it('clears a discarded speculative answer', () => {
    const s = run([
      { type: 'stt_partial', turn: 4, t: 0, text: 'set a timer' },
      { type: 'unit_ready', turn: 4, t: 10, unit: 0, text: 'Sure,', first: true },
      { type: 'speculation_discarded', turn: 4, t: 20 },
    ]);
    expect(s.turns[0]).toMatchObject({ units: [], draft: '', speculationsDiscarded: 1 });
  });

  it('keeps the conversation across an engine restart and says so', () => {
    const before = run([
      { type: 'stt_final', turn: 1, t: 0, text: 'first question' },
      { type: 'unit_ready', turn: 1, t: 10, unit: 0, text: 'first answer', first: true },
      { type: 'turn_done', turn: 1, t: 20, user: 'first question', assistant: 'first answer', interrupted: false },
      { type: 'stt_final', turn: 2, t: 30, text: 'second question' },
      { type: 'unit_ready', turn: 2, t: 40, unit: 0, text: 'half an', first: true },
    ]);
    const crashed = applyEvent(before, { type: 'host', status: 'crashed', code: 1, signal: null });
    expect(crashed.notices.map((n) => n.kind)).toEqual(['warning']);
    const after = applyEvent(crashed, { type: 'host', status: 'restarted', restartMs: 850 });
    expect(after.turns.map((t) => t.user)).toEqual(['first question', 'second question']);
    expect(after.turns[1]).toMatchObject({ done: true, interrupted: true });
    expect(after.notices).toHaveLength(1);
    expect(after.notices[0]!.text).toBe(RESTART_NOTICE);
    // The restarted engine's history does not wipe the turns the UI already shows.
    const synced = applyEvent(after, {
      type: 'history',
      turns: [{ turn: 1, user: 'first question', assistant: 'first answer', interrupted: false, at: 1 }],
    });
    expect(synced.turns.map((t) => t.turn)).toEqual([1, 2]);
  });

  it('rebuilds the conversation from a history event', () => {
    const s = applyEvent(initialUiState(), {
      type: 'history',
      turns: [
        { turn: 1, user: 'a', assistant: 'b', interrupted: false, at: 1, trace: trace(1) },
        { turn: 2, user: 'c', assistant: 'd', interrupted: true, at: 2 },
      ],
    });
    expect(s.turns.map((t) => [t.user, t.units[0]?.text, t.interrupted])).toEqual([
      ['a', 'b', false],
      ['c', 'd', true],
    ]);
    expect(tracesOf(s).map((t) => t.turn)).toEqual([1]);
  });

  it('tracks phase, mode, mute, level and attaches traces to turns', () => {
    const s = run([
      { type: 'phase', phase: 'muted', mode: 'push-to-talk', muted: true },
      { type: 'level', t: 1, rms: 0.1, peak: 0.4 },
      { type: 'stt_final', turn: 7, t: 0, text: 'x' },
      { type: 'trace', trace: trace(7) },
      { type: 'state', state: 'error', detail: 'model file missing: llm.gguf' },
    ]);
    expect(s).toMatchObject({ phase: 'muted', mode: 'push-to-talk', muted: true, level: { rms: 0.1, peak: 0.4 }, engineState: 'error' });
    expect(s.turns[0]!.trace?.durations.voiceToVoice).toBe(600);
    expect(s.notices[0]).toMatchObject({ kind: 'error', text: 'model file missing: llm.gguf' });
  });

  it('the zustand store dispatches through the reducer', () => {
    const store = createUiStore();
    store.getState().dispatch({ type: 'stt_final', turn: 1, t: 0, text: 'hello' });
    store.getState().setLink('closed', 'Lost the connection');
    expect(store.getState().turns[0]!.user).toBe('hello');
    expect(store.getState().notices.map((n) => n.key)).toEqual(['link']);
    store.getState().setLink('open');
    expect(store.getState().notices).toEqual([]);
  });
});

describe('settings applied by the engine', () => {
  it('keeps what the last configure applied, reloaded and left for a restart', () => {
    const s = run([{ type: 'config_applied', applied: ['voice', 'speed'], reloaded: ['tts'], restartRequired: ['llm.gpu'] }]);
    expect(s.configApplied).toEqual({ applied: ['voice', 'speed'], reloaded: ['tts'], restartRequired: ['llm.gpu'] });
  });
});
