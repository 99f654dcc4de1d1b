import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEchoCheck } from '../../../src-main/tools/cli/echo-check-run';
import {
  DEFAULT_ROOM,
  doubleTalkCase,
  echoOnlyCase,
  headphonesCase,
  realEchoCase,
  scoreDetections,
  syntheticRoomCase,
  userFirstCase,
  type EchoCase,
} from '../../../src-main/tools/dev/echo-cases';
import { resolveConfig } from '../../../src-main/shared/config';
import { SileroVad } from '../../../src-main/engine/stages/vad/silero-vad';

/**
 * The barge-in decision path the app runs (EchoGuard → real Silero VAD → BargeInDetector), fed
 * with real device echo (ICASSP AEC Challenge) and rooms built from ../shared/speech through the
 * measured room response with loudspeaker distortion. Truth comes from the clean near-end signal
 * (energy, no VAD): every user turn must be detected within 600 ms of its onset, nothing else.
 */
let vad: SileroVad;
beforeAll(async () => {
  vad = await SileroVad.load({ threads: 1 });
});
afterAll(async () => {
  await vad.dispose();
});

async function check(c: EchoCase, echo: Partial<ReturnType<typeof resolveConfig>['echo']> = {}) {
  const result = await runEchoCheck({ far: c.far, mic: c.mic, vad, config: resolveConfig({ echo }) });
  return { result, score: scoreDetections(c.turns, result.detections_ms) };
}

describe('echo-safe barge-in', () => {
  it('echo only, real device recording: no interruption', async () => {
    const { result } = await check(realEchoCase(false));
    expect(result.detections_ms).toEqual([]);
    expect(result.far_ms).toBe(21509);
  });

  it('echo only, synthetic room with loudspeaker distortion: no interruption', async () => {
    const { result } = await check(echoOnlyCase());
    expect(result.detections_ms).toEqual([]);
  });

  it('echo only in other rooms (delay 0–300 ms, echo −6…+6 dB, mild to hard clipping): no interruption', async () => {
    const rooms = [
      { delayMs: 0, echoGainDb: 6, drive: 4 },
      { delayMs: 300, echoGainDb: 0, drive: 1 },
      { delayMs: 60, echoGainDb: -6, drive: 1.5 },
      { delayMs: 220, echoGainDb: 3, drive: 3 },
      { delayMs: 150, echoGainDb: 6, drive: 1 },
    ];
    for (const room of rooms) {
      const { result } = await check(echoOnlyCase({ ...DEFAULT_ROOM, ...room }));
      expect(result.detections_ms, JSON.stringify(room)).toEqual([]);
    }
  });

  it('simple talk (real): every user turn detected within 600 ms, nothing else', async () => {
    const c = realEchoCase(true);
    const { score, result } = await check(c);
    expect(c.turns.length).toBe(4);
    expect(score, JSON.stringify(result.detections_ms)).toMatchObject({ missed: 0, falseDetections: 0, detected: 4 });
    expect(result.detections_ms).toHaveLength(4);
    for (const latency of score.latenciesMs) expect(latency).toBeLessThanOrEqual(600);
  });

  it('double talk: the user talks over the assistant (raising their voice by 6 dB, as people do to interrupt)', async () => {
    // At the clip's own level, over +3 dB of distorted echo, the first interruption (2.5 s into an
    // answer in a room the guard has never heard) comes late: see docs/RELIABILITY.md.
    const c = doubleTalkCase(undefined, 6);
    const { score, result } = await check(c);
    expect(c.turns.length).toBe(2);
    expect(score, JSON.stringify(result.detections_ms)).toMatchObject({ missed: 0, falseDetections: 0, detected: 2 });
  });

  it('synthetic room: the user talks in the assistant’s pause', async () => {
    const c = syntheticRoomCase();
    const { score, result } = await check(c);
    expect(c.turns.length).toBe(1);
    expect(score, JSON.stringify(result.detections_ms)).toMatchObject({ missed: 0, falseDetections: 0, detected: 1 });
  });

  it('headphones (no echo): detected with the guard on, and with it off', async () => {
    const c = headphonesCase();
    for (const enabled of [true, false]) {
      const { score, result } = await check(c, { enabled });
      expect(score, `${enabled} ${JSON.stringify(result.detections_ms)}`).toMatchObject({ missed: 0, falseDetections: 0, detected: 2 });
    }
  });

  it('the user starts while the assistant is silent and goes on as it resumes', async () => {
    const c = userFirstCase();
    const { score, result } = await check(c);
    expect(score, JSON.stringify(result.detections_ms)).toMatchObject({ missed: 0, falseDetections: 0, detected: 1 });
  });

  it('without the guard, loud speakers interrupt the assistant (the check can fail)', async () => {
    const { result } = await check(realEchoCase(false), { enabled: false });
    expect(result.detections_ms.length).toBeGreaterThan(0);
  });
});
