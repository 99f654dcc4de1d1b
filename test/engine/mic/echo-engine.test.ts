import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavAs16kMono, resample } from '../../../src-main/audio/wav';
import { SileroVad } from '../../../src-main/engine/stages/vad/silero-vad';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';
import { fakeEngine, FRAME, FRAME_MS, settle, type FakeEngine } from '../../fakes/harness';

/**
 * The echo guard on the engine's microphone path, end to end through the engine: the REAL Silero
 * VAD; FAKE LLM/STT; a FAKE TTS whose "voice" is a real speech recording
 * and a simulated loudspeaker + room: every unit the engine hands to the player is played on
 * the input clock from the player's `playback_started` report, and comes back into the microphone
 * delayed, scaled, with one reflection and soft clipping. The mic frames are fed on a manual clock.
 */

const SR = 16000;
const OUT_SR = 24000;
const ECHO_DELAY_SAMPLES = Math.round(0.12 * SR);
const REFLECTION_SAMPLES = Math.round(0.011 * SR);
const UNIT_SECONDS = 1.6;

let vad: SileroVad;
let assistantVoice: Float32Array;

beforeAll(async () => {
  vad = await SileroVad.load({ threads: 1 });
  assistantVoice = readWavAs16kMono(sharedPath('speech/sense_and_sensibility_01_austen_64kb-0870.wav')).samples;
});
afterAll(async () => {
  await vad.dispose();
});

interface Scene {
  f: FakeEngine;
  /** What the loudspeaker plays, indexed by input-clock sample. */
  speaker: Float32Array;
  pushed: number;
}

async function scene(echoEnabled: boolean): Promise<Scene> {
  // The real VAD replaces the fake one before the engine loads its stage set.
  const f = await fakeEngine(
    { echo: { enabled: echoEnabled }, turn: { speculative: false } },
    { withStages: (stages) => (stages.vad = vad as unknown as typeof stages.vad) },
  );
  vad.reset();
  f.stages.stt.auto = () => 'stop';
  f.stages.llm.auto = ['Sure, ', 'the first part is here. ', 'And then ', 'a second sentence follows. ', 'Bye now.'];
  let unitIndex = 0;
  f.stages.tts.synthesize = (): Promise<Float32Array> => {
    const length = Math.round(UNIT_SECONDS * SR);
    const from = (unitIndex++ * length) % (assistantVoice.length - length);
    return Promise.resolve(resample(assistantVoice.subarray(from, from + length), SR, OUT_SR));
  };
  const s: Scene = { f, speaker: new Float32Array(SR * 30), pushed: 0 };
  // The player: plays each unit after the previous one, from its playback start; reports as it goes.
  let playhead: number | undefined;
  let playingTurn: number | undefined;
  const unitEnds: Array<{ turn: number; unit: number; end: number }> = [];
  f.engine.on((event) => {
    if (event.type === 'audio') {
      if (playhead === undefined || playingTurn !== event.turn) {
        playingTurn = event.turn;
        playhead = Math.max(playhead ?? 0, s.pushed);
        f.engine.handle({ type: 'playback_started', turn: event.turn });
      }
      const at16k = resample(event.samples, event.sampleRate, SR);
      s.speaker.set(at16k.subarray(0, Math.max(0, s.speaker.length - playhead)), playhead);
      playhead += at16k.length;
      unitEnds.push({ turn: event.turn, unit: event.unit, end: playhead });
    }
    if (event.type === 'answer_paused' || event.type === 'cancelled') {
      // The player drops its queue: nothing after now is heard.
      s.speaker.fill(0, s.pushed);
      unitEnds.length = 0;
      playhead = undefined;
    }
  });
  (s as Scene & { unitEnds: typeof unitEnds }).unitEnds = unitEnds;
  return s;
}

/** Feeds `ms` of microphone: the room's echo of what the speaker plays. */
async function feed(s: Scene, ms: number): Promise<void> {
  const unitEnds = (s as Scene & { unitEnds: Array<{ turn: number; unit: number; end: number }> }).unitEnds;
  for (let elapsed = 0; elapsed < ms; elapsed += FRAME_MS) {
    const frame = new Float32Array(FRAME);
    for (let i = 0; i < FRAME; i++) {
      const n = s.pushed + i;
      const direct = n >= ECHO_DELAY_SAMPLES ? (s.speaker[n - ECHO_DELAY_SAMPLES] ?? 0) : 0;
      const reflected = n >= ECHO_DELAY_SAMPLES + REFLECTION_SAMPLES ? (s.speaker[n - ECHO_DELAY_SAMPLES - REFLECTION_SAMPLES] ?? 0) : 0;
      frame[i] = Math.tanh(1.5 * (0.6 * direct + 0.25 * reflected)) * 0.7;
    }
    s.f.clock.advance(FRAME_MS);
    s.f.engine.handle({ type: 'audio', sampleRate: SR, samples: frame });
    s.pushed += FRAME;
    // The real VAD runs on onnxruntime's threads: wait until the engine has taken the window.
    while (s.f.engine.inputBacklog > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await settle(2);
    while (unitEnds[0] && unitEnds[0].end <= s.pushed) {
      const done = unitEnds.shift() as { turn: number; unit: number };
      s.f.engine.handle({ type: 'unit_played', turn: done.turn, unit: done.unit });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  await settle();
}

async function answerOverSpeakers(s: Scene): Promise<void> {
  await feed(s, 320);
  s.f.engine.handle({ type: 'text_input', text: 'tell me something' });
  await settle();
}

describe('echo guard on the engine microphone path (real Silero VAD, simulated loud speakers)', () => {
  it('control: without the guard, the answer’s own echo interrupts it (the scene is a real echo)', async () => {
    const s = await scene(false);
    await answerOverSpeakers(s);
    await feed(s, 4000);
    expect(s.f.of('barge_in').length).toBeGreaterThan(0);
    await s.f.engine.dispose();
  }, 60_000);

  it('echo alone never barges in: the answer plays to its end', async () => {
    const s = await scene(true);
    await answerOverSpeakers(s);
    const units = s.f.of('audio').length;
    expect(units).toBeGreaterThan(1);
    await feed(s, (units * UNIT_SECONDS + 1) * 1000);
    expect(s.f.of('barge_in')).toEqual([]);
    expect(s.f.of('speech_start')).toEqual([]);
    const done = s.f.of('turn_done');
    expect(done).toHaveLength(1);
    expect(done[0]?.interrupted).toBe(false);
    await s.f.engine.dispose();
  }, 60_000);
});
