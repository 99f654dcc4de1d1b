import { describe, expect, it } from 'vitest';
import { resolveConfig, type EngineConfigInput } from '../../../src-main/shared/config';
import type { EngineEvent } from '../../../src-main/shared/events';
import { endOfTurnRule } from '../../../src-main/engine/core/end-of-turn';
import { TURN_MODEL_WINDOW_SAMPLES, TurnController, type TurnAction } from '../../../src-main/engine/core/turn-controller';

/**
 * The end-of-turn policy on the pure controller (fake clock: every window's time is given), with a
 * fake classifier: the test answers each `classify_turn` request with the verdict it wants, when
 * it wants (named as such: the real model's verdicts cannot be produced here).
 */
function driver(input: EngineConfigInput = {}, modelLoaded = true) {
  const controller = new TurnController(resolveConfig({ ...input, stt: { partialIntervalMs: 0, ...input.stt }, turn: { speculative: false, ...input.turn } }));
  const actions: TurnAction[] = [...controller.setTurnModel(modelLoaded)];
  let ms = 0;
  const feed = (p: number, duration: number): void => {
    for (let end = ms + 32; end <= ms + duration; end += 32) {
      actions.push(...controller.window({ samples: new Float32Array(512).fill(p * 0.1), probability: p, startMs: end - 32, endMs: end, t: end }));
    }
    ms += duration;
  };
  const of = <T extends TurnAction['type']>(type: T): Array<Extract<TurnAction, { type: T }>> =>
    actions.filter((a): a is Extract<TurnAction, { type: T }> => a.type === type);
  const emitted = <T extends EngineEvent['type']>(type: T): Array<Extract<EngineEvent, { type: T }>> =>
    actions.flatMap((a) => (a.type === 'emit' && a.event.type === type ? [a.event as Extract<EngineEvent, { type: T }>] : []));
  /** The fake classifier answers the latest request `afterMs` later (the clock does not move for it). */
  const answer = (probability: number): void => {
    const request = of('classify_turn').at(-1);
    if (!request) throw new Error('no classify_turn request');
    actions.push(...controller.turnVerdict(request.turn, request.request, { probability, ms: 12 }, ms));
  };
  return { controller, actions, feed, of, emitted, answer, now: () => ms };
}

describe('end of turn: Smart Turn policy in the turn controller', () => {
  it('a mid-sentence pause of 700 ms judged "incomplete" keeps one turn: the words after it belong to it', () => {
    const d = driver();
    d.feed(0.9, 1280); // "I would like to…"
    d.feed(0, 224); // the pause reaches 200 ms: the model is asked
    expect(d.of('classify_turn')).toHaveLength(1);
    d.answer(0.1); // incomplete
    d.feed(0, 476); // the rest of a 700 ms pause
    expect(d.emitted('eot_confirmed')).toEqual([]);
    d.feed(0.9, 960); // "…book a table"
    d.feed(0, 224);
    expect(d.of('classify_turn'), 'asked again at the new pause').toHaveLength(2);
    d.answer(0.9);
    expect(d.emitted('speech_start').map((e) => e.turn)).toEqual([1]);
    expect(d.emitted('eot_confirmed').map((e) => e.turn)).toEqual([1]);
    expect(d.of('start_answer')).toMatchObject([{ turn: 1, speculative: false }]);
  });

  it('"complete" at 200 ms ends the turn there, at the verdict, not after the silence', () => {
    const d = driver();
    d.feed(0.9, 960);
    const speechEnd = d.now();
    d.feed(0, 224);
    const request = d.of('classify_turn')[0];
    expect(request?.audio.length).toBeGreaterThan(0);
    expect(request?.audio.length).toBeLessThanOrEqual(TURN_MODEL_WINDOW_SAMPLES);
    d.answer(0.8);
    const eot = d.emitted('eot_confirmed')[0];
    expect(eot?.t).toBe(speechEnd + 224);
    expect(d.emitted('speech_end')[0]?.t).toBe(speechEnd);
    expect(d.emitted('turn_verdict')).toMatchObject([{ turn: 1, complete: true, probability: 0.8 }]);
    expect(d.of('start_answer')).toHaveLength(1);
  });

  it('no verdict within the maximum silence: the silence ends the turn there; a late verdict changes nothing', () => {
    const d = driver();
    d.feed(0.9, 960);
    const speechEnd = d.now();
    d.feed(0, 1984);
    expect(d.emitted('eot_confirmed')).toEqual([]);
    d.feed(0, 32);
    expect(d.emitted('eot_confirmed')[0]?.t).toBe(speechEnd + 2016);
    d.answer(0.99); // the model was too slow
    expect(d.emitted('eot_confirmed')).toHaveLength(1);
    expect(d.of('start_answer')).toHaveLength(1);
  });

  it('"incomplete" verdicts only: the maximum silence ends the turn; Patient waits 1.5× as long and needs a confident verdict', () => {
    const smart = driver();
    smart.feed(0.9, 640);
    smart.feed(0, 224);
    smart.answer(0.3);
    smart.feed(0, 1792);
    expect(smart.emitted('eot_confirmed')).toHaveLength(1);

    const patient = driver({ turn: { endOfTurn: 'patient' } });
    patient.feed(0.9, 640);
    patient.feed(0, 224);
    patient.answer(0.6); // "complete" for Smart, not confident enough for Patient
    patient.feed(0, 1792);
    expect(patient.emitted('eot_confirmed')).toEqual([]);
    patient.feed(0, 1024);
    expect(patient.emitted('eot_confirmed')).toHaveLength(1);
    expect(endOfTurnRule(resolveConfig({ turn: { endOfTurn: 'patient' } }), true)).toMatchObject({ maxSilenceMs: 3000, completeAt: 0.7 });
  });

  it('push-to-talk never asks: the key ends the turn', () => {
    const d = driver({ turn: { mode: 'push-to-talk' } });
    d.actions.push(...d.controller.pttDown(d.now()));
    d.feed(0.9, 640);
    d.feed(0, 2400);
    expect(d.of('classify_turn')).toEqual([]);
    expect(d.emitted('eot_confirmed')).toEqual([]);
    d.actions.push(...d.controller.pttUp(d.now()));
    expect(d.emitted('eot_confirmed')).toHaveLength(1);
  });

  it('Fast, or no model loaded: silence alone ends the turn after vad.endOfTurnSilenceMs, nothing is asked', () => {
    for (const d of [driver({ turn: { endOfTurn: 'fast' } }), driver({}, false)]) {
      d.feed(0.9, 640);
      d.feed(0, 320);
      expect(d.of('classify_turn')).toEqual([]);
      expect(d.emitted('eot_confirmed')).toHaveLength(1);
    }
  });

  it('a verdict for a pause the user already ended by speaking is ignored', () => {
    const d = driver();
    d.feed(0.9, 640);
    d.feed(0, 224);
    d.feed(0.9, 320); // speaks again before the verdict
    d.answer(0.95); // the verdict on the earlier pause
    expect(d.emitted('eot_confirmed')).toEqual([]);
    expect(d.emitted('turn_verdict')).toHaveLength(1);
  });
});
