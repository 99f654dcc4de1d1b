/**
 * Where speech is in a recording, measured from the audio itself (not from any VAD): the
 * benchmark's "last voiced sample" and the VAD tests' ground truth.
 *
 *  - 2nd-order Butterworth high-pass at 120 Hz first (some clips carry sub-audible thumps/rumble);
 *  - energy per 32 ms window; voiced = energy > max(peak − 35 dB, noise floor + 8 dB), floor = 10th percentile;
 *  - runs merged across gaps of ≤ 64 ms (stop closures); runs shorter than 128 ms are blips, ignored.
 */

/** Clips of ../shared/speech whose tail is loud non-speech (jfk.wav ends with applause from ~10.7 s). */
export const KNOWN_NON_SPEECH_AFTER_MS: Record<string, number> = { 'jfk.wav': 10600 };
/** spk1_snt5.wav: the final /k/ release of "WEEK" follows a 96 ms closure that the blip rule drops. */
export const HAND_LABELLED_END_MS: Record<string, number> = { 'spk1_snt5.wav': 2560 };

type Biquad = [b0: number, b1: number, b2: number, a0: number, a1: number, a2: number];

/** RBJ-cookbook second-order filter, run over `x`. */
function biquad(x: Float32Array, [b0, b1, b2, a0, a1, a2]: Biquad): Float32Array {
  const y = new Float32Array(x.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] ?? 0;
    const out = (b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1; x1 = v; y2 = y1; y1 = out;
    y[i] = out;
  }
  return y;
}

function butterworthTerms(cutoffHz: number, sampleRate: number): { cos: number; alpha: number } {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRate;
  return { cos: Math.cos(w0), alpha: Math.sin(w0) / (2 * Math.SQRT1_2) };
}

export function highPass(x: Float32Array, cutoffHz: number, sampleRate = 16000): Float32Array {
  const { cos, alpha } = butterworthTerms(cutoffHz, sampleRate);
  return biquad(x, [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]);
}

export function lowPass(x: Float32Array, cutoffHz: number, sampleRate = 16000): Float32Array {
  const { cos, alpha } = butterworthTerms(cutoffHz, sampleRate);
  return biquad(x, [(1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]);
}

/** Energy (dB) of each whole 512-sample (32 ms) window, after a 120 Hz high-pass (rumble, DC). */
export function windowEnergyDb(samples: Float32Array): number[] {
  const filtered = highPass(samples, 120);
  const win = 512;
  const db: number[] = [];
  for (let i = 0; i + win <= filtered.length; i += win) {
    let e = 0;
    for (let j = i; j < i + win; j++) e += (filtered[j] ?? 0) ** 2;
    db.push(10 * Math.log10(e / win + 1e-12));
  }
  return db;
}

export function energyTruth(samples: Float32Array, nonSpeechAfterMs = Infinity): { startMs: number; endMs: number } {
  const db = windowEnergyDb(samples);
  const peak = Math.max(...db);
  const floor = [...db].sort((a, b) => a - b)[Math.floor(db.length * 0.1)] ?? -120;
  const threshold = Math.max(peak - 35, floor + 8);
  const voiced = db.map((d, i) => d > threshold && (i + 1) * 32 <= nonSpeechAfterMs);
  let lastVoiced = -1;
  for (let i = 0; i < voiced.length; i++) {
    if (!voiced[i]) continue;
    if (lastVoiced >= 0 && i - lastVoiced - 1 <= 2) voiced.fill(true, lastVoiced + 1, i);
    lastVoiced = i;
  }
  const runs: [number, number][] = [];
  let start = -1;
  for (let i = 0; i <= voiced.length; i++) {
    if (voiced[i] && start < 0) start = i;
    if (!voiced[i] && start >= 0) {
      if (i - start >= 4) runs.push([start, i]);
      start = -1;
    }
  }
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (!first || !last) throw new Error('energy truth: no speech found');
  return { startMs: first[0] * 32, endMs: last[1] * 32 };
}

/** Speech extent of a named clip, with the annotated exceptions above applied. */
export function speechExtent(name: string, samples: Float32Array): { startMs: number; endMs: number } {
  const measured = energyTruth(samples, KNOWN_NON_SPEECH_AFTER_MS[name] ?? Infinity);
  return { ...measured, endMs: HAND_LABELLED_END_MS[name] ?? measured.endMs };
}
