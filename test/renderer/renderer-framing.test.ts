import { describe, expect, it } from 'vitest';
import { decodeAudioFrame, decodeMicFrame, encodeAudioFrame, encodeMicFrame, MAX_AUDIO_HEADER_BYTES } from '../../src-main/shared/framing';

describe('web-mode audio framing', () => {
  it('round-trips a mic frame, also from an unaligned Node Buffer', () => {
    const samples = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i / 10));
    const encoded = encodeMicFrame(samples);
    expect(encoded.byteLength).toBe(2048);
    expect(Array.from(decodeMicFrame(encoded))).toEqual(Array.from(samples));
    const unaligned = Buffer.concat([Buffer.from([0]), Buffer.from(encoded)]).subarray(1);
    expect(unaligned.byteOffset % 4).not.toBe(0);
    expect(Array.from(decodeMicFrame(unaligned))).toEqual(Array.from(samples));
  });

  it('rejects malformed mic frames with a clear error', () => {
    expect(() => decodeMicFrame(new Uint8Array(0))).toThrow(/empty/);
    expect(() => decodeMicFrame(new Uint8Array(6))).toThrow(/whole number of Float32/);
    expect(() => decodeMicFrame(new Float32Array(20000))).toThrow(/exceeds the limit/);
  });

  it('round-trips an audio event with its header, samples 4-byte aligned', () => {
    const samples = Float32Array.from({ length: 2400 }, (_, i) => (i % 7) / 7 - 0.5);
    const encoded = encodeAudioFrame({ type: 'audio', turn: 12, unit: 3, t: 4567.25, sampleRate: 24000, samples });
    const headerLength = new DataView(encoded).getUint32(0, true);
    expect((4 + headerLength) % 4).toBe(0);
    const decoded = decodeAudioFrame(Buffer.from(encoded));
    expect(decoded).toMatchObject({ type: 'audio', turn: 12, unit: 3, t: 4567.25, sampleRate: 24000 });
    expect(Array.from(decoded.samples)).toEqual(Array.from(samples));
  });

  it('rejects malformed audio frames with a clear error', () => {
    expect(() => decodeAudioFrame(new Uint8Array(2))).toThrow(/shorter than/);
    const huge = new Uint8Array(8);
    new DataView(huge.buffer).setUint32(0, MAX_AUDIO_HEADER_BYTES + 1, true);
    expect(() => decodeAudioFrame(huge)).toThrow(/bad header length/);
    const bad = new TextEncoder().encode('{"type":"text"}  ');
    const msg = new Uint8Array(4 + bad.length);
    new DataView(msg.buffer).setUint32(0, bad.length, true);
    msg.set(bad, 4);
    expect(() => decodeAudioFrame(msg)).toThrow(/header must be/);
  });
});
