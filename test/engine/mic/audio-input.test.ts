import { describe, expect, it } from 'vitest';
import { AudioInput, type VadWindow } from '../../../src-main/engine/mic/audio-input';
import { resolveConfig } from '../../../src-main/shared/config';
import { readWavAs16kMono } from '../../../src-main/audio/wav';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';

const audioConfig = resolveConfig().audio;

function ramp(length: number, from = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => ((from + i) % 1000) / 1000);
}

describe('AudioInput', () => {
  it('re-frames frames of any length into exact 512-sample windows on a running clock', () => {
    const input = new AudioInput(audioConfig);
    const speech = readWavAs16kMono(sharedPath('speech/jfk.wav')).samples;
    const windows: VadWindow[] = [];
    let offset = 0;
    const sizes = [320, 480, 512, 441, 160, 1000];
    for (let i = 0; offset < speech.length; i++) {
      const size = Math.min(sizes[i % sizes.length] ?? 320, speech.length - offset);
      expect(input.push(speech.subarray(offset, offset + size), 16000).ok).toBe(true);
      offset += size;
      if (i % 3 === 0) windows.push(...input.drain());
    }
    windows.push(...input.drain());
    expect(windows.length).toBe(Math.floor(speech.length / 512));
    windows.forEach((w, i) => {
      expect(w.samples.length).toBe(512);
      expect(w.startMs).toBe(i * 32);
      expect(w.endMs).toBe((i + 1) * 32);
      expect(w.samples).toEqual(speech.subarray(i * 512, (i + 1) * 512));
    });
    expect(input.pendingWindowSamples).toBe(speech.length % 512);
    expect(input.clockMs).toBe(speech.length / 16);
    const loud = windows.reduce((a, b) => (b.rms > a.rms ? b : a));
    expect(loud.rms).toBeGreaterThan(0.1);
    expect(loud.peak).toBeGreaterThanOrEqual(loud.rms);
  });

  it('computes rms and peak per window', () => {
    const input = new AudioInput(audioConfig);
    const frame = new Float32Array(512).map((_, i) => (i % 2 === 0 ? 0.5 : -0.5));
    frame[7] = -0.9;
    input.push(frame, 16000);
    const [w] = [...input.drain()];
    expect(w?.peak).toBeCloseTo(0.9, 6);
    expect(w?.rms).toBeCloseTo(Math.sqrt((511 * 0.25 + 0.81) / 512), 6);
  });

  it('replaces NaN/Inf with 0, clamps to [-1, 1], and counts both', () => {
    const input = new AudioInput(audioConfig);
    const frame = new Float32Array(512).fill(0.25);
    frame[0] = NaN;
    frame[1] = Infinity;
    frame[2] = -Infinity;
    frame[3] = 3;
    frame[4] = -1.5;
    const result = input.push(frame, 16000);
    expect(result).toEqual({ ok: true, nonFinite: 3, clamped: 2, dropped: 0 });
    const [w] = [...input.drain()];
    expect(Array.from(w?.samples.subarray(0, 6) ?? [])).toEqual([0, 0, 0, 1, -1, 0.25]);
    expect(input.stats()).toMatchObject({ nonFiniteSamples: 3, clampedSamples: 2 });
    expect(frame[0]).toBeNaN(); // the caller's frame is not modified
  });

  it('rejects wrong sample rate, empty, oversized and non-Float32 frames with typed errors (no throw)', () => {
    const input = new AudioInput(audioConfig);
    expect(input.push(new Float32Array(480), 48000)).toEqual({
      ok: false,
      error: { code: 'wrong_sample_rate', message: expect.stringMatching(/48000 Hz rejected.*16000 Hz/) },
    });
    expect(input.push(new Float32Array(0), 16000)).toMatchObject({ ok: false, error: { code: 'empty_frame' } });
    expect(input.push(new Float32Array(audioConfig.maxFrameSamples + 1), 16000)).toMatchObject({
      ok: false,
      error: { code: 'frame_too_long', message: expect.stringContaining(`at most ${audioConfig.maxFrameSamples}`) },
    });
    const notFloat = new Int16Array(480) as unknown as Float32Array;
    expect(input.push(notFloat, 16000)).toMatchObject({ ok: false, error: { code: 'not_float32' } });
    expect(input.stats()).toMatchObject({ framesRejected: 4, framesAccepted: 0 });
    expect(input.clockMs).toBe(0);
    expect([...input.drain()]).toEqual([]);
  });

  it('drops the OLDEST frames under overload, counts them, and keeps window times true', () => {
    const input = new AudioInput({ ...audioConfig, inputQueueFrames: 4 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(input.push(ramp(512, i * 512), 16000));
    expect(results.map((r) => (r.ok ? r.dropped : -1))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(input.queuedFrames).toBe(4);
    expect(input.stats()).toMatchObject({ framesDropped: 6, samplesDropped: 6 * 512, framesAccepted: 10 });
    const windows = [...input.drain()];
    // The newest four frames survive, stamped with their real input time (frames 6–9).
    expect(windows.map((w) => w.startMs)).toEqual([6 * 32, 7 * 32, 8 * 32, 9 * 32]);
    expect(windows[0]?.samples).toEqual(ramp(512, 6 * 512));
    expect(input.clockMs).toBe(10 * 32);
  });

  it('discards a partly filled window at a gap left by dropped frames and restarts on the next frame', () => {
    const input = new AudioInput({ ...audioConfig, inputQueueFrames: 4 });
    input.push(ramp(300), 16000);
    expect([...input.drain()]).toEqual([]);
    expect(input.pendingWindowSamples).toBe(300);
    for (let i = 0; i < 6; i++) input.push(ramp(300, 300 + i * 300), 16000); // 2 of these dropped
    const windows = [...input.drain()];
    expect(input.stats().samplesDiscardedAtGaps).toBe(300);
    // Surviving frames start at sample 900: 4 × 300 = 1200 samples → 2 windows + 176 pending.
    expect(windows.map((w) => w.startMs)).toEqual([900 / 16, (900 + 512) / 16]);
    expect(windows[0]?.samples).toEqual(ramp(512, 900));
    expect(input.pendingWindowSamples).toBe(1200 - 1024);
  });

  it('picks up frames pushed while the consumer is between iterations, and clear() keeps the clock', () => {
    const input = new AudioInput(audioConfig);
    input.push(ramp(512), 16000);
    const seen: number[] = [];
    for (const w of input.drain()) {
      seen.push(w.startMs);
      if (seen.length === 1) input.push(ramp(512, 512), 16000);
    }
    expect(seen).toEqual([0, 32]);
    input.push(ramp(200), 16000);
    input.clear();
    expect(input.queuedFrames).toBe(0);
    expect(input.pendingWindowSamples).toBe(0);
    input.push(ramp(512), 16000);
    expect([...input.drain()].map((w) => w.startMs)).toEqual([(1024 + 200) / 16]);
  });
});
