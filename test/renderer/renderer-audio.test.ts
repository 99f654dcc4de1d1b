import { describe, expect, it } from 'vitest';
import { FrameAccumulator, StreamingResampler } from '../../src-renderer/src/audio/resample';
import { PlaybackRing } from '../../src-main/shared/playback-ring';

function sine(freq: number, rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.sin((2 * Math.PI * freq * i) / rate));
}

function rms(x: Float32Array): number {
  return Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
}

/** Runs `input` through the resampler in 128-sample render quanta, like the worklet does. */
function resampleInQuanta(r: StreamingResampler, input: Float32Array): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += 128) parts.push(r.process(input.subarray(i, i + 128)));
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('mic resampler (worklet)', () => {
  it('48 kHz → 16 kHz keeps speech-band tones and the sample count', () => {
    const out = resampleInQuanta(new StreamingResampler(48000, 16000), sine(440, 48000, 1));
    expect(Math.abs(out.length - 16000)).toBeLessThanOrEqual(2);
    expect(rms(out.subarray(100))).toBeCloseTo(Math.SQRT1_2, 1);
  });

  it('attenuates tones above the new Nyquist (anti-aliasing)', () => {
    const out = resampleInQuanta(new StreamingResampler(48000, 16000), sine(12000, 48000, 0.5));
    expect(rms(out.subarray(100))).toBeLessThan(0.05);
  });

  it('44.1 kHz → 16 kHz is seamless across render quanta', () => {
    const input = sine(300, 44100, 0.5);
    const out = resampleInQuanta(new StreamingResampler(44100, 16000), input);
    let maxJump = 0;
    for (let i = 200; i < out.length; i++) maxJump = Math.max(maxJump, Math.abs(out[i]! - out[i - 1]!));
    // A 300 Hz sine at 16 kHz moves at most 2π·300/16000 ≈ 0.118 per sample.
    expect(maxJump).toBeLessThan(0.13);
  });

  it('frames into 512-sample buffers', () => {
    const acc = new FrameAccumulator(512);
    expect(acc.push(new Float32Array(300))).toHaveLength(0);
    const frames = acc.push(new Float32Array(800));
    expect(frames.map((f) => f.length)).toEqual([512, 512]);
    expect(frames[0]!.buffer).not.toBe(frames[1]!.buffer);
  });
});

describe('playback ring (worklet)', () => {
  it('reports the first sample of a turn and the end of each unit', () => {
    const ring = new PlaybackRing(1000);
    ring.push(1, 0, new Float32Array(200).fill(0.5));
    ring.push(1, 0, new Float32Array(100).fill(0.5)); // same unit, second chunk
    ring.push(1, 1, new Float32Array(100).fill(0.25));
    const out = new Float32Array(128);
    expect(ring.render(out)).toEqual([{ type: 'started', turn: 1 }]);
    expect(out[0]).toBe(0.5);
    expect(ring.render(out)).toEqual([]);
    expect(ring.render(out)).toEqual([{ type: 'unit_done', turn: 1, unit: 0 }]);
    expect(ring.render(out)).toEqual([{ type: 'unit_done', turn: 1, unit: 1 }]);
    expect(out[out.length - 1]).toBe(0); // silence after the queue ran dry
  });

  it('flushes at once (barge-in) and starts clean for the next turn', () => {
    const ring = new PlaybackRing(1000);
    ring.push(2, 0, new Float32Array(900).fill(1));
    const out = new Float32Array(128);
    ring.render(out);
    ring.flush();
    expect(ring.buffered).toBe(0);
    ring.render(out);
    expect(out.every((v) => v === 0)).toBe(true);
    ring.push(3, 0, new Float32Array(10).fill(1));
    expect(ring.render(out)).toEqual([
      { type: 'started', turn: 3 },
      { type: 'unit_done', turn: 3, unit: 0 },
    ]);
  });

  it('wraps around and reports overflow instead of growing', () => {
    const ring = new PlaybackRing(256);
    const out = new Float32Array(128);
    ring.push(1, 0, Float32Array.from({ length: 200 }, (_, i) => i));
    ring.render(out);
    ring.push(1, 0, Float32Array.from({ length: 150 }, (_, i) => 1000 + i));
    ring.render(out);
    expect(out[0]).toBe(128);
    expect(out[72]).toBe(1000);
    expect(ring.buffered).toBe(94);
    expect(ring.push(1, 1, new Float32Array(500))).toEqual([{ type: 'overflow', dropped: 500 - (256 - 94) }]);
    expect(ring.buffered).toBe(256);
  });
});
