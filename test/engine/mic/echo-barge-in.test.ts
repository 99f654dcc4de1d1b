import { describe, expect, it } from 'vitest';
import { BargeInDetector, type BargeInWindow } from '../../../src-main/engine/mic/barge-in';

/** Pure state machine: windows of 32 ms with chosen probabilities and echo shares. */
function windows(spec: [number, number][], startMs = 0): BargeInWindow[] {
  return spec.map(([probability, echoFraction], i) => ({ startMs: startMs + i * 32, endMs: startMs + (i + 1) * 32, probability, echoFraction }));
}

function run(detector: BargeInDetector, list: BargeInWindow[]): { at: number; onsetMs: number }[] {
  const out: { at: number; onsetMs: number }[] = [];
  for (const w of list) {
    const hit = detector.push(w);
    if (hit) out.push({ at: w.endMs, onsetMs: hit.onsetMs });
  }
  return out;
}

const options = { minSpeechMs: 192, threshold: 0.6, maxEchoFraction: 0.9, rearmSilenceMs: 320 };

describe('BargeInDetector', () => {
  it('fires once after sustained unexplained voice and reports the onset of the run', () => {
    const d = new BargeInDetector(options);
    const hits = run(d, windows([...Array(5).fill([0.1, 0]), ...Array(20).fill([0.9, 0.2])]));
    expect(hits).toEqual([{ at: 5 * 32 + 192, onsetMs: 160 }]);
  });

  it('ignores short voice and voice the echo explains', () => {
    const d = new BargeInDetector(options);
    expect(run(d, windows([...Array(5).fill([0.9, 0]), [0.1, 0], [0.1, 0], [0.1, 0], ...Array(30).fill([0.95, 0.97])]))).toEqual([]);
  });

  it('tolerates a one-window dip inside a run but not a long gap', () => {
    const d = new BargeInDetector(options);
    const spec: [number, number][] = [[0.9, 0], [0.9, 0], [0.9, 0], [0.3, 0], [0.9, 0], [0.9, 0], [0.9, 0]];
    expect(run(d, windows(spec))).toEqual([{ at: 7 * 32, onsetMs: 0 }]);
    d.reset();
    const gap: [number, number][] = [[0.9, 0], [0.9, 0], [0.9, 0], [0.1, 0], [0.1, 0], [0.1, 0], [0.9, 0], [0.9, 0]];
    expect(run(d, windows(gap))).toEqual([]);
  });

  it('re-arms only after the user has been quiet for rearmSilenceMs', () => {
    const d = new BargeInDetector(options);
    const talk = Array<[number, number]>(20).fill([0.9, 0]);
    const shortPause = Array<[number, number]>(5).fill([0.1, 0]);
    const longPause = Array<[number, number]>(11).fill([0.1, 0]);
    const hits = run(d, windows([...talk, ...shortPause, ...talk, ...longPause, ...talk]));
    expect(hits.map((h) => h.onsetMs)).toEqual([0, (20 + 5 + 20 + 11) * 32]);
  });

  it('judges echo-free windows with the echo-free threshold', () => {
    const d = new BargeInDetector({ ...options, echoFreeThreshold: 0.5 });
    expect(run(d, windows(Array(10).fill([0.55, 0.05])))).toHaveLength(1);
    const strict = new BargeInDetector({ ...options, echoFreeThreshold: 0.5 });
    expect(run(strict, windows(Array(10).fill([0.55, 0.5])))).toEqual([]);
  });

  it('rejects bad options and windows with clear errors', () => {
    expect(() => new BargeInDetector({ minSpeechMs: -1, threshold: 0.5 })).toThrow(/minSpeechMs/);
    expect(() => new BargeInDetector({ minSpeechMs: 100, threshold: 1.5 })).toThrow(/threshold/);
    expect(() => new BargeInDetector(options).push({ startMs: 10, endMs: 10, probability: 1, echoFraction: 0 })).toThrow(/endMs/);
  });
});
