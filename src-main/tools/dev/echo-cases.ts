import { readWavAs16kMono, readWavAsMono } from '../../audio/wav';
import { highPass, lowPass, windowEnergyDb } from '../../audio/speech-extent';
import { RealFft } from '../../engine/mic/echo/fft';
import { sharedPath } from './shared-data';

/**
 * Dev-only: echo test cases for the barge-in path, built in-process from ../shared data.
 *
 *  - the real ICASSP AEC Challenge triple (`echo/`): far end, its device echo, a near-end talker;
 *  - synthetic rooms: an assistant voice (far end) from ../shared/speech through a loudspeaker
 *    model (band-limit, tanh soft clipping), a bulk delay and the measured seminar-room impulse
 *    response (`echo/rir_clap.wav`, resampled to 16 kHz), plus a user (another voice) placed at
 *    chosen times, and a little noise.
 *
 * Every case carries the truth derived from its clean near-end signal: where the user talks.
 */
export interface EchoCase {
  name: string;
  /** What the assistant plays (the reference). */
  far: Float32Array;
  /** What the microphone hears: echo + user + noise. */
  mic: Float32Array;
  /** The user's clean voice alone (the truth is derived from it). */
  near: Float32Array;
  /** The user's speech turns (ms) measured on `near`; empty when the user is silent. */
  turns: SpeechTurn[];
}

export interface SpeechTurn {
  startMs: number;
  endMs: number;
}

export interface RoomOptions {
  /** Bulk delay between the reference and its echo (player + converter latency), ms. */
  delayMs: number;
  /** Echo level relative to the reference (dB) after the room; laptops at high volume: 0…+6. */
  echoGainDb: number;
  /** Loudspeaker drive into the tanh (1 = mild, 4 = hard clipping). */
  drive: number;
  /** Loudspeaker pass band (Hz). */
  lowHz: number;
  highHz: number;
}

export const DEFAULT_ROOM: RoomOptions = { delayMs: 120, echoGainDb: 3, drive: 2.5, lowHz: 250, highHz: 5500 };

const SR = 16000;

function clip(name: string): Float32Array {
  return readWavAs16kMono(sharedPath(`speech/${name}`)).samples;
}

/** The measured room response at 16 kHz, normalized to unit energy. */
export function roomImpulseResponse(): Float32Array {
  const rir = readWavAsMono(sharedPath('echo/rir_clap.wav'), SR).samples;
  let start = 0;
  let peak = 0;
  for (let i = 0; i < rir.length; i++) if (Math.abs(rir[i] ?? 0) > peak) peak = Math.abs(rir[i] ?? 0);
  while (start < rir.length && Math.abs(rir[start] ?? 0) < 0.1 * peak) start++;
  const trimmed = rir.slice(Math.max(0, start - 16));
  let energy = 0;
  for (const v of trimmed) energy += v * v;
  const scale = 1 / Math.sqrt(energy);
  return trimmed.map((v) => v * scale);
}

/** Linear convolution by one large FFT (fine for test-sized signals). */
export function convolve(signal: Float32Array, kernel: Float32Array): Float32Array {
  const outLength = signal.length + kernel.length - 1;
  let size = 4;
  while (size < outLength) size *= 2;
  const fft = new RealFft(size);
  const aRe = new Float64Array(fft.bins), aIm = new Float64Array(fft.bins);
  const bRe = new Float64Array(fft.bins), bIm = new Float64Array(fft.bins);
  fft.forward(signal, aRe, aIm);
  fft.forward(kernel, bRe, bIm);
  for (let k = 0; k < fft.bins; k++) {
    const re = (aRe[k] ?? 0) * (bRe[k] ?? 0) - (aIm[k] ?? 0) * (bIm[k] ?? 0);
    const im = (aRe[k] ?? 0) * (bIm[k] ?? 0) + (aIm[k] ?? 0) * (bRe[k] ?? 0);
    aRe[k] = re;
    aIm[k] = im;
  }
  const out = new Float64Array(size);
  fft.inverse(aRe, aIm, out);
  return Float32Array.from(out.subarray(0, outLength));
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

/** What the microphone hears of `far` through a small loudspeaker, a delay and the room. */
export function echoThroughRoom(far: Float32Array, room: RoomOptions = DEFAULT_ROOM): Float32Array {
  const banded = lowPass(highPass(far, room.lowHz), room.highHz);
  const level = rms(banded) || 1;
  // Soft clipping relative to the signal's own level, so `drive` means the same for any input.
  const driven = banded.map((v) => Math.tanh((room.drive * v) / (4 * level)));
  const delayed = new Float32Array(far.length + Math.round((room.delayMs * SR) / 1000));
  delayed.set(driven, delayed.length - far.length);
  const wet = convolve(delayed, roomImpulseResponse()).subarray(0, far.length);
  const scale = (rms(far) * 10 ** (room.echoGainDb / 20)) / (rms(wet) || 1);
  return wet.map((v) => v * scale);
}

/** Deterministic white noise at `db` dBFS rms. */
export function noise(length: number, db: number, seed = 7): Float32Array {
  let state = seed >>> 0 || 1;
  const amplitude = 10 ** (db / 20) * Math.sqrt(3);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (state / 0x80000000 - 1);
  }
  return out;
}

/** Places clips on a timeline: `[clip, startMs, gainDb]`. */
export function place(lengthMs: number, parts: [Float32Array, number, number][]): Float32Array {
  const out = new Float32Array(Math.round((lengthMs * SR) / 1000));
  for (const [samples, startMs, gainDb] of parts) {
    const at = Math.round((startMs * SR) / 1000);
    const gain = 10 ** (gainDb / 20);
    for (let i = 0; i < samples.length && at + i < out.length; i++) out[at + i] = (out[at + i] ?? 0) + (samples[i] ?? 0) * gain;
  }
  return out;
}

export function mix(...signals: Float32Array[]): Float32Array {
  const length = Math.max(...signals.map((s) => s.length));
  const out = new Float32Array(length);
  for (const s of signals) for (let i = 0; i < s.length; i++) out[i] = (out[i] ?? 0) + (s[i] ?? 0);
  return out;
}

/**
 * The user's speech turns in a clean near-end signal, from energy alone (no VAD): 32 ms windows
 * after a 120 Hz high-pass; voiced = above max(peak − 35 dB, −60 dBFS); runs merged across gaps
 * shorter than `mergeGapMs` (pauses inside a turn); runs shorter than 128 ms (clicks, a lone
 * plosive burst) are ignored.
 */
export function speechTurns(near: Float32Array, mergeGapMs = 500): SpeechTurn[] {
  const db = windowEnergyDb(near);
  if (db.length === 0) return [];
  const peak = Math.max(...db);
  const threshold = Math.max(peak - 35, -60);
  const turns: SpeechTurn[] = [];
  let start = -1;
  for (let i = 0; i <= db.length; i++) {
    const voiced = i < db.length && (db[i] ?? -120) > threshold;
    if (voiced && start < 0) start = i;
    if (!voiced && start >= 0) {
      if (i - start >= 4) turns.push({ startMs: start * 32, endMs: i * 32 });
      start = -1;
    }
  }
  const merged: SpeechTurn[] = [];
  for (const turn of turns) {
    const last = merged[merged.length - 1];
    if (last && turn.startMs - last.endMs < mergeGapMs) last.endMs = turn.endMs;
    else merged.push({ ...turn });
  }
  return merged;
}

function makeCase(name: string, far: Float32Array, echo: Float32Array | undefined, near: Float32Array, noiseDb = -65): EchoCase {
  const length = far.length;
  const nearFitted = near.length === length ? near : place((length * 1000) / SR, [[near, 0, 0]]);
  const parts = [nearFitted, noise(length, noiseDb)];
  if (echo) parts.push(echo.subarray(0, length));
  return { name, far, mic: mix(...parts).subarray(0, length), near: nearFitted, turns: speechTurns(nearFitted) };
}

/** The assistant's voice: two sentences of one reader with a short pause (≈ 13 s). */
export function assistantVoice(pauseMs = 400): Float32Array {
  const a = clip('sense_and_sensibility_01_austen_64kb-0870.wav');
  const b = clip('sense_and_sensibility_01_austen_64kb-0890.wav');
  const aMs = (a.length * 1000) / SR;
  return place(aMs + pauseMs + (b.length * 1000) / SR, [[a, 0, 0], [b, aMs + pauseMs, 0]]);
}

/** The real ICASSP AEC Challenge triple; `withUser: false` leaves the echo alone. */
export function realEchoCase(withUser: boolean): EchoCase {
  const read = (file: string): Float32Array => readWavAs16kMono(sharedPath(`echo/${file}`)).samples;
  const far = read('farend_simple_talk.wav');
  const echo = read('echo_simple_talk.wav');
  const near = withUser ? read('nearend_simple_talk.wav') : new Float32Array(far.length);
  return makeCase(withUser ? 'real simple talk' : 'real echo only', far, echo, near, -90);
}

/** Echo only through a synthetic room: the assistant talks, nobody else does. */
export function echoOnlyCase(room: RoomOptions = DEFAULT_ROOM): EchoCase {
  const far = assistantVoice();
  return makeCase('synthetic echo only', far, echoThroughRoom(far, room), new Float32Array(far.length));
}

/**
 * The user talks over the assistant's speech (double talk), twice: `firstAtMs` into the answer and
 * at 8.2 s, `userGainDb` relative to the clip's own level (the echo is `room.echoGainDb` relative
 * to the assistant's).
 */
export function doubleTalkCase(room: RoomOptions = DEFAULT_ROOM, userGainDb = 0, firstAtMs = 2500): EchoCase {
  const far = assistantVoice();
  const farMs = (far.length * 1000) / SR;
  const near = place(farMs, [[clip('spk1_snt1.wav'), firstAtMs, userGainDb], [clip('goforward.wav'), 8200, userGainDb]]);
  return makeCase('double talk', far, echoThroughRoom(far, room), near);
}

/** Simple talk through the synthetic room: the user speaks in the assistant's pauses. */
export function syntheticRoomCase(room: RoomOptions = DEFAULT_ROOM): EchoCase {
  const a = clip('1089-134686-0000.wav');
  const b = clip('sense_and_sensibility_01_austen_64kb-0880.wav');
  const aMs = (a.length * 1000) / SR;
  const bStart = aMs + 3200;
  const far = place(bStart + (b.length * 1000) / SR + 300, [[a, 0, 0], [b, bStart, 0]]);
  const near = place((far.length * 1000) / SR, [[clip('spk1_snt2.wav'), aMs + 100, 0]]);
  return makeCase('synthetic room simple talk', far, echoThroughRoom(far, room), near);
}

/** Headphones: the assistant plays, nothing of it reaches the mic; the user talks over it. */
export function headphonesCase(): EchoCase {
  const far = assistantVoice();
  const farMs = (far.length * 1000) / SR;
  const near = place(farMs, [[clip('spk1_snt4.wav'), 3000, 0], [clip('cards_002.wav'), 9000, 0]]);
  return makeCase('headphones', far, undefined, near);
}

/** The user starts while the assistant is silent (a long pause in the answer), then keeps talking as it resumes. */
export function userFirstCase(room: RoomOptions = DEFAULT_ROOM): EchoCase {
  const a = clip('sense_and_sensibility_01_austen_64kb-0880.wav');
  const b = clip('sense_and_sensibility_01_austen_64kb-0890.wav');
  const aMs = (a.length * 1000) / SR;
  const bStart = aMs + 2500;
  const far = place(bStart + (b.length * 1000) / SR, [[a, 0, 0], [b, bStart, 0]]);
  const near = place((far.length * 1000) / SR, [[clip('spk1_snt3.wav'), aMs + 1000, 0]]);
  return makeCase('user starts while the assistant is silent', far, echoThroughRoom(far, room), near);
}

export interface CaseScore {
  turns: number;
  detected: number;
  /** Detections outside every user turn (onset − 150 ms … end + 300 ms). */
  falseDetections: number;
  /** Per detected turn: first detection − truth onset (ms). */
  latenciesMs: number[];
  /** Turns with no detection within 600 ms of their onset. */
  missed: number;
}

/** Scores detections against the case's truth: latency per turn, misses (> 600 ms), false detections. */
export function scoreDetections(turns: SpeechTurn[], detectionsMs: number[], limitMs = 600): CaseScore {
  const latencies: number[] = [];
  let missed = 0;
  for (const turn of turns) {
    const first = detectionsMs.find((d) => d >= turn.startMs - 150 && d <= turn.startMs + limitMs);
    if (first === undefined) missed++;
    else latencies.push(Math.max(0, first - turn.startMs));
  }
  const falseDetections = detectionsMs.filter((d) => !turns.some((t) => d >= t.startMs - 150 && d <= t.endMs + 300)).length;
  return { turns: turns.length, detected: latencies.length, falseDetections, latenciesMs: latencies, missed };
}
