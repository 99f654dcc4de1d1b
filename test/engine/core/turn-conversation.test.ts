import { describe, expect, it } from 'vitest';
import { resolveConfig, type EngineConfigInput } from '../../../src-main/shared/config';
import type { EngineEvent } from '../../../src-main/shared/events';
import { ECHO_TAIL_MS, TurnController, type TurnAction } from '../../../src-main/engine/core/turn-controller';

/**
 * Conversations on the pure controller (fake clock: every window's time is given): the user goes on
 * speaking before the answer is heard, talks over the answer's echo, or answers as it ends.
 * Windows carry a level as their samples, so a segment shows which audio it holds.
 */
function driver(input: EngineConfigInput = {}) {
  const controller = new TurnController(resolveConfig({ ...input, stt: { partialIntervalMs: 0, ...input.stt } }));
  const actions: TurnAction[] = [];
  let ms = 0;
  const feed = (p: number, duration: number, options: { echoFraction?: number; level?: number } = {}): void => {
    for (let end = ms + 32; end <= ms + duration; end += 32) {
      const samples = new Float32Array(512).fill(options.level ?? p);
      actions.push(...controller.window({ samples, probability: p, startMs: end - 32, endMs: end, t: end, echoFraction: options.echoFraction ?? 0 }));
    }
    ms += duration;
  };
  const run = (more: TurnAction[]): void => void actions.push(...more);
  const events = (): EngineEvent[] => actions.flatMap((a) => (a.type === 'emit' ? [a.event] : []));
  const of = <T extends TurnAction['type']>(type: T): Array<Extract<TurnAction, { type: T }>> =>
    actions.filter((a): a is Extract<TurnAction, { type: T }> => a.type === type);
  const emitted = <T extends EngineEvent['type']>(type: T): Array<Extract<EngineEvent, { type: T }>> =>
    events().filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
  return { controller, actions, feed, run, of, emitted, events, now: () => ms };
}

/** Turn 1 heard and ended; its answer has its transcript and two units of audio (1 s each). */
function answering(input: EngineConfigInput = {}) {
  const d = driver({ turn: { speculative: false }, ...input });
  d.feed(0.9, 640);
  d.feed(0, 320);
  expect(d.of('start_answer')).toMatchObject([{ turn: 1 }]);
  d.run(d.controller.answerReport(1, { kind: 'transcript', text: 'hello there' }, d.now()));
  d.run(d.controller.answerReport(1, { kind: 'audio', unit: 0, samples: 24000 }, d.now()));
  d.run(d.controller.answerReport(1, { kind: 'audio', unit: 1, samples: 24000 }, d.now()));
  return d;
}

describe('TurnController: conversations', () => {
  it('going on before the answer is heard continues the same turn: its answer starts over with every word', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(99, d.now())); // a player is attached (a report for no current turn)
    d.feed(0.9, 480); // the user goes on; nothing of the answer was played yet
    expect(d.of('discard_answer')).toMatchObject([{ turn: 1 }]);
    expect(d.emitted('speculation_discarded')).toMatchObject([{ turn: 1 }]);
    expect(d.emitted('speech_start').map((e) => e.turn)).toEqual([1]);
    expect(d.emitted('barge_in')).toEqual([]);
    d.feed(0, 320);
    // Two segments of turn 1 (before and after the pause), one new answer for turn 1, no turn 2.
    expect(d.of('transcribe_segment').map((a) => a.turn)).toEqual([1, 1]);
    expect(d.of('start_answer').map((a) => a.turn)).toEqual([1, 1]);
    expect(d.of('finalize_answer')).toEqual([]);
    expect(d.events().some((e) => 'turn' in e && e.turn === 2)).toBe(false);
  });

  it('going on after the answer was heard interrupts it and starts a new turn', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    d.feed(0.9, 480, { echoFraction: 0 });
    expect(d.emitted('barge_in')).toMatchObject([{ turn: 1 }]);
    expect(d.of('pause_answer')).toMatchObject([{ turn: 1 }]);
    expect(d.emitted('speech_start').map((e) => e.turn)).toEqual([1, 2]);
  });

  it('over the answer, its echo starts nothing; the user is heard from their onset, with pre-roll', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    const echoStart = d.now();
    d.feed(0.9, 2048, { echoFraction: 0.97, level: 0.1 }); // the assistant's own voice, explained by the echo guard
    expect(d.emitted('barge_in')).toEqual([]);
    expect(d.emitted('speech_start')).toHaveLength(1); // turn 1's only
    const onset = d.now();
    d.feed(0.9, 640, { echoFraction: 0.4, level: 0.5 }); // the user talks over it
    const bargeIn = d.emitted('barge_in')[0];
    expect(bargeIn?.onset).toBe(onset);
    expect(d.emitted('speech_start').at(-1)).toMatchObject({ turn: 2, t: onset });
    d.feed(0, 400, { level: 0 });
    const segment = d.of('transcribe_segment').find((a) => a.turn === 2);
    expect(segment).toBeDefined();
    const audio = segment!.audio;
    const userSamples = audio.filter((v) => v === 0.5).length;
    expect(userSamples).toBe(640 * 16); // every sample of the user's speech
    const before = audio.findIndex((v) => v === 0.5);
    expect(before).toBe(resolveConfig({}).vad.preRollMs * 16); // preceded by exactly the pre-roll
    expect(echoStart).toBeLessThan(onset);
  });

  it('on headphones, a voice the guard removed as possible echo is heard from where it began in the microphone', () => {
    const d = driver({ turn: { speculative: false } });
    d.feed(0, 640, { level: 1e-4 }); // the room's noise floor
    d.feed(0.9, 640);
    d.feed(0, 320, { level: 1e-4 });
    d.run(d.controller.answerReport(1, { kind: 'transcript', text: 'hello there' }, d.now()));
    d.run(d.controller.answerReport(1, { kind: 'audio', unit: 0, samples: 24000 }, d.now()));
    d.run(d.controller.playbackStarted(1, d.now()));
    const onset = d.now() + 64;
    // The unguarded microphone: quiet, then the user's voice from `onset` on.
    const microphone = (fromMs: number, toMs: number): Float32Array =>
      Float32Array.from({ length: Math.round((toMs - fromMs) * 16) }, (_, i) => (fromMs + i / 16 >= onset ? 0.5 : 1e-4));
    let now = d.now();
    const guarded = (p: number, duration: number, level: number, echoFraction: number, echoPathAbsent: boolean): void => {
      for (let end = now + 32; end <= now + duration; end += 32) {
        const samples = new Float32Array(512).fill(level);
        d.run(d.controller.window({ samples, probability: p, startMs: end - 32, endMs: end, t: end, echoFraction, echoPathAbsent, microphone }));
      }
      now += duration;
    };
    guarded(0, 64, 0, 0, false);
    guarded(0.1, 960, 0.001, 0.95, false); // the guard removes the voice: it still presumes an echo path
    expect(d.emitted('barge_in')).toEqual([]);
    guarded(0.9, 320, 0.5, 0, true); // it found none: the voice comes through
    expect(d.emitted('barge_in')).toMatchObject([{ turn: 1 }]);
    expect(d.emitted('speech_start').at(-1)).toMatchObject({ turn: 2, t: onset });
    guarded(0, 400, 0, 0, true);
    const segment = d.of('transcribe_segment').find((a) => a.turn === 2);
    expect(segment!.audio.filter((v) => v === 0.5)).toHaveLength((960 + 320) * 16);
  });

  it('with an echo path, the turn starts where the guarded voice began (the unguarded microphone holds the echo)', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    const microphone = (fromMs: number, toMs: number): Float32Array => new Float32Array(Math.round((toMs - fromMs) * 16)).fill(0.5);
    let now = d.now();
    const guarded = (p: number, duration: number, level: number, echoFraction: number): void => {
      for (let end = now + 32; end <= now + duration; end += 32) {
        const samples = new Float32Array(512).fill(level);
        d.run(d.controller.window({ samples, probability: p, startMs: end - 32, endMs: end, t: end, echoFraction, echoPathAbsent: false, microphone }));
      }
      now += duration;
    };
    guarded(0.9, 960, 0.1, 0.97);
    const onset = now;
    guarded(0.9, 320, 0.5, 0.3);
    expect(d.emitted('speech_start').at(-1)).toMatchObject({ turn: 2, t: onset });
  });

  it('as the answer ends, its echo tail starts no turn; speech after the tail does', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    d.run(d.controller.answerReport(1, { kind: 'generation_done' }, d.now()));
    d.run(d.controller.unitPlayed(1, 0, d.now()));
    d.run(d.controller.unitPlayed(1, 1, d.now()));
    expect(d.of('finalize_answer')).toMatchObject([{ turn: 1, interrupted: false }]);
    d.feed(0.9, ECHO_TAIL_MS - 64, { echoFraction: 0.97 }); // the room still rings
    expect(d.emitted('speech_start')).toHaveLength(1);
    d.feed(0, 64);
    d.feed(0.9, 320);
    expect(d.emitted('speech_start').map((e) => e.turn)).toEqual([1, 2]);
  });

  it('a room that rings on past the echo tail starts no turn while the guard explains it', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    d.run(d.controller.answerReport(1, { kind: 'generation_done' }, d.now()));
    d.run(d.controller.unitPlayed(1, 0, d.now()));
    d.run(d.controller.unitPlayed(1, 1, d.now()));
    d.feed(0.9, ECHO_TAIL_MS + 640, { echoFraction: 0.97 });
    expect(d.emitted('speech_start')).toHaveLength(1);
    d.feed(0.9, 320, { echoFraction: 0.2 });
    expect(d.emitted('speech_start').map((e) => e.turn)).toEqual([1, 2]);
  });

  it('a user who answers at once, inside the echo tail, is heard from their onset', () => {
    const d = answering();
    d.run(d.controller.playbackStarted(1, d.now()));
    d.run(d.controller.answerReport(1, { kind: 'generation_done' }, d.now()));
    d.run(d.controller.unitPlayed(1, 0, d.now()));
    d.run(d.controller.unitPlayed(1, 1, d.now()));
    const onset = d.now() + 64;
    d.feed(0, 64);
    d.feed(0.9, 640, { echoFraction: 0, level: 0.5 });
    expect(d.emitted('speech_start').at(-1)).toMatchObject({ turn: 2, t: onset });
    d.feed(0, 400, { level: 0 });
    const segment = d.of('transcribe_segment').find((a) => a.turn === 2);
    expect(segment!.audio.filter((v) => v === 0.5)).toHaveLength(640 * 16);
  });
});
