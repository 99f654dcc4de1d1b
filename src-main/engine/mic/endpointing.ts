import type { EngineConfig } from '../../shared/config';
import { INPUT_SAMPLE_RATE } from '../../shared/config';
import { SampleRing } from './sample-ring';
import { backedOffOnset, energyDb, noiseFloorDb, voiceOnsetIn } from './voice-onset';

/**
 * End-of-speech detection: a pure, synchronous state machine over (window, VAD probability, time).
 *
 * States: `silence` → (p ≥ threshold) `pending` → (voiced for minSpeechMs) `speech`
 *   ⇄ (silence for speculativePauseMs) `paused` → (silence for endOfTurnSilenceMs) `silence`.
 * Hysteresis as in Silero's own iterator: once speech is confirmed, only p < negativeThreshold
 * starts the silence timer, only p ≥ threshold stops it, and windows in between leave it as it is.
 *
 * Times are ms on the input clock (the `windowEndMs` the caller passes).
 *   speech_start.t  = start of the first voiced window (emitted once minSpeechMs is confirmed),
 *                     moved back over the contiguous energetic onset just before it (onset
 *                     back-off, at most preRollMs): Silero scores unvoiced onsets such as the /s/ of
 *                     "Sunday" or the /f/ of "four" low and fires 100–200 ms late. "Energetic" =
 *                     within 15 dB of the first voiced window and 10 dB above the noise floor
 *                     (voice-onset.ts).
 *   speech_pause.t  = end of the window where the silence reached speculativePauseMs
 *   speech_resume.t = start of the window where speech came back (before end of turn)
 *   speech_end.t    = end of the last voiced window (emitted together with eot_confirmed)
 *   eot_confirmed.t = end of the window where the silence reached endOfTurnSilenceMs
 *
 * Audio: the utterance buffer starts with up to preRollMs of audio before speech_start and holds
 * at most maxUtteranceMs; when it is full it is handed out as an `utterance_window` event and
 * restarted, so long monologues are transcribed in windows with bounded memory. At end of turn the
 * `eot_confirmed` event carries the rest of the utterance, trimmed to speech_end plus at most
 * preRollMs of trailing silence, and the buffer is emptied. In silence only the pre-roll ring is
 * written, so nothing grows however long the silence lasts.
 */

export type EndpointerConfig = Pick<
  EngineConfig['vad'],
  | 'threshold'
  | 'negativeThreshold'
  | 'minSpeechMs'
  | 'preRollMs'
  | 'endOfTurnSilenceMs'
  | 'speculativePauseMs'
  | 'maxUtteranceMs'
> & {
  sampleRate?: number;
  /** Move speech_start back over an energetic onset the VAD scored low (default true). */
  onsetBackoff?: boolean;
};

/** Noise floor = median energy of the silence windows in this much silence before the onset. */
const FLOOR_HISTORY_MS = 1500;
/**
 * Audio kept beyond the pre-roll while the endpointer only observes (the answer is audible): a
 * turn started by the barge-in detector begins at its onset, which it reports this late at most.
 */
const OBSERVED_HISTORY_MS = 2000;

export type EndpointState = 'silence' | 'pending' | 'speech' | 'paused';

export type EndpointEvent =
  | { kind: 'speech_start'; t: number }
  /** `silenceStartMs` = end of the last voiced window: the speculative path transcribes up to here. */
  | { kind: 'speech_pause'; t: number; silenceStartMs: number }
  | { kind: 'speech_resume'; t: number }
  | { kind: 'speech_end'; t: number; forced: boolean }
  | {
      kind: 'eot_confirmed';
      t: number;
      forced: boolean;
      /** The rest of the utterance (after any utterance_window), 16 kHz mono. */
      audio: Float32Array;
      /** Input-clock time of audio[0]. */
      audioStartMs: number;
    }
  | {
      kind: 'utterance_window';
      t: number;
      /** 0, 1, 2… within the current turn. */
      index: number;
      audio: Float32Array;
      audioStartMs: number;
      audioEndMs: number;
    };

export type EndpointEventKind = EndpointEvent['kind'];

/** Thresholds that can change in place, mid-utterance (buffer sizes are fixed at construction). */
export type EndpointerThresholds = Pick<
  EndpointerConfig,
  'threshold' | 'negativeThreshold' | 'minSpeechMs' | 'endOfTurnSilenceMs' | 'speculativePauseMs'
>;

export class Endpointer {
  private settings: Required<EndpointerConfig>;
  /** Push-to-talk key held: silence never ends the turn, only forceEnd does. */
  private held = false;

  private current: EndpointState = 'silence';
  private readonly preRoll: SampleRing;
  /** The most recent audio (pre-roll + OBSERVED_HISTORY_MS), for `startSpeechAt`. */
  private readonly history: SampleRing;
  /** While observing: the voice the VAD hears now, since when. */
  private observedVoice: { startMs: number; lastVoicedEndMs: number } | undefined;
  private readonly buffer: Float32Array;
  private bufferLength = 0;
  /** Input-clock sample index of buffer[0]. */
  private bufferStartSample = 0;

  /** Start of the first voiced window of the pending/confirmed speech (ms). */
  private speechStartMs = 0;
  /** End of the last voiced window when a silence run is in progress; undefined while voiced. */
  private silenceStartMs: number | undefined;
  private windowIndex = 0;
  private lastEndMs = 0;
  /** Energy of the most recent windows, for the onset back-off (pruned by time: bounded). */
  private recent: { startMs: number; endMs: number; db: number }[] = [];
  /** End of the last voiced window of the previous utterance (a voice onset found later never reaches into it). */
  private lastSpeechEndMs = Number.NEGATIVE_INFINITY;
  /** Energy of recent silence windows, for the noise floor (pruned by time: bounded). */
  private silenceEnergy: { endMs: number; db: number }[] = [];

  constructor(config: EndpointerConfig) {
    this.settings = { sampleRate: INPUT_SAMPLE_RATE, onsetBackoff: true, ...config };
    checkThresholds(this.settings);
    const { maxUtteranceMs, preRollMs, sampleRate } = this.settings;
    if (preRollMs >= maxUtteranceMs) throw new RangeError('Endpointer: preRollMs must be shorter than maxUtteranceMs');
    this.preRoll = new SampleRing(msToSamples(preRollMs, sampleRate));
    this.history = new SampleRing(msToSamples(preRollMs + OBSERVED_HISTORY_MS, sampleRate));
    this.buffer = new Float32Array(msToSamples(maxUtteranceMs, sampleRate));
  }

  get config(): Readonly<Required<EndpointerConfig>> {
    return this.settings;
  }

  get state(): EndpointState {
    return this.current;
  }

  /** Changes thresholds without touching the utterance in progress (a settings change mid-turn). */
  updateThresholds(patch: Partial<EndpointerThresholds>): void {
    const next = { ...this.settings, ...patch };
    checkThresholds(next);
    this.settings = next;
  }

  /**
   * Holds the turn open (push-to-talk key down): pauses are still reported, but however long the
   * silence lasts the turn ends only at `forceEnd` (the key's release).
   */
  hold(held: boolean): void {
    this.held = held;
  }

  /** Samples held in the utterance buffer now (for bounds checks and meters). */
  get bufferedSamples(): number {
    return this.bufferLength;
  }

  /** Capacity of the utterance buffer and the pre-roll ring (samples): fixed at construction. */
  get capacity(): { utterance: number; preRoll: number } {
    return { utterance: this.buffer.length, preRoll: this.preRoll.capacity };
  }

  /** Samples held in the pre-roll ring. */
  get preRollSamples(): number {
    return this.preRoll.length;
  }

  push(window: Float32Array, probability: number, windowEndMs: number): EndpointEvent[] {
    const { sampleRate, threshold, negativeThreshold, minSpeechMs, speculativePauseMs, endOfTurnSilenceMs } = this.config;
    const startMs = windowEndMs - (window.length * 1000) / sampleRate;
    const p = Number.isFinite(probability) ? probability : 0;
    const events: EndpointEvent[] = [];
    this.lastEndMs = windowEndMs;
    const db = energyDb(window);
    if (this.current === 'silence') this.noteSilence(windowEndMs, db);

    switch (this.current) {
      case 'silence': {
        if (p >= threshold) {
          this.startBuffer(startMs);
          this.append(window, events, windowEndMs);
          this.speechStartMs = startMs;
          this.silenceStartMs = undefined;
          this.current = 'pending';
          if (windowEndMs - startMs >= minSpeechMs) this.confirmSpeech(events);
        }
        break;
      }
      case 'pending': {
        if (p < negativeThreshold) {
          // Too short to be speech: a click or a breath. Forget it.
          this.bufferLength = 0;
          this.current = 'silence';
        } else {
          this.append(window, events, windowEndMs);
          if (windowEndMs - this.speechStartMs >= minSpeechMs) this.confirmSpeech(events);
        }
        break;
      }
      case 'speech':
      case 'paused': {
        this.append(window, events, windowEndMs);
        if (p >= threshold) {
          if (this.current === 'paused') events.push({ kind: 'speech_resume', t: startMs });
          this.silenceStartMs = undefined;
          this.current = 'speech';
        } else if (p < negativeThreshold && this.silenceStartMs === undefined) {
          this.silenceStartMs = startMs;
        }
        if (this.silenceStartMs !== undefined) {
          const silentFor = windowEndMs - this.silenceStartMs;
          if (silentFor >= endOfTurnSilenceMs && !this.held) {
            this.endTurn(events, this.silenceStartMs, windowEndMs, false);
          } else if (silentFor >= speculativePauseMs && this.current === 'speech') {
            this.current = 'paused';
            events.push({ kind: 'speech_pause', t: windowEndMs, silenceStartMs: this.silenceStartMs });
          }
        }
        break;
      }
    }
    this.preRoll.write(window);
    this.history.write(window);
    this.observedVoice = undefined;
    this.noteRecent(startMs, windowEndMs, db);
    return events;
  }

  /**
   * A window heard while the assistant's answer is audible: its echo must not start, pause or end
   * anything, so the endpointer only keeps the audio (and stays in silence). The barge-in detector
   * decides whether the user speaks; `startSpeechAt` then starts the turn at its onset.
   */
  observe(window: Float32Array, probability: number, windowEndMs: number): void {
    const { sampleRate, threshold, endOfTurnSilenceMs } = this.settings;
    const startMs = windowEndMs - (window.length * 1000) / sampleRate;
    this.current = 'silence';
    this.bufferLength = 0;
    this.silenceStartMs = undefined;
    this.lastEndMs = windowEndMs;
    this.preRoll.write(window);
    this.history.write(window);
    // Where the voice heard now began, by the VAD alone (the barge-in detector, which also weighs
    // the echo, may confirm it later than it began): pauses shorter than a turn's end continue it.
    if (probability >= threshold) {
      this.observedVoice ??= { startMs, lastVoicedEndMs: windowEndMs };
      this.observedVoice.lastVoicedEndMs = windowEndMs;
    } else if (this.observedVoice && windowEndMs - this.observedVoice.lastVoicedEndMs >= endOfTurnSilenceMs) {
      this.observedVoice = undefined;
    }
  }

  /**
   * Voice found elsewhere (the barge-in detector, over the answer's echo) started at `onsetMs`:
   * the utterance starts there, or where the VAD heard that voice begin if that is earlier, with
   * its pre-roll, from the audio kept while observing (at most OBSERVED_HISTORY_MS back). It is
   * speech (speech_start returned) once it has lasted minSpeechMs; until then it is pending, as any
   * onset: a shorter sound is forgotten.
   */
  startSpeechAt(detectedOnsetMs: number, unguarded?: (fromMs: number, toMs: number) => Float32Array): EndpointEvent[] {
    const { sampleRate, preRollMs } = this.settings;
    let onsetMs = Math.min(detectedOnsetMs, this.observedVoice?.startMs ?? Infinity);
    this.observedVoice = undefined;
    const keptStartMs = this.lastEndMs - (this.history.length * 1000) / sampleRate;
    let kept: Float32Array;
    if (unguarded) {
      kept = unguarded(keptStartMs, this.lastEndMs);
      const floorDb = noiseFloorDb(this.silenceEnergy, Infinity);
      onsetMs = Math.min(onsetMs, voiceOnsetIn(kept, keptStartMs, onsetMs, { floorDb, earliestMs: this.lastSpeechEndMs, sampleRate }));
    } else {
      kept = this.history.read();
    }
    const fromMs = Math.max(keptStartMs, Math.min(onsetMs, this.lastEndMs) - preRollMs);
    const audio = kept.subarray(Math.max(0, Math.min(kept.length, msToSamples(fromMs - keptStartMs, sampleRate))));
    const take = Math.min(audio.length, this.buffer.length);
    this.buffer.set(audio.subarray(audio.length - take), 0);
    this.bufferLength = take;
    this.bufferStartSample = msToSamples(this.lastEndMs, sampleRate) - take;
    this.speechStartMs = Math.max(onsetMs, keptStartMs);
    this.silenceStartMs = undefined;
    this.windowIndex = 0;
    this.current = 'pending';
    if (this.lastEndMs - this.speechStartMs < this.settings.minSpeechMs) return [];
    this.current = 'speech';
    return [{ kind: 'speech_start', t: this.speechStartMs }];
  }

  /** Windows kept for back-off: enough to reach preRollMs before a pending start. */
  private noteRecent(startMs: number, endMs: number, db: number): void {
    this.recent.push({ startMs, endMs, db });
    const horizon = endMs - (this.settings.preRollMs + this.settings.minSpeechMs + 100);
    // Pruned by time; the count cap only matters for absurdly short windows.
    let drop = 0;
    while (drop < this.recent.length && (this.recent[drop]?.endMs ?? 0) < horizon) drop++;
    drop = Math.max(drop, this.recent.length - 512);
    if (drop > 0) this.recent.splice(0, drop);
  }

  private noteSilence(endMs: number, db: number): void {
    this.silenceEnergy.push({ endMs, db });
    let drop = 0;
    while (drop < this.silenceEnergy.length && (this.silenceEnergy[drop]?.endMs ?? 0) < endMs - FLOOR_HISTORY_MS) drop++;
    drop = Math.max(drop, this.silenceEnergy.length - 512);
    if (drop > 0) this.silenceEnergy.splice(0, drop);
  }

  /** speech_start moved back over an energetic onset the VAD scored low (see voice-onset.ts). */
  private backedOffOnset(startMs: number): number {
    if (!this.settings.onsetBackoff) return startMs;
    return backedOffOnset(this.recent, this.silenceEnergy, startMs, this.settings.preRollMs);
  }

  /**
   * Ends the turn now (push-to-talk release). Speech still pending confirmation counts as speech:
   * the user said when it ended. Returns [] when nothing was heard.
   */
  forceEnd(tMs: number): EndpointEvent[] {
    const events: EndpointEvent[] = [];
    if (this.current === 'silence') return events;
    if (this.current === 'pending') this.confirmSpeech(events);
    const speechEnd = this.silenceStartMs ?? Math.min(tMs, this.lastEndMs);
    this.endTurn(events, speechEnd, tMs, true);
    return events;
  }

  /**
   * The current turn's audio: pre-roll + speech so far + trailing silence up to the last window
   * (since the last utterance_window, if any). Empty in `silence`. A copy.
   */
  /** How long the silence inside the utterance has lasted at `nowMs`; undefined while voiced or outside speech. */
  silenceRunMs(nowMs: number): number | undefined {
    if ((this.current !== 'speech' && this.current !== 'paused') || this.silenceStartMs === undefined) return undefined;
    return nowMs - this.silenceStartMs;
  }

  utterance(): Float32Array {
    if (this.current === 'silence') return new Float32Array(0);
    return this.buffer.slice(0, this.bufferLength);
  }

  /** Input-clock time (ms) of utterance()[0]. */
  utteranceStartMs(): number {
    return (this.bufferStartSample * 1000) / this.settings.sampleRate;
  }

  reset(): void {
    this.current = 'silence';
    this.bufferLength = 0;
    this.silenceStartMs = undefined;
    this.windowIndex = 0;
    this.preRoll.clear();
    this.history.clear();
    this.observedVoice = undefined;
    this.lastSpeechEndMs = -Infinity;
    this.recent = [];
    this.silenceEnergy = [];
  }

  private confirmSpeech(events: EndpointEvent[]): void {
    this.current = 'speech';
    this.windowIndex = 0;
    this.speechStartMs = this.backedOffOnset(this.speechStartMs);
    events.push({ kind: 'speech_start', t: this.speechStartMs });
  }

  private endTurn(events: EndpointEvent[], speechEndMs: number, t: number, forced: boolean): void {
    const { sampleRate, preRollMs } = this.config;
    const keepUntilMs = Math.min(speechEndMs + preRollMs, this.lastEndMs);
    const keep = Math.max(0, Math.min(this.bufferLength, msToSamples(keepUntilMs, sampleRate) - this.bufferStartSample));
    events.push({ kind: 'speech_end', t: speechEndMs, forced });
    this.lastSpeechEndMs = speechEndMs;
    events.push({
      kind: 'eot_confirmed',
      t,
      forced,
      audio: this.buffer.slice(0, keep),
      audioStartMs: this.utteranceStartMs(),
    });
    this.bufferLength = 0;
    this.silenceStartMs = undefined;
    this.current = 'silence';
  }

  private startBuffer(windowStartMs: number): void {
    const { sampleRate } = this.config;
    const pre = this.preRoll.read();
    this.buffer.set(pre, 0);
    this.bufferLength = pre.length;
    this.bufferStartSample = msToSamples(windowStartMs, sampleRate) - pre.length;
  }

  /** Appends a window; when the buffer is full, hands it out as an utterance_window first. */
  private append(window: Float32Array, events: EndpointEvent[], windowEndMs: number): void {
    let offset = 0;
    while (offset < window.length) {
      if (this.bufferLength === this.buffer.length) this.flushWindow(events, windowEndMs);
      const take = Math.min(window.length - offset, this.buffer.length - this.bufferLength);
      this.buffer.set(window.subarray(offset, offset + take), this.bufferLength);
      this.bufferLength += take;
      offset += take;
    }
  }

  private flushWindow(events: EndpointEvent[], t: number): void {
    const { sampleRate } = this.config;
    const audioStartMs = this.utteranceStartMs();
    const audio = this.buffer.slice(0, this.bufferLength);
    events.push({
      kind: 'utterance_window',
      t,
      index: this.windowIndex++,
      audio,
      audioStartMs,
      audioEndMs: audioStartMs + (audio.length * 1000) / sampleRate,
    });
    this.bufferStartSample += this.bufferLength;
    this.bufferLength = 0;
  }
}

function checkThresholds({ negativeThreshold, threshold }: EndpointerConfig): void {
  if (!(negativeThreshold <= threshold)) {
    throw new RangeError(`Endpointer: negativeThreshold (${negativeThreshold}) must not exceed threshold (${threshold})`);
  }
}

function msToSamples(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000);
}
