import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BargeInDetector } from '../../../src-main/engine/mic/barge-in';
import { resolveConfig, type EngineConfigInput } from '../../../src-main/shared/config';
import { classifyConfigChange } from '../../../src-main/engine/core/configure';
import type { EngineEvent } from '../../../src-main/shared/events';
import { ConversationJournal } from '../../../src-main/engine/core/journal';
import { TurnTracer } from '../../../src-main/engine/core/trace';
import { TtsCache } from '../../../src-main/engine/core/tts-cache';
import { TurnController, type TurnAction } from '../../../src-main/engine/core/turn-controller';
import { FakeTts } from '../../fakes/stages';

/** Drives the pure controller with 32 ms windows whose VAD probability is given. */
function driver(input: EngineConfigInput = {}) {
  const controller = new TurnController(resolveConfig({ ...input, stt: { partialIntervalMs: 0, ...input.stt } }));
  const actions: TurnAction[] = [];
  let ms = 0;
  const feed = (p: number, duration: number): void => {
    for (let end = ms + 32; end <= ms + duration; end += 32) {
      actions.push(...controller.window({ samples: new Float32Array(512).fill(p), probability: p, startMs: end - 32, endMs: end, t: end }));
    }
    ms += duration;
  };
  const events = (): EngineEvent[] => actions.flatMap((a) => (a.type === 'emit' ? [a.event] : []));
  const kinds = (): string[] => actions.map((a) => (a.type === 'emit' ? a.event.type : a.type)).filter((k) => k !== 'phase');
  return { controller, actions, feed, events, kinds, now: () => ms };
}

describe('TurnController (pure)', () => {
  it('always-listening: speech, silence → one segment transcribed and one answer started', () => {
    const d = driver({ turn: { speculative: false } });
    d.feed(0.9, 640);
    d.feed(0, 320);
    expect(d.kinds()).toEqual(['speech_start', 'speech_pause', 'speech_end', 'eot_confirmed', 'transcribe_segment', 'start_answer']);
  });

  it('push-to-talk: the key holds the turn through a long pause; release ends it', () => {
    const d = driver({ turn: { mode: 'push-to-talk' } });
    d.actions.push(...d.controller.pttDown(0));
    d.feed(0.9, 320);
    d.feed(0, 1000);
    d.feed(0.9, 320);
    expect(d.kinds()).not.toContain('eot_confirmed');
    d.actions.push(...d.controller.pttUp(d.now()));
    expect(d.kinds().filter((k) => k === 'eot_confirmed')).toHaveLength(1);
    expect(d.kinds().filter((k) => k === 'speech_start')).toHaveLength(1);
    expect(d.kinds().filter((k) => k === 'start_answer')).toHaveLength(1);
  });

  it('push-to-talk with the key up hears nothing', () => {
    const d = driver({ turn: { mode: 'push-to-talk' } });
    d.feed(0.9, 640);
    d.feed(0, 400);
    expect(d.kinds()).toEqual([]);
  });

  it('a threshold change mid-utterance keeps the utterance (no endpointer rebuild)', () => {
    const d = driver({ turn: { speculative: false } });
    d.feed(0.9, 320);
    d.actions.push(...d.controller.configure(resolveConfig({ stt: { partialIntervalMs: 0 }, turn: { speculative: false }, vad: { endOfTurnSilenceMs: 1000 } }), d.now()));
    d.feed(0, 600);
    expect(d.kinds()).not.toContain('eot_confirmed');
    d.feed(0, 500);
    const segment = d.actions.find((a): a is Extract<TurnAction, { type: 'transcribe_segment' }> => a.type === 'transcribe_segment');
    expect(segment?.audio.length).toBeGreaterThanOrEqual(320 * 16);
  });

  it('without barge-in (half-duplex), speech over a live answer is not a new turn', () => {
    const d = driver({ turn: { bargeIn: false, speculative: false } });
    d.actions.push(...d.controller.textInput('hello', 0));
    d.feed(0.9, 640);
    d.feed(0, 400);
    expect(d.kinds()).toEqual(['start_answer']);
  });

  it('barge-in pauses; a timeout without a turn resumes from the first unplayed unit', () => {
    const d = driver({ echo: { bargeInMinSpeechMs: 64 } });
    d.actions.push(...d.controller.textInput('hello', 0));
    d.controller.answerReport(1, { kind: 'transcript', text: 'hello' }, 0);
    d.controller.answerReport(1, { kind: 'audio', unit: 0, samples: 24000 }, 0);
    d.controller.answerReport(1, { kind: 'audio', unit: 1, samples: 24000 }, 0);
    d.controller.playbackStarted(1, 0);
    d.controller.unitPlayed(1, 0, 0);
    d.feed(0.9, 96);
    d.feed(0, 96);
    expect(d.kinds()).toContain('pause_answer');
    const deadline = d.controller.nextDeadline();
    expect(deadline).toBeDefined();
    d.actions.push(...d.controller.tick(deadline!));
    expect(d.actions.find((a) => a.type === 'resume_answer')).toEqual({ type: 'resume_answer', turn: 1, fromUnit: 1 });
  });
});

describe('BargeInDetector', () => {
  it('fires once on sustained voice, at its onset; a gap restarts the count', () => {
    const detector = new BargeInDetector({ threshold: 0.5, minSpeechMs: 96, maxGapMs: 0 });
    const push = (start: number, p: number) => detector.push({ startMs: start, endMs: start + 32, probability: p, echoFraction: 0 });
    expect(push(0, 0.9)).toBeNull();
    expect(push(32, 0.9)).toBeNull();
    expect(push(64, 0.1)).toBeNull(); // gap
    expect(push(96, 0.9)).toBeNull();
    expect(push(128, 0.9)).toBeNull();
    expect(push(160, 0.9)).toEqual({ onsetMs: 96 });
    expect(push(192, 0.9)).toBeNull(); // once until reset
    detector.reset();
    expect(push(224, 0.9)).toBeNull();
  });

  it('with minSpeechMs 0 it still needs a voiced window', () => {
    const detector = new BargeInDetector({ threshold: 0.5, minSpeechMs: 0 });
    expect(detector.push({ startMs: 0, endMs: 32, probability: 0.1, echoFraction: 0 })).toBeNull();
    expect(detector.push({ startMs: 32, endMs: 64, probability: 0.6, echoFraction: 0 })).toEqual({ onsetMs: 32 });
  });
});

describe('configure classification', () => {
  it('sorts paths into live, reload and restart', () => {
    const before = resolveConfig({});
    const after = resolveConfig({ vad: { endOfTurnSilenceMs: 500 }, llm: { threads: 3 }, audio: { inputQueueFrames: 64 } });
    expect(classifyConfigChange(before, after, true)).toEqual({ applied: ['vad.endOfTurnSilenceMs', 'llm.threads'], reloaded: ['llm'], restartRequired: ['audio.inputQueueFrames'] });
    expect(classifyConfigChange(before, after, false)).toEqual({ applied: ['vad.endOfTurnSilenceMs'], reloaded: [], restartRequired: ['audio.inputQueueFrames', 'llm.threads'] });
    // Headphones (the echo guard off) and every echo setting apply live: the mic path is rebuilt.
    const headphones = resolveConfig({ echo: { enabled: false, bargeInThreshold: 0.7 } });
    expect(classifyConfigChange(before, headphones, false)).toEqual({ applied: ['echo.enabled', 'echo.bargeInThreshold'], reloaded: [], restartRequired: [] });
  });
});

describe('TtsCache', () => {
  it('is an LRU keyed by normalized text, voice and speed, and counts hits and misses', () => {
    const cache = new TtsCache({ maxEntries: 2 });
    const audio = new Float32Array([0.1, 0.2]);
    expect(cache.get('Sure,', 'af', 1)).toBeUndefined();
    cache.set('Sure,', 'af', 1, audio);
    expect(cache.get('  sure, ', 'af', 1)).toEqual(audio);
    expect(cache.get('Sure,', 'bf', 1)).toBeUndefined();
    cache.set('Okay.', 'af', 1, audio);
    expect(cache.get('Sure,', 'af', 1)).toBeDefined(); // "Sure," is now the most recently used
    cache.set('Right.', 'af', 1, audio); // evicts the least recently used: "Okay."
    expect(cache.size).toBe(2);
    expect(cache.get('Okay.', 'af', 1)).toBeUndefined();
    expect(cache.hits).toBe(2);
    expect(cache.misses).toBe(3);
    const copy = cache.get('Sure,', 'af', 1)!;
    expect(cache.hitRate).toBeCloseTo(3 / 6);
    copy[0] = 9;
    expect(cache.get('Sure,', 'af', 1)![0]).toBeCloseTo(0.1);
  });
});

describe('TtsCache.prewarm', () => {
  it('synthesizes openers once, so their first use is a hit', async () => {
    const tts = new FakeTts();
    tts.auto = true;
    const cache = new TtsCache();
    await cache.prewarm(tts, ['Sure,', 'Okay.', 'Sure,'], 'af', 1);
    expect(tts.calls.map((c) => c.text)).toEqual(['Sure,', 'Okay.']);
    expect(cache.get('sure,', 'af', 1)).toBeDefined();
    expect(cache.hits).toBe(1);
  });
});

describe('ConversationJournal', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'murmur-journal-'));

  it('appends asynchronously, durable when the promise resolves, and keeps turns in memory', async () => {
    const file = path.join(tmp, 'a.jsonl');
    const journal = new ConversationJournal(file);
    await journal.append({ turn: 1, user: 'a', assistant: 'b', interrupted: false, at: 1 });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(journal.turns.map((t) => t.turn)).toEqual([1]);
  });

  it('is bounded: compacts to the latest maxTurns when the file reaches twice that', async () => {
    const file = path.join(tmp, 'b.jsonl');
    const journal = new ConversationJournal(file, { maxTurns: 3 });
    for (let turn = 1; turn <= 10; turn++) await journal.append({ turn, user: `u${turn}`, assistant: '', interrupted: false, at: turn });
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(journal.turns.map((t) => t.turn)).toEqual([8, 9, 10]);
    const reread = new ConversationJournal(file, { maxTurns: 3 }).read();
    expect(reread.turns.map((t) => t.turn)).toEqual([8, 9, 10]);
  });

  it('tolerates a torn last line', async () => {
    const file = path.join(tmp, 'c.jsonl');
    const journal = new ConversationJournal(file);
    await journal.append({ turn: 1, user: 'a', assistant: 'b', interrupted: false, at: 1 });
    appendFileSync(file, '{"turn":2,"user":"cut');
    expect(new ConversationJournal(file).read()).toMatchObject({ skippedLines: 1, turns: [{ turn: 1 }] });
  });
});

describe('TurnTracer', () => {
  it('a late event never reopens a closed trace; an abandoned turn closes its trace', () => {
    const traces: number[] = [];
    const tracer = new TurnTracer((trace) => traces.push(trace.turn));
    tracer.observe({ type: 'llm_request', turn: 1, t: 1 });
    tracer.observe({ type: 'turn_done', turn: 1, t: 2, user: 'a', assistant: 'b', interrupted: false });
    tracer.observe({ type: 'playback_start', turn: 1, t: 3 });
    expect(tracer.openCount).toBe(0);
    tracer.observe({ type: 'speech_start', turn: 2, t: 4 });
    expect(tracer.openCount).toBe(1);
    tracer.observe({ type: 'turn_abandoned', turn: 2, t: 5, reason: 'microphone muted' });
    expect(tracer.openCount).toBe(0);
    expect(traces).toEqual([1]);
  });
});
