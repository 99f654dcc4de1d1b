import { describe, expect, it } from 'vitest';
import { readWavAs16kMono } from '../../../src-main/audio/wav';
import { assistantVoice, echoThroughRoom, DEFAULT_ROOM } from '../../../src-main/tools/dev/echo-cases';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';
import { resolveConfig } from '../../../src-main/shared/config';
import { EchoGuard } from '../../../src-main/engine/mic/echo/echo-guard';
import { Fdaf } from '../../../src-main/engine/mic/echo/fdaf';
import { SampleTimeline } from '../../../src-main/engine/mic/echo/timeline';

/** Runs a whole mic signal through a guard in 512-sample windows; returns input and output energy. */
function runGuard(guard: EchoGuard, mic: Float32Array, fromMs = 0): { inDb: number; outDb: number } {
  let inE = 0, outE = 0;
  for (let s = 0; s + 512 <= mic.length; s += 512) {
    const window = mic.subarray(s, s + 512);
    const { samples } = guard.process(window, ((s + 512) * 1000) / 16000);
    if ((s * 1000) / 16000 < fromMs) continue;
    for (let i = 0; i < 512; i++) {
      inE += (window[i] ?? 0) ** 2;
      outE += (samples[i] ?? 0) ** 2;
    }
  }
  return { inDb: 10 * Math.log10(inE + 1e-20), outDb: 10 * Math.log10(outE + 1e-20) };
}

describe('EchoGuard', () => {
  const config = resolveConfig().echo;

  it('finds the bulk delay of a synthetic room for delays across 0–300 ms', () => {
    const far = assistantVoice();
    for (const delayMs of [0, 150, 300]) {
      const guard = new EchoGuard(config);
      guard.addReference(far, 16000, 0);
      runGuard(guard, echoThroughRoom(far, { ...DEFAULT_ROOM, delayMs }));
      const state = guard.state();
      expect(state.delayMeasured, `delay ${delayMs}`).toBe(true);
      // The room's direct path arrives ~1 ms after the impulse response's start.
      expect(Math.abs(state.delayMs - delayMs), `delay ${delayMs} → ${state.delayMs}`).toBeLessThan(8);
    }
  });

  it('finds the delay when the app reports playback 50 ms late (reference placed after the echo)', () => {
    const far = readWavAs16kMono(sharedPath('echo/farend_simple_talk.wav')).samples;
    const echo = readWavAs16kMono(sharedPath('echo/echo_simple_talk.wav')).samples;
    const guard = new EchoGuard(config);
    guard.addReference(far, 16000, 50);
    runGuard(guard, echo);
    // True path ≈ 29 ms; the reference claims +50 ms, so the echo leads it by ≈ 21 ms.
    expect(guard.state().delayMs).toBeGreaterThan(-30);
    expect(guard.state().delayMs).toBeLessThan(-10);
  });

  it('removes most of the real device echo (ICASSP AEC Challenge recording)', () => {
    const far = readWavAs16kMono(sharedPath('echo/farend_simple_talk.wav')).samples;
    const echo = readWavAs16kMono(sharedPath('echo/echo_simple_talk.wav')).samples;
    const guard = new EchoGuard(config);
    guard.addReference(far, 16000, 0);
    const { inDb, outDb } = runGuard(guard, echo);
    expect(inDb - outDb).toBeGreaterThan(15);
  });

  it("keeps the next answer's (or unit's) echo out when its reference is placed a few ms differently", () => {
    // Every answer is placed on the input clock afresh (from the player's report, within a frame):
    // a path learned during one answer is misaligned by a few ms for the next, and a misaligned
    // filter adds echo instead of removing it. The second answer's first 500 ms must be cleaned
    // nearly as well as the first answer's, when nothing had been learned (it was 18 dB worse).
    // After 2 s of silence the guard has gone back to pass-through; after 300 ms (a unit the
    // player started late, its queue having run dry) it is still cleaning.
    const far = assistantVoice();
    const echo = echoThroughRoom(far);
    for (const [gapMs, offsetMs] of [[2000, -9], [2000, 12], [300, -9], [300, 12]] as const) {
      const secondAt = Math.ceil((far.length + gapMs * 16) / 512) * 512;
      const secondAtMs = (secondAt * 1000) / 16000;
      const mic = new Float32Array(secondAt + far.length);
      mic.set(echo, 0);
      mic.set(echo, secondAt);
      const guard = new EchoGuard(config);
      guard.addReference(far, 16000, 0);
      const energy = { first: { in: 0, out: 0 }, second: { in: 0, out: 0 } };
      for (let s = 0; s + 512 <= mic.length; s += 512) {
        // The second answer's reference arrives as its playback starts (the player's report).
        if (s === secondAt - 512) guard.addReference(far, 16000, secondAtMs + offsetMs);
        const window = mic.subarray(s, s + 512);
        const { samples, lagMs } = guard.process(window, ((s + 512) * 1000) / 16000);
        // What the VAD sees of each answer's first 500 ms (the output lags by `lagMs`).
        const heard = s - Math.round((lagMs * 16000) / 1000);
        const answer = heard >= 0 && heard < 8000 ? energy.first : heard >= secondAt && heard < secondAt + 8000 ? energy.second : undefined;
        if (!answer) continue;
        for (let i = 0; i < 512; i++) {
          answer.in += (mic[heard + i] ?? 0) ** 2;
          answer.out += (samples[i] ?? 0) ** 2;
        }
      }
      const reductionDb = (e: { in: number; out: number }): number => 10 * Math.log10(e.in / (e.out + 1e-20));
      const first = reductionDb(energy.first);
      const second = reductionDb(energy.second);
      expect(second, `${gapMs} ms later, reference ${offsetMs} ms off: second answer ${second.toFixed(1)} dB, first ${first.toFixed(1)} dB`).toBeGreaterThan(first - 5);
    }
  });

  it('accepts the reference at the player rate (24 kHz) and resamples it', () => {
    const far16 = assistantVoice();
    const far24 = new Float32Array(Math.round((far16.length * 3) / 2));
    for (let i = 0; i < far24.length; i++) far24[i] = far16[Math.floor((i * 2) / 3)] ?? 0;
    const guard = new EchoGuard(config);
    guard.addReference(far24, 24000, 0);
    const { inDb, outDb } = runGuard(guard, echoThroughRoom(far16));
    expect(guard.state().delayMeasured).toBe(true);
    expect(inDb - outDb).toBeGreaterThan(10);
  });

  it('on headphones (no echo) learns that nothing comes back and passes the user through', () => {
    const far = assistantVoice();
    const user = readWavAs16kMono(sharedPath('speech/spk1_snt1.wav')).samples;
    const mic = new Float32Array(far.length);
    mic.set(user, 5 * 16000);
    const guard = new EchoGuard(config);
    guard.addReference(far, 16000, 0);
    const { inDb, outDb } = runGuard(guard, mic, 4000);
    expect(guard.state().echoPresence).toBe(0);
    expect(inDb - outDb).toBeLessThan(3);
  });

  it('says when the microphone shows no echo path (and never with one), and keeps the unguarded microphone', () => {
    const far = assistantVoice();
    const user = readWavAs16kMono(sharedPath('speech/spk1_snt1.wav')).samples;
    const headphones = new Float32Array(far.length);
    headphones.set(user.subarray(0, Math.min(user.length, far.length)));
    const absentSince = (mic: Float32Array): { guard: EchoGuard; firstAbsentMs: number | undefined } => {
      const guard = new EchoGuard(config);
      guard.addReference(far, 16000, 0);
      let firstAbsentMs: number | undefined;
      for (let s = 0; s + 512 <= mic.length; s += 512) {
        const endMs = ((s + 512) * 1000) / 16000;
        if (guard.process(mic.subarray(s, s + 512), endMs).echoPathAbsent) firstAbsentMs ??= endMs;
      }
      return { guard, firstAbsentMs };
    };
    const onHeadphones = absentSince(headphones);
    // The user talks from the first sample of the answer: known within about 1.5 s of playback.
    expect(onHeadphones.firstAbsentMs).toBeDefined();
    expect(onHeadphones.firstAbsentMs!).toBeLessThan(1500);
    // What the guard heard, before it: the last seconds, sample for sample.
    const endMs = Math.floor(headphones.length / 512) * 32;
    expect(Array.from(onHeadphones.guard.microphone(endMs - 2000, endMs))).toEqual(Array.from(headphones.subarray((endMs - 2000) * 16, endMs * 16)));
    expect(absentSince(echoThroughRoom(far)).firstAbsentMs).toBeUndefined();
  });

  it('passes the microphone through with no lag while nothing played can be heard', () => {
    const guard = new EchoGuard(config);
    const mic = readWavAs16kMono(sharedPath('speech/spk1_snt1.wav')).samples;
    for (let s = 0; s + 512 <= 16000; s += 512) {
      const window = mic.subarray(s, s + 512);
      const out = guard.process(window, ((s + 512) * 1000) / 16000);
      expect(out.lagMs).toBe(0);
      expect(out.echoFraction).toBe(0);
      expect(Array.from(out.samples)).toEqual(Array.from(window));
    }
  });

  it('switches to cleaning when a reference can be heard, and back to pass-through only when it is out of reach and quiet', () => {
    const guard = new EchoGuard(config);
    const mic = readWavAs16kMono(sharedPath('speech/jfk.wav')).samples.subarray(0, 4 * 16000);
    const windows = Math.floor(mic.length / 512);
    const stream: { startMs: number; samples: Float32Array; lagMs: number }[] = [];
    // A silent reference (nothing audible to remove) from 1.0 s to 1.5 s on the input clock.
    const referenceAt = 32 * 31;
    for (let w = 0; w < windows; w++) {
      const endMs = ((w + 1) * 512 * 1000) / 16000;
      if (endMs === referenceAt) guard.addReference(new Float32Array(8000), 16000, referenceAt);
      const out = guard.process(mic.subarray(w * 512, (w + 1) * 512), endMs, { quiet: endMs > 3000 });
      stream.push({ startMs: endMs - 32 - out.lagMs, samples: out.samples, lagMs: out.lagMs });
    }
    const lags = stream.map((s) => s.lagMs);
    const firstCleaning = lags.indexOf(guard.latencyMs);
    // The reference was added just before the window ending at its start: that window is cleaned.
    expect(stream[firstCleaning]?.startMs).toBe(referenceAt - 32 - guard.latencyMs);
    // Cleaning lasts until the reference (ends at 1.5 s) is out of the echo's reach (≈ 2.4 s), and
    // the 16 ms it skips are silence (the caller only reports quiet from 3 s on).
    const backToPassing = lags.indexOf(0, firstCleaning);
    const switchAt = stream[backToPassing]?.startMs ?? Number.NaN;
    expect(switchAt).toBeGreaterThanOrEqual(1500 + config.maxDelayMs + config.filterMs);
    expect(switchAt).toBeLessThan(3000);
    const skipped = mic.subarray(Math.round((switchAt - 16) * 16), Math.round(switchAt * 16));
    expect(skipped.reduce((sum, v) => sum + v * v, 0) / skipped.length).toBeLessThan(1e-4);
    expect(lags.slice(backToPassing).every((lag) => lag === 0)).toBe(true);
    // With nothing to remove, every window holds the microphone's own samples at its place on the clock
    // (the first cleaned window repeats the 16 ms already passed; the switch back skips 16 ms).
    for (const { startMs, samples } of stream) {
      const from = Math.round(startMs * 16);
      for (let i = 0; i < samples.length; i += 7) expect(samples[i] ?? 0).toBeCloseTo(mic[from + i] ?? 0, 4);
    }
  });

  it('without silence to skip, stays cleaning until the caller reports quiet', () => {
    const guard = new EchoGuard(config);
    guard.addReference(new Float32Array(8000), 16000, 0);
    let noise = 12345;
    const loud = (): Float32Array => Float32Array.from({ length: 512 }, () => ((noise = (noise * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 0.5);
    const lags: number[] = [];
    for (let w = 0; w < 100; w++) {
      const endMs = (w + 1) * 32;
      lags.push(guard.process(loud(), endMs, { quiet: endMs > 2500 }).lagMs);
    }
    expect(lags.indexOf(0)).toBe(Math.floor(2500 / 32)); // the first window ending after 2.5 s
  });

  it('passes audio untouched when disabled, and rejects bad input clearly', () => {
    const guard = new EchoGuard({ ...config, enabled: false });
    const window = new Float32Array(512).fill(0.1);
    const out = guard.process(window, 32);
    expect(Array.from(out.samples)).toEqual(Array.from(window));
    expect(out.echoFraction).toBe(0);
    const on = new EchoGuard(config);
    expect(() => on.addReference(new Float32Array(10), 0, 0)).toThrow(/sample rate/);
    expect(() => on.addReference(new Float32Array(10), 16000, Number.NaN)).toThrow(/start time/);
    expect(() => on.process(new Float32Array(512), Number.POSITIVE_INFINITY)).toThrow(/end time/);
    expect(() => new EchoGuard({ ...config, minDelayMs: 0, maxDelayMs: 0 })).toThrow(/maxDelayMs/);
  });
});

describe('SampleTimeline', () => {
  it('reads written stretches by absolute index, silence in gaps and outside', () => {
    const t = new SampleTimeline(16);
    t.write(Float32Array.from([1, 2, 3]), 5);
    t.write(Float32Array.from([4]), 10);
    const out = new Float32Array(8);
    t.read(4, out);
    expect(Array.from(out)).toEqual([0, 1, 2, 3, 0, 0, 4, 0]);
    t.write(new Float32Array(20).fill(9), 30);
    expect(t.at(10)).toBe(0);
    expect(t.at(49)).toBe(9);
    expect(t.at(33)).toBe(0);
  });
});

describe('Fdaf.shiftTaps', () => {
  it('moves a learned echo path: the shifted filter cancels the echo at the new delay from its first block', () => {
    const b = 256;
    const noise = (n: number, seed: number): Float64Array => {
      let state = seed;
      return Float64Array.from({ length: n }, () => {
        state = (state * 1664525 + 1013904223) >>> 0;
        return state / 2 ** 32 - 0.5;
      });
    };
    const reference = noise(b * 400, 7);
    const echoAt = (delay: number, i: number): number => 0.5 * (reference[i - delay] ?? 0) + 0.2 * (reference[i - delay - 40] ?? 0);
    const run = (fdaf: Fdaf, delay: number, from: number, blocks: number): number => {
      let mic = 0, error = 0;
      for (let k = from; k < from + blocks; k++) {
        const ref = reference.subarray(k * b, (k + 1) * b);
        const echo = Float64Array.from({ length: b }, (_, i) => echoAt(delay, k * b + i));
        const out = fdaf.process(ref, echo);
        for (let i = 0; i < b; i++) {
          mic += (echo[i] ?? 0) ** 2;
          error += (out.error[i] ?? 0) ** 2;
        }
      }
      return 10 * Math.log10(mic / (error + 1e-20));
    };
    const learned = new Fdaf({ blockSamples: b, partitions: 4, step: 0.5 });
    run(learned, 100, 0, 200);
    expect(run(learned, 100, 200, 20)).toBeGreaterThan(25);
    // The reference is now placed 130 samples earlier against the microphone: the echo comes later.
    // Adaptation cannot help within three blocks; the moved path must cancel at once.
    learned.shiftTaps(130);
    expect(run(learned, 230, 220, 3)).toBeGreaterThan(20);
    const unshifted = new Fdaf({ blockSamples: b, partitions: 4, step: 0.5 });
    run(unshifted, 100, 0, 220);
    expect(run(unshifted, 230, 220, 3)).toBeLessThan(5);
  });
});
