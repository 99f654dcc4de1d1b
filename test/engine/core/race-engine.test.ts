import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConversationJournal } from '../../../src-main/engine/core/journal';
import type { EngineEvent } from '../../../src-main/shared/events';
import { PLAYBACK_GRACE_MS } from '../../../src-main/engine/core/turn-controller';
import { fakeEngine, QUIET, settle, VOICE, type FakeEngine } from '../../fakes/harness';
import { fakeStages, FakeStt, type FakeStages } from '../../fakes/stages';

/**
 * One test per race of the turn logic, on FAKE stages (controllable promises) and a manual clock:
 * the order of completions is chosen by the test, not by the machine's load.
 */

const REPLY = ['Sure, ', 'the first part is here. ', 'And then ', 'a second sentence follows. ', 'Bye now.'];

function autoStages(stages: FakeStages, transcript = 'hello there'): void {
  stages.stt.auto = () => transcript;
  stages.llm.auto = REPLY;
  stages.tts.auto = true;
}

/** Acts as a player that reports every unit as played at once. */
function instantPlayer(f: FakeEngine): () => void {
  const started = new Set<number>();
  return f.engine.on((event) => {
    if (event.type !== 'audio') return;
    if (!started.has(event.turn)) {
      started.add(event.turn);
      f.engine.handle({ type: 'playback_started', turn: event.turn });
    }
    f.engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
  });
}

const press = (f: FakeEngine, pressed: boolean): void => f.engine.handle({ type: 'ptt', pressed });
const indexOf = (events: EngineEvent[], pred: (e: EngineEvent) => boolean): number => events.findIndex(pred);

describe('conversation memory', () => {
  it('each turn is journaled with its latency trace, so the waterfall survives a restart', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'murmur-race-')), 'journal.jsonl');
    const f = await fakeEngine({ turn: { speculative: false } }, { journal: new ConversationJournal(file) });
    autoStages(f.stages);
    instantPlayer(f);
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    await expect.poll(() => f.of('turn_done').length, { timeout: 5000 }).toBe(1); // after the fsync
    await expect.poll(() => f.of('trace').length, { timeout: 5000 }).toBe(1);
    const done = f.of('turn_done');
    const [record] = new ConversationJournal(file).read().turns;
    expect(record?.trace?.turn).toBe(done[0]!.turn);
    const live = f.of('trace')[0]!.trace;
    // The journaled trace is the one the page got live: same marks, words and durations.
    expect(record?.trace?.marks).toEqual(live.marks);
    expect(record?.trace?.durations).toEqual(live.durations);
    expect(record?.trace?.user).toBe('hello there');
    expect(record?.trace?.durations.voiceToVoice).toBeGreaterThan(0);
  });

  it('turn_done is emitted only once the turn is on disk', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'murmur-race-')), 'journal.jsonl');
    const f = await fakeEngine({}, { journal: new ConversationJournal(file) });
    autoStages(f.stages);
    const onDiskAtDone: boolean[] = [];
    f.engine.on((event) => {
      if (event.type === 'turn_done') onDiskAtDone.push(existsSync(file) && readFileSync(file, 'utf8').includes('"user":"remember this"'));
    });
    f.engine.handle({ type: 'text_input', text: 'remember this' });
    // Real file I/O: wait in real time (bounded).
    for (let i = 0; i < 500 && onDiskAtDone.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(onDiskAtDone).toEqual([true]);
  });

  it('load restores the journal before warming the LLM (the first turn after a restart is cached)', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'murmur-race-')), 'journal.jsonl');
    const journal = new ConversationJournal(file);
    await journal.append({ turn: 3, user: 'earlier', assistant: 'yes', interrupted: false, at: 1 });
    const { VoiceEngine } = await import('../../../src-main/engine/core/voice-engine');
    const { resolveConfig } = await import('../../../src-main/shared/config');
    const stages = fakeStages();
    const order: string[] = [];
    stages.llm.restore = (turns) => void order.push(`restore:${turns.length}`);
    stages.llm.warm = async () => void order.push('warm');
    const engine = new VoiceEngine({ config: resolveConfig({}), journal: new ConversationJournal(file) });
    await engine.load(async () => stages);
    expect(order).toEqual(['restore:1', 'warm']);
    await engine.dispose();
  });
});

describe('race: push-to-talk', () => {
  it('push-to-talk held through a pause gives one turn', async () => {
    const f = await fakeEngine({ turn: { mode: 'push-to-talk' } });
    autoStages(f.stages);
    press(f, true);
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 700); // far longer than the 300 ms end-of-turn silence
    await f.feed(VOICE, 640);
    press(f, false);
    await settle();

    expect(f.of('speech_start')).toHaveLength(1);
    expect(f.of('eot_confirmed')).toHaveLength(1);
    expect(f.of('barge_in')).toHaveLength(0);
    expect(f.of('turn_done')).toHaveLength(1);
    // One transcription of the whole utterance, both parts included.
    expect(f.stages.stt.finals).toHaveLength(1);
    expect(f.stages.stt.finals[0]!.audio.length).toBeGreaterThanOrEqual(((640 + 700 + 640) / 1000) * 16000 - 512);
  });

  it('release mid-word: the audio queued before the release ends the turn, and a quick new press does not swallow it', async () => {
    const f = await fakeEngine({ turn: { mode: 'push-to-talk' } });
    autoStages(f.stages);
    press(f, true);
    f.burst(VOICE, 480); // still in the VAD's queue when the key goes up
    press(f, false);
    press(f, true); // pressed again at once
    f.burst(VOICE, 320);
    press(f, false);
    await settle(8);

    expect(f.of('speech_start').map((e) => e.turn)).toEqual([1, 2]);
    expect(f.stages.stt.finals).toHaveLength(2);
    expect(f.stages.stt.finals[0]!.audio.length).toBeGreaterThanOrEqual((480 / 1000) * 16000);
    expect(f.stages.stt.finals[1]!.audio.length).toBeGreaterThanOrEqual((320 / 1000) * 16000);
    // The second press interrupts the first answer (pressing the key is barge-in); the second
    // turn is answered.
    const done = f.of('turn_done');
    expect(done.map((d) => [d.turn, d.interrupted])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(done[1]!.user).toBe('hello there');
  });
});

describe('race: speculative start', () => {
  it('speculative confirm: held events go out at end of turn, in order, with no second transcription', async () => {
    const f = await fakeEngine();
    f.stages.llm.auto = REPLY;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 128); // pause: the speculative answer starts
    expect(f.stages.stt.finals).toHaveLength(1);
    f.stages.stt.finals[0]!.say('hello there');
    await settle();
    expect(f.stages.llm.calls).toHaveLength(1); // generating while the user may still go on...
    expect(f.of('stt_final')).toHaveLength(0); // ...but nothing of it is visible yet
    expect(f.of('audio')).toHaveLength(0);
    await f.feed(QUIET, 320); // end of turn confirmed
    await settle();

    const types = f.types(1);
    expect(types.indexOf('eot_confirmed')).toBeLessThan(types.indexOf('stt_final'));
    expect(types.filter((t) => t === 'stt_final')).toHaveLength(1);
    expect(types.indexOf('stt_final')).toBeLessThan(types.indexOf('llm_request'));
    expect(types.indexOf('llm_request')).toBeLessThan(types.indexOf('audio'));
    expect(f.stages.stt.finals).toHaveLength(1);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, user: 'hello there', interrupted: false }]);
  });

  it('speculative resume: the answer is discarded unseen and the turn keeps the transcript up to the pause', async () => {
    const f = await fakeEngine();
    f.stages.llm.auto = undefined;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 128);
    f.stages.stt.finals[0]!.say('hello');
    await settle();
    const speculative = f.stages.llm.calls[0]!;
    speculative.token('Hi, ', 'what ');
    await f.feed(VOICE, 640); // the user goes on
    expect(speculative.signal?.aborted).toBe(true);
    expect(f.of('speculation_discarded')).toHaveLength(1);
    await f.feed(QUIET, 400);
    expect(f.stages.stt.finals).toHaveLength(2); // only the audio after the pause is transcribed again
    f.stages.stt.finals[1]!.say('there');
    await settle();
    const final = f.stages.llm.calls[1]!;
    expect(final.userText).toBe('hello there');
    final.token('Okay.');
    final.finish();
    await settle();

    expect(f.of('stt_final').map((e) => e.text)).toEqual(['hello there']);
    expect(f.of('llm_token').map((e) => e.text)).toEqual(['Okay.']);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, user: 'hello there', assistant: 'Okay.' }]);
  });

  it('a failed speculative answer is retried at the end of turn with the words once, and its error is not shown', async () => {
    const f = await fakeEngine();
    f.stages.llm.auto = undefined;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 128);
    f.stages.stt.finals[0]!.say('hello there');
    await settle();
    const speculative = f.stages.llm.calls[0]!;
    expect(speculative.userText).toBe('hello there');
    speculative.done.reject(new Error('the model ran out of memory'));
    await settle();
    await f.feed(QUIET, 400); // end of turn
    // The final pass transcribes only the audio after the pause, not the whole utterance again.
    const finals = f.stages.stt.finals;
    expect(finals).toHaveLength(2);
    expect(finals[1]!.audio.length).toBeLessThan(finals[0]!.audio.length / 2);
    finals[1]!.say('');
    await settle();
    const retry = f.stages.llm.calls[1]!;
    expect(retry.userText).toBe('hello there');
    retry.token('Hi.');
    retry.finish();
    await settle();
    expect(f.of('error')).toEqual([]);
    expect(f.of('stt_final').map((e) => e.text)).toEqual(['hello there']);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, user: 'hello there', assistant: 'Hi.' }]);
  });

  it("an answer's own transcription gets every STT thread (the answer is not generating yet)", async () => {
    const f = await fakeEngine({ turn: { speculative: false } });
    f.stages.llm.auto = undefined;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400); // end of turn: the answer exists, its transcription starts
    const final = f.stages.stt.finals.at(-1)!;
    expect(final.threads).toBeUndefined(); // all of the plan's STT threads
    final.say('hello there');
    await settle();
    expect(f.stages.llm.calls).toHaveLength(1);
    // While that answer generates (and is heard: speech now interrupts it rather than continuing
    // the turn), another transcription does share the cores.
    f.stages.llm.calls[0]!.token('Sure, here is the first part of a long answer.');
    await settle();
    expect(f.of('audio').length).toBeGreaterThan(0);
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    expect(f.stages.stt.finals.at(-1)!.threads).toBeGreaterThanOrEqual(1);
  });

  it('end of turn while STT runs: the pending speculative transcription becomes the final one', async () => {
    const f = await fakeEngine();
    f.stages.llm.auto = REPLY;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400); // pause, then end of turn, with the transcription still running
    expect(f.of('eot_confirmed')).toHaveLength(1);
    expect(f.stages.stt.finals).toHaveLength(1);
    f.stages.stt.finals[0]!.say('hello there');
    await settle();
    expect(f.of('stt_final').map((e) => e.text)).toEqual(['hello there']);
    expect(f.stages.stt.finals).toHaveLength(1);
    expect(f.of('turn_done')).toHaveLength(1);
  });

  it('end of turn while a partial transcription runs: its late result is not shown after the final', async () => {
    const f = await fakeEngine({ stt: { partialIntervalMs: 96 }, turn: { speculative: false } });
    f.stages.llm.auto = REPLY;
    f.stages.tts.auto = true;
    await f.feed(VOICE, 640);
    const partial = f.stages.stt.calls.find((c) => c.partial);
    expect(partial, 'a partial transcription should be running').toBeDefined();
    await f.feed(QUIET, 400);
    f.stages.stt.finals[0]!.say('hello there');
    await settle();
    partial!.say('hel');
    await settle();
    const finalAt = indexOf(f.events, (e) => e.type === 'stt_final');
    expect(finalAt).toBeGreaterThan(0);
    expect(f.events.slice(finalAt).some((e) => e.type === 'stt_partial')).toBe(false);
  });

  it('barge-in during a speculative answer: speech resuming is the same turn, not an interruption', async () => {
    const f = await fakeEngine();
    autoStages(f.stages, 'hello');
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 128);
    expect(f.stages.llm.calls).toHaveLength(1); // speculative answer generated (held)
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    expect(f.of('barge_in')).toHaveLength(0);
    expect(f.of('answer_paused')).toHaveLength(0);
    expect(f.of('cancelled')).toHaveLength(0);
    expect(f.of('speculation_discarded')).toHaveLength(1);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, interrupted: false }]);
    expect(f.of('stt_final')).toHaveLength(1);
  });
});

describe('race: the player', () => {
  it('a player that never reports: the turn ends when its audio must be over, not before', async () => {
    const f = await fakeEngine();
    autoStages(f.stages);
    const off = instantPlayer(f);
    f.engine.handle({ type: 'text_input', text: 'first' });
    await settle();
    expect(f.of('turn_done')).toHaveLength(1);
    off(); // the window closed: nobody reports any more
    f.engine.handle({ type: 'text_input', text: 'second' });
    await settle();
    const audioMs = f.of('audio').filter((a) => a.turn === 2).reduce((ms, a) => ms + (a.samples.length / a.sampleRate) * 1000, 0);
    expect(audioMs).toBeGreaterThan(0);
    await f.advance(audioMs + PLAYBACK_GRACE_MS - 50);
    expect(f.of('turn_done')).toHaveLength(1);
    await f.advance(100);
    expect(f.of('turn_done').map((d) => [d.turn, d.interrupted])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(f.engine.busy).toBe(false);
  });

  it('a late playback_start opens no trace and emits nothing', async () => {
    const f = await fakeEngine();
    autoStages(f.stages);
    f.engine.handle({ type: 'text_input', text: 'hi' });
    await settle();
    expect(f.of('turn_done')).toHaveLength(1);
    const before = f.events.length;
    f.engine.handle({ type: 'playback_started', turn: 1 });
    f.engine.handle({ type: 'unit_played', turn: 1, unit: 0 });
    expect(f.events.slice(before)).toEqual([]);
    expect(f.openTraces()).toBe(0);
    expect(f.of('trace')).toHaveLength(1);
  });
});

describe('race: configure mid-turn', () => {
  it('live: a new end-of-turn silence applies in place and the utterance in progress is kept', async () => {
    const f = await fakeEngine({ turn: { speculative: false } });
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'configure', patch: { vad: { endOfTurnSilenceMs: 800 }, tts: { voice: 'bf_emma' } } });
    expect(f.of('config_applied')).toEqual([
      { type: 'config_applied', applied: ['vad.endOfTurnSilenceMs', 'tts.voice'], reloaded: [], restartRequired: [] },
    ]);
    await f.feed(QUIET, 500); // would have ended the turn at 300 ms
    expect(f.of('eot_confirmed')).toHaveLength(0);
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 900);
    expect(f.of('speech_start')).toHaveLength(1);
    expect(f.stages.stt.finals).toHaveLength(1);
    expect(f.stages.stt.finals[0]!.audio.length).toBeGreaterThanOrEqual(((640 + 500 + 640) / 1000) * 16000);
    expect(f.stages.tts.calls.at(-1)?.voice).toBe('bf_emma');
  });

  it('live: the system prompt reaches the LLM stage', async () => {
    const f = await fakeEngine();
    f.engine.handle({ type: 'configure', patch: { llm: { systemPrompt: 'Answer like a pirate.' } } });
    await settle();
    expect(f.stages.llm.systemPrompt).toBe('Answer like a pirate.');
    expect(f.of('config_applied')[0]?.applied).toEqual(['llm.systemPrompt']);
  });

  it('reload: a new STT model is loaded between turns, never under the turn in progress', async () => {
    const reloaded: string[] = [];
    const fresh = new FakeStt();
    fresh.auto = () => 'from the new model';
    const f = await fakeEngine({ turn: { speculative: false } }, {
      reloadStages: {
        stt: async (config) => {
          reloaded.push(`stt:${config.models.stt}`);
          return fresh;
        },
      },
    });
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'configure', patch: { models: { stt: '/models/other.bin' } } });
    await settle();
    expect(reloaded).toEqual([]); // the user is speaking
    expect(f.of('config_applied')).toHaveLength(0);
    await f.feed(QUIET, 400);
    await settle();
    expect(f.of('turn_done')).toMatchObject([{ user: 'hello there' }]);
    expect(reloaded).toEqual(['stt:/models/other.bin']);
    expect(f.of('config_applied')).toEqual([{ type: 'config_applied', applied: ['models.stt'], reloaded: ['stt'], restartRequired: [] }]);
    f.engine.handle({ type: 'text_input', text: 'x' }); // typed: no STT; speak again instead
    await settle();
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    expect(f.of('stt_final').at(-1)?.text).toBe('from the new model');
  });

  it('reload that fails: the old stage keeps answering, the setting is rolled back and reported as rejected', async () => {
    let loads = 0;
    const f = await fakeEngine(
      { turn: { speculative: false } },
      {
        reloadStages: {
          tts: async (config) => {
            loads++;
            throw new Error(`model_${config.models.ttsDtype}.onnx is not installed`);
          },
        },
      },
    );
    autoStages(f.stages);
    f.engine.handle({ type: 'configure', patch: { models: { ttsDtype: 'fp16' }, tts: { voice: 'bf_emma' } } });
    await settle();
    expect(loads).toBe(1);
    expect(f.of('config_applied')).toEqual([
      {
        type: 'config_applied',
        applied: ['tts.voice'],
        reloaded: [],
        restartRequired: [],
        rejected: [{ paths: ['models.ttsDtype'], reason: 'could not reload the tts stage: model_fp16.onnx is not installed' }],
      },
    ]);
    expect(f.of('error').map((e) => e.code)).toEqual(['reload_failed']);
    // The engine still answers, with the old stage and the live part of the change.
    f.engine.handle({ type: 'text_input', text: 'are you there?' });
    await settle();
    expect(f.of('turn_done')).toMatchObject([{ user: 'are you there?' }]);
    expect(f.stages.tts.calls.at(-1)?.voice).toBe('bf_emma');
    // The rolled-back value is the engine's again: the same change asked again is tried again.
    f.engine.handle({ type: 'configure', patch: { models: { ttsDtype: 'fp16' } } });
    await settle();
    expect(loads).toBe(2);
  });

  it('restart: what cannot change live is reported, and the turn goes on', async () => {
    const f = await fakeEngine({ turn: { speculative: false } });
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'configure', patch: { audio: { inputQueueFrames: 64 }, models: { llm: '/models/x.gguf' } } });
    expect(f.of('config_applied')).toEqual([
      { type: 'config_applied', applied: [], reloaded: [], restartRequired: ['models.llm', 'audio.inputQueueFrames'] },
    ]);
    await f.feed(QUIET, 400);
    expect(f.of('turn_done')).toHaveLength(1);
  });

  it('a mode change through configure resets like set_mode (the turn is abandoned, its trace closed)', async () => {
    const f = await fakeEngine();
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'configure', patch: { turn: { mode: 'push-to-talk' } } });
    expect(f.of('turn_abandoned')).toMatchObject([{ turn: 1 }]);
    expect(f.of('phase').at(-1)).toMatchObject({ mode: 'push-to-talk', phase: 'listening' });
    expect(f.openTraces()).toBe(0);
  });
});

describe('race: mute, mode, cancel', () => {
  it('mute mid-turn abandons the turn (no answer, no open trace) and the next turn works', async () => {
    const f = await fakeEngine();
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'mute', muted: true });
    await f.feed(QUIET, 400);
    expect(f.of('turn_abandoned')).toMatchObject([{ turn: 1, reason: 'microphone muted' }]);
    expect(f.stages.stt.finals).toHaveLength(0);
    expect(f.openTraces()).toBe(0);
    await f.feed(VOICE, 640); // muted: not heard
    expect(f.of('speech_start')).toHaveLength(1);
    f.engine.handle({ type: 'mute', muted: false });
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    expect(f.of('turn_done')).toMatchObject([{ turn: 2, user: 'hello there' }]);
    expect(f.openTraces()).toBe(0);
  });

  it('a mode change mid-turn abandons the turn; push-to-talk then hears only with the key down', async () => {
    const f = await fakeEngine();
    autoStages(f.stages);
    await f.feed(VOICE, 640);
    f.engine.handle({ type: 'set_mode', mode: 'push-to-talk' });
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    expect(f.of('turn_abandoned')).toHaveLength(1);
    expect(f.of('turn_done')).toHaveLength(0);
    expect(f.openTraces()).toBe(0);
  });

  it('cancel while the final transcription runs: the answer\'s signal reaches the STT', async () => {
    const f = await fakeEngine({ turn: { speculative: false } });
    await f.feed(VOICE, 640);
    await f.feed(QUIET, 400);
    const final = f.stages.stt.finals[0]!;
    expect(final.signal).toBeDefined();
    f.engine.handle({ type: 'cancel' });
    await settle();
    expect(final.signal?.aborted).toBe(true);
    expect(f.stages.llm.calls).toHaveLength(0);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, interrupted: true }]);
  });

  it('cancel during TTS: the synthesis is aborted and no audio follows', async () => {
    const f = await fakeEngine();
    f.stages.llm.auto = REPLY;
    f.engine.handle({ type: 'text_input', text: 'tell me' });
    await settle();
    const synthesis = f.stages.tts.calls[0]!;
    f.engine.handle({ type: 'cancel' });
    await settle();
    expect(synthesis.signal?.aborted).toBe(true);
    synthesis.speak();
    await settle();
    expect(f.of('audio')).toHaveLength(0);
    expect(f.of('cancelled')).toMatchObject([{ turn: 1, reason: 'cancelled by the user' }]);
    expect(f.of('turn_done')).toMatchObject([{ turn: 1, user: 'tell me', assistant: '', interrupted: true }]);
    expect(f.stages.llm.commits).toEqual([{ user: 'tell me', assistant: '', interrupted: true }]);
  });
});

describe('race: barge-in and false interruptions', () => {
  /** An answer whose first unit was played; the rest is produced but not yet played. */
  async function speaking(): Promise<FakeEngine & { played: (unit: number) => void }> {
    // A barge-in shorter than a turn (the resume path), whatever the shipped thresholds are.
    const f = await fakeEngine({ echo: { bargeInMinSpeechMs: 64 } });
    autoStages(f.stages, 'stop please');
    const played = (unit: number): void => f.engine.handle({ type: 'unit_played', turn: 1, unit });
    // A player that starts at once and has finished unit 0 by the time the rest is there.
    f.engine.on((event) => {
      if (event.type === 'audio' && event.turn === 1 && event.unit === 0) {
        f.engine.handle({ type: 'playback_started', turn: 1 });
        played(0);
      }
    });
    f.engine.handle({ type: 'text_input', text: 'tell me' });
    await settle();
    const units = new Set(f.of('audio').map((a) => a.unit));
    expect(units.size).toBeGreaterThan(1);
    expect(f.of('turn_done')).toHaveLength(0);
    return Object.assign(f, { played });
  }

  it('false interruption (a noise too short to be a turn) resumes from the first unplayed unit', async () => {
    const f = await speaking();
    const unitsBefore = f.of('audio').length;
    await f.feed(VOICE, 96); // enough for barge-in (64 ms), too short for a turn (120 ms)
    await f.feed(QUIET, 200);
    expect(f.of('barge_in')).toHaveLength(1);
    expect(f.of('answer_paused')).toHaveLength(1);
    expect(f.of('speech_start')).toHaveLength(0);
    expect(f.of('cancelled')).toHaveLength(0);
    await f.advance(1500);
    expect(f.of('answer_resumed')).toMatchObject([{ turn: 1, fromUnit: 1 }]);
    const resent = f.of('audio').slice(unitsBefore);
    expect(resent.map((a) => a.unit)).toEqual([...Array(unitsBefore - 1).keys()].map((i) => i + 1));
    for (const a of resent) f.played(a.unit);
    await settle();
    const done = f.of('turn_done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ turn: 1, interrupted: false });
    expect(done[0]!.assistant).toBe(f.of('unit_ready').map((u) => u.text).join(' '));
  });

  it('false interruption (a turn whose transcript is empty) resumes the answer', async () => {
    const f = await speaking();
    f.stages.stt.auto = () => '';
    await f.feed(VOICE, 320);
    await f.feed(QUIET, 400);
    expect(f.of('answer_paused')).toHaveLength(1);
    expect(f.of('answer_resumed')).toMatchObject([{ turn: 1, fromUnit: 1 }]);
    expect(f.of('cancelled')).toHaveLength(0);
    expect(f.stages.llm.calls).toHaveLength(1); // no answer to the empty turn
  });

  it('speech that goes on past the verdict deadline arms no timer until it ends (no setTimeout(0) spin)', async () => {
    const f = await speaking();
    const config = { falseInterruptionTimeoutMs: 1500 };
    await f.feed(VOICE, 320); // barge-in: the answer is paused, its verdict due in 1.5 s
    expect(f.of('answer_paused')).toHaveLength(1);
    // The user keeps talking well past the verdict deadline. With a deadline that cannot fire
    // while the user speaks, the engine used to re-arm a 0 ms timer forever (the manual clock
    // would never return from advance()).
    await f.feed(VOICE, config.falseInterruptionTimeoutMs + 1000);
    expect(f.of('answer_resumed')).toHaveLength(0);
    await f.feed(QUIET, 400);
    await settle();
    expect(f.of('cancelled')).toMatchObject([{ turn: 1, reason: 'barge-in' }]); // words: the answer is cancelled
  }, 20_000);

  it('a real interruption (words) cancels the paused answer and keeps only what was played', async () => {
    const f = await speaking();
    await f.feed(VOICE, 320);
    await f.feed(QUIET, 400);
    await settle();
    expect(f.of('answer_resumed')).toHaveLength(0);
    expect(f.of('cancelled')).toMatchObject([{ turn: 1, reason: 'barge-in' }]);
    const first = f.of('turn_done').find((d) => d.turn === 1)!;
    expect(first.interrupted).toBe(true);
    expect(first.assistant).toBe(f.of('unit_ready').find((u) => u.turn === 1 && u.unit === 0)!.text);
    expect(f.of('stt_final').find((d) => d.turn === 2)?.text).toBe('stop please');
    expect(f.stages.llm.calls.map((c) => c.userText)).toEqual(['tell me', 'stop please']);
    const pausedAt = indexOf(f.events, (e) => e.type === 'answer_paused');
    expect(f.events.slice(pausedAt).some((e) => e.type === 'audio' && e.turn === 1)).toBe(false);
  });

  it('commands during warm-up neither crash nor start a turn', async () => {
    const { VoiceEngine } = await import('../../../src-main/engine/core/voice-engine');
    const { resolveConfig } = await import('../../../src-main/shared/config');
    const { fakeStages } = await import('../../fakes/stages');
    const { deferred } = await import('../../fakes/stages');
    const stages = fakeStages();
    const warm = deferred<void>();
    stages.llm.warm = () => warm.promise;
    const engine = new VoiceEngine({ config: resolveConfig({ turn: { mode: 'push-to-talk' } }) });
    const events: EngineEvent[] = [];
    engine.on((e) => events.push(e));
    const ready = engine.load(async () => stages);
    await settle();
    expect(engine.engineState).toBe('warming');
    for (let i = 0; i < 50; i++) {
      engine.handle({ type: 'ptt', pressed: true });
      engine.handle({ type: 'audio', sampleRate: 16000, samples: new Float32Array(512).fill(VOICE) });
      engine.handle({ type: 'ptt', pressed: false });
    }
    engine.handle({ type: 'cancel' });
    engine.handle({ type: 'text_input', text: 'too early' });
    warm.resolve();
    await ready;
    await settle();
    expect(events.filter((e) => e.type === 'error' && e.fatal)).toHaveLength(0);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ code: 'not_ready' });
    expect(events.filter((e) => e.type === 'speech_start' || e.type === 'turn_done')).toHaveLength(0);
    expect(stages.stt.calls).toHaveLength(0);
    await engine.dispose();
  });
});
