import { describe, expect, it } from 'vitest';
import { voiceOnsetIn } from '../../../src-main/engine/mic/voice-onset';

/** 16 kHz audio from [fromMs, toMs, level] stretches over a noise floor of 1e-4 (-80 dB). */
function audio(lengthMs: number, stretches: Array<[number, number, number]>): Float32Array {
  const out = new Float32Array(lengthMs * 16).fill(1e-4);
  for (const [from, to, level] of stretches) out.fill(level, from * 16, to * 16);
  return out;
}

const options = { floorDb: -80, earliestMs: -Infinity, sampleRate: 16000 };

describe('voiceOnsetIn (the look back in the microphone before the echo guard)', () => {
  it('goes back across pauses between words to where the voice began', () => {
    // Words at 512–1024 and 1216–1536 ms (a 192 ms pause); detected at 1408 ms.
    const mic = audio(2048, [[512, 1024, 0.3], [1216, 1536, 0.3]]);
    expect(voiceOnsetIn(mic, 0, 1408, options)).toBe(512);
  });

  it('stops at a pause longer than one between words, and at the previous utterance', () => {
    const mic = audio(2048, [[128, 512, 0.3], [1024, 1536, 0.3]]);
    expect(voiceOnsetIn(mic, 0, 1408, options)).toBe(1024);
    const close = audio(2048, [[128, 896, 0.3], [1024, 1536, 0.3]]);
    expect(voiceOnsetIn(close, 0, 1408, options)).toBe(128);
    expect(voiceOnsetIn(close, 0, 1408, { ...options, earliestMs: 896 })).toBe(1216);
  });

  it('counts only what stands 10 dB above the noise floor, and places the audio by its start time', () => {
    // A murmur at -60 dB before the voice: noise in a -60 dB room, a voice in a -80 dB one.
    const mic = audio(2048, [[256, 1024, 0.001], [1024, 1536, 0.3]]);
    expect(voiceOnsetIn(mic, 5000, 6408, { ...options, floorDb: -60 })).toBe(6024);
    expect(voiceOnsetIn(mic, 5000, 6408, options)).toBe(5256);
  });
});
