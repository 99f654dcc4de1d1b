import { describe, expect, it } from 'vitest';
import { AcousticPath, gaussian, voicedRms } from '../../src-main/tools/converse/acoustics';
import { ScenarioPlayer } from '../../src-main/tools/converse/player';
import { matchedWords, normalizeWords } from '../../src-main/tools/converse/report';
import { locate, wordsIn } from '../../src-main/tools/converse/standin-adapters';
import { MicTimeline } from '../../src-main/tools/converse/runner';
import { trimImpulseResponse } from '../../src-main/tools/converse/scenario';

const noise = (n: number, seed: number, scale = 0.1): Float32Array => {
  const g = gaussian(seed);
  return Float32Array.from({ length: n }, () => scale * g());
};

describe('converse: the acoustic path', () => {
  it('block convolution equals the direct convolution, delayed and scaled', () => {
    const rir = noise(300, 1, 1);
    const played = noise(512 * 6, 2);
    const path = new AcousticPath({ rir, serDb: 0, delayMs: 10, clip: null, noiseDb: null }, 512, 1);
    const out: number[] = [];
    for (let b = 0; b < 8; b++) {
      const block = b < 6 ? played.subarray(b * 512, (b + 1) * 512) : new Float32Array(512);
      out.push(...path.process(Float32Array.from(block)));
    }
    const delay = 160;
    for (const n of [delay, delay + 17, 1000, 2500, 3200]) {
      let direct = 0;
      for (let k = 0; k < rir.length; k++) direct += (rir[k] ?? 0) * (played[n - delay - k] ?? 0);
      expect(out[n]).toBeCloseTo(direct, 3);
    }
    expect(Math.max(...out.slice(0, delay).map(Math.abs))).toBeLessThan(1e-9);
  });

  it('calibration sets the echo to the scenario\'s user-to-echo ratio', () => {
    const rir = trimImpulseResponse(Float32Array.from({ length: 800 }, (_, i) => Math.exp(-i / 100) * (i % 7 === 0 ? 1 : -0.3)));
    const voice = noise(512 * 40, 3, 0.2);
    const userLevel = 0.05;
    const path = new AcousticPath({ rir, serDb: -6, delayMs: 0, clip: 0.25, noiseDb: null }, 512, userLevel);
    path.calibrate(voice);
    const out: number[] = [];
    for (let b = 0; (b + 1) * 512 <= voice.length; b++) out.push(...path.process(voice.slice(b * 512, (b + 1) * 512)));
    const ratioDb = 20 * Math.log10(userLevel / voicedRms(Float32Array.from(out)));
    expect(ratioDb).toBeCloseTo(-6, 0);
  });

  it('noise has the asked RMS', () => {
    const path = new AcousticPath({ rir: Float32Array.of(1), serDb: 0, delayMs: 0, clip: null, noiseDb: -40 }, 512, 0.1);
    const out: number[] = [];
    for (let b = 0; b < 40; b++) out.push(...path.process(new Float32Array(512)));
    const rms = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
    expect(20 * Math.log10(rms)).toBeCloseTo(-40, 0);
  });
});

describe('converse: the player', () => {
  it('reports a turn\'s start and each unit\'s end when its samples are output; a stop drops the turn', () => {
    const player = new ScenarioPlayer();
    player.play(1, 0, new Float32Array(200).fill(0.5), 16000);
    player.play(1, 1, new Float32Array(100).fill(0.5), 16000);
    const a = player.render(new Float32Array(128));
    expect(a.notices).toEqual([{ type: 'started', turn: 1 }]);
    expect(a.audible).toBe(128);
    const b = player.render(new Float32Array(128));
    expect(b.notices).toEqual([{ type: 'unit_done', turn: 1, unit: 0 }]);
    player.stop(1);
    player.play(1, 2, new Float32Array(100), 16000);
    expect(player.render(new Float32Array(128)).audible).toBe(0);
    player.resumeTurn(1);
    player.play(1, 1, new Float32Array(100).fill(0.5), 24000);
    expect(player.buffered).toBe(67);
  });
});

describe('converse: words', () => {
  it('counts each reference word once, in order', () => {
    const ref = normalizeWords('Drop the two, when you add the figures');
    expect(ref).toEqual(['drop', 'the', 'two', 'when', 'you', 'add', 'the', 'figures']);
    const heard = normalizeWords('the two when you add the the figures drop');
    expect(matchedWords(ref, heard).size).toBe(7); // "drop" came last: out of order
  });

  it('the stand-in STT finds transcribed audio on the microphone and deals the words centred in it', () => {
    const mic = new MicTimeline();
    const speech = noise(16000, 5, 0.3);
    const signal = new Float32Array(16000 * 4);
    signal.set(speech, 16000);
    for (let i = 0; i < signal.length; i += 512) mic.append(signal.subarray(i, i + 512));
    mic.words.push(
      { word: 'one', at: 16000 + 4000 },
      { word: 'two', at: 16000 + 12000 },
    );
    // The engine's copy of 1.5 s around the speech's start, slightly quieter (echo-reduced).
    const audio = signal.slice(16000 - 3200, 16000 - 3200 + 24000).map((v) => v * 0.8);
    expect(locate(audio, mic)).toBe(16000 - 3200);
    expect(wordsIn(audio, mic)).toBe('one two');
    expect(wordsIn(signal.slice(16000 + 8000, 16000 + 20000), mic)).toBe('two');
    expect(wordsIn(new Float32Array(8000), mic)).toBe('');
  });
});
