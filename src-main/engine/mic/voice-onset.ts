/**
 * Where a voice began, found from energy where the VAD's verdict comes late or not at all:
 * - `backedOffOnset`: Silero scores unvoiced onsets such as the /s/ of "Sunday" or the /f/ of
 *   "four" low and fires 100–200 ms late; speech_start moves back over the contiguous energetic
 *   windows just before it (at most the pre-roll).
 * - `voiceOnsetIn`: a voice the echo guard removed as possible echo until it ruled an echo path out
 *   (headphones): its start is found in the microphone before the guard, back across the pauses
 *   between words.
 * Pure functions over window energies (dB), no clock.
 */

/** Back-off: how far below the first voiced window an onset window may be. */
const ONSET_RANGE_DB = 15;
/** Onset windows are this far above the noise floor… */
const ONSET_MARGIN_DB = 10;
/** …and never quieter than this (digital silence is no onset). */
const ONSET_MIN_DB = -65;
/** The look back in the unguarded microphone: window length, and the longest pause between words it crosses. */
const ONSET_WINDOW_MS = 32;
const WORD_GAP_MS = 300;

/** A window's energy and place on the input clock (ms). */
export interface WindowEnergy {
  startMs: number;
  endMs: number;
  db: number;
}

export function energyDb(window: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < window.length; i++) sum += (window[i] ?? 0) ** 2;
  return 10 * Math.log10(sum / Math.max(1, window.length) + 1e-12);
}

/**
 * Median energy of the silence windows that ended by `beforeMs` (undefined: none). Median, not
 * minimum: a digital-zero dropout must not drag the floor down to -120 dB.
 */
export function noiseFloorDb(silence: ReadonlyArray<{ endMs: number; db: number }>, beforeMs: number): number | undefined {
  const before = silence.filter((w) => w.endMs <= beforeMs).map((w) => w.db);
  before.sort((a, b) => a - b);
  return before[Math.floor(before.length / 2)];
}

/**
 * Earliest start of the contiguous run of onset windows just before `startMs` (within
 * `preRollMs`). An onset window is no more than ONSET_RANGE_DB below the first voiced window (the
 * one starting at `startMs`), louder than ONSET_MIN_DB, and ONSET_MARGIN_DB above the noise floor
 * measured before the back-off range.
 */
export function backedOffOnset(
  recent: readonly WindowEnergy[],
  silence: ReadonlyArray<{ endMs: number; db: number }>,
  startMs: number,
  preRollMs: number,
): number {
  const first = recent.find((w) => Math.abs(w.startMs - startMs) < 0.5);
  if (!first) return startMs;
  const limit = startMs - preRollMs - 0.001;
  const floor = noiseFloorDb(silence, limit + 0.5);
  const level = Math.max(first.db - ONSET_RANGE_DB, ONSET_MIN_DB, floor === undefined ? -Infinity : floor + ONSET_MARGIN_DB);
  let onset = startMs;
  for (let i = recent.length - 1; i >= 0; i--) {
    const w = recent[i];
    if (!w || w.startMs >= onset) continue;
    if (w.startMs < limit || w.db < level || Math.abs(w.endMs - onset) > 0.5) break;
    onset = w.startMs;
  }
  return onset;
}

export interface VoiceOnsetOptions {
  /** The room's noise floor (dB); undefined: only ONSET_MIN_DB applies. */
  floorDb: number | undefined;
  /** End of the previous utterance (ms): the onset never reaches back into it. */
  earliestMs: number;
  sampleRate: number;
}

/**
 * Where the voice going on at `onsetMs` began in `audio` (which starts at input-clock
 * `audioStartMs`): back over 32 ms windows ONSET_MARGIN_DB above the noise floor, across pauses
 * between words up to WORD_GAP_MS, and never within WORD_GAP_MS of the previous utterance.
 */
export function voiceOnsetIn(audio: Float32Array, audioStartMs: number, onsetMs: number, options: VoiceOnsetOptions): number {
  const { floorDb, earliestMs, sampleRate } = options;
  const samplesOf = (ms: number): number => Math.round((ms * sampleRate) / 1000);
  const windowSamples = samplesOf(ONSET_WINDOW_MS);
  const level = Math.max(ONSET_MIN_DB, floorDb === undefined ? -Infinity : floorDb + ONSET_MARGIN_DB);
  const earliest = Math.max(0, samplesOf(earliestMs + WORD_GAP_MS - audioStartMs));
  let onset = onsetMs;
  let gapMs = 0;
  for (let end = Math.min(audio.length, samplesOf(onsetMs - audioStartMs)); end - windowSamples >= earliest; end -= windowSamples) {
    if (energyDb(audio.subarray(end - windowSamples, end)) >= level) {
      onset = audioStartMs + ((end - windowSamples) * 1000) / sampleRate;
      gapMs = 0;
    } else if ((gapMs += ONSET_WINDOW_MS) > WORD_GAP_MS) {
      break;
    }
  }
  return onset;
}
