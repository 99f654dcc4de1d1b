import { resample } from '../../../audio/wav';
import { INPUT_SAMPLE_RATE, type EngineConfig } from '../../../shared/config';
import { DelayEstimator } from './delay-estimator';
import { Fdaf } from './fdaf';
import { ResidualSuppressor } from './residual-suppressor';
import { SampleTimeline } from './timeline';

/**
 * The echo guard on the microphone path: knows what the assistant is playing (the reference) and
 * removes it from what the microphone hears before the VAD decides barge-in.
 *
 *   reference ─► bulk delay (GCC-PHAT, tracked) ─► linear canceller (PBFDAF) ─► residual suppressor ─► VAD
 *   mic ───────────────────────────────────────────┘
 *
 * The app's alignment (player latency, resampling) is only approximate: the guard finds the bulk
 * delay itself within [minDelayMs, maxDelayMs] and keeps tracking it. The linear filter then models
 * the room (`filterMs` of taps after the delay); the suppressor removes what is left (loudspeaker
 * distortion, reverberant tail, the echo before the filter has adapted).
 *
 * Each answer (and each unit the player starts after its queue ran dry) is placed on the input
 * clock afresh, a few ms off from the last: the room is the same, its alignment is not. A learned
 * filter is not relied on in a new placement until the delay is estimated there; the taps then
 * move by the difference, and the suppressor works with the coarse bound until they have.
 *
 * While cleaning, output lags the input by one block (`latencyMs`, 16 ms): the samples returned for
 * a window ending at `endMs` are the cleaned microphone signal of the window ending at
 * `endMs − latencyMs`. While nothing played can reach the microphone (no reference within the
 * longest delay plus the room's tail) the guard passes the microphone through with no lag and no
 * work, so the user's own turn (and its end-of-turn pause) is heard 16 ms sooner:
 *  - passing → cleaning as soon as a reference could be heard; that window repeats the last
 *    16 ms already passed through (the reference was silent there, so they are the same audio);
 *  - cleaning → passing once the reference is out of reach and the 16 ms the cleaning lag held
 *    back are silence (the caller's last window was not speech, or they are below -40 dBFS, as
 *    in the gaps between words): those 16 ms are skipped.
 */
export type EchoConfig = EngineConfig['echo'];

export interface EchoGuardResult {
  /** The echo-reduced microphone window (same length as the input). */
  samples: Float32Array;
  /** How much of the window's energy the reference explains (0..1); 0 when nothing plays. */
  echoFraction: number;
  /** How far `samples` lag the input window: 0 while passing through, `latencyMs` while cleaning. */
  lagMs: number;
  /**
   * The reference has played for a while and the microphone shows no echo of it (headphones):
   * what the guard removed before it knew was the user's voice, not echo.
   */
  echoPathAbsent: boolean;
}

export interface EchoGuardProcessOptions {
  /** The caller's last window was not speech: a switch back to pass-through may skip 16 ms here. */
  quiet?: boolean;
}

export interface EchoGuardState {
  /** Bulk delay in use (ms), and whether it was measured (false: still the initial guess). */
  delayMs: number;
  delayMeasured: boolean;
  /** Linear filter adaptation progress (0..1). */
  adaptation: number;
  /** 1 = an echo path is assumed or was found; 0 = the reference plays but the mic shows no echo of it. */
  echoPresence: number;
}

const SR = INPUT_SAMPLE_RATE;
const BLOCK = 256;
/** The filter starts this far before the measured delay, so small drifts stay inside it. */
const PRE_DELAY_SAMPLES = 2 * BLOCK;
const ANALYSIS_SAMPLES = 16384;
/** Re-estimate the delay this often (faster until the first estimate is accepted). */
const ESTIMATE_EVERY_SAMPLES = 8192;
const FIRST_ESTIMATE_EVERY_SAMPLES = 2048;
/**
 * GCC-PHAT peak-to-rms ratio over the searched lags (≈ 4–5 for unrelated signals): above STRONG an
 * estimate is taken at once; above WEAK it must repeat; below ABSENT the mic shows no echo of it.
 */
const STRONG_CONFIDENCE = 10;
const WEAK_CONFIDENCE = 6.5;
const ABSENT_CONFIDENCE = 5.5;
/** Reference below this mean square over the analysis window is too quiet to correlate (≈ -50 dBFS). */
const ESTIMATE_MIN_POWER = 1e-5;
/**
 * Per correlation that finds no echo of a playing reference (one every 128 ms until a delay is
 * measured)… With headphones the user may talk over the first answer within a second or two: the
 * guard must stop treating their voice as possible echo by then (about 1.1 s of playback).
 */
const PRESENCE_DECAY = 0.2;
/**
 * …counted once this stream's reference has played this long (a shorter overlap correlates
 * weakly) and while it still plays (the window after an answer ends holds its tail).
 */
const PRESENCE_AFTER_SAMPLES = SR / 2;
/** The first estimate waits for this much played reference (a short overlap correlates by chance). */
const ESTIMATE_AFTER_SAMPLES = SR / 2;
/**
 * Each placement of the reference apart from what preceded it (a new answer, or a unit the player
 * started after its queue ran dry) is put on the input clock afresh, right only within a few ms:
 * the learned path is re-aligned by the first estimates of the new stream, which wait for this
 * much of it.
 */
const STREAM_ESTIMATE_AFTER_SAMPLES = SR / 8;
/** Until then the suppressor does not rely on the learned filter, for at most this much reference. */
const STREAM_ALIGN_WAIT_SAMPLES = SR;
/**
 * The first confirmed delay of a new placement this far from the one the filter learned at moves
 * its taps by the difference (a misalignment of 1 ms already costs most of the cancellation above
 * 500 Hz). Within a placement the alignment is fixed: the estimate wavering there between
 * neighbouring peaks (455 / 461 samples on the ICASSP recording) moves nothing.
 */
const PATH_SHIFT_TOLERANCE_SAMPLES = 4;
/** A delay this far from the learned one (30 ms) must be estimated twice in a row before it counts. */
const FAR_CHANGE_SAMPLES = 480;
/** Placements remembered ahead of the microphone (older ones are forgotten first). */
const MAX_PLACEMENTS = 64;
/** A confirmed delay this much later than the one in use moves the filter (its taps would be wasted). */
const LATER_MOVE_SAMPLES = 3 * BLOCK;
/** Once the delay is measured, the coarse echo bound looks this far past it (early reverberation). */
const ENVELOPE_AFTER_DELAY_SAMPLES = 10 * BLOCK;
const TIMELINE_CAPACITY = 1 << 21;
/** Echo presence at or below this: the microphone has shown no echo of the reference (3 correlations in a row). */
const ABSENT_PRESENCE = 0.4 + 1e-9;
/** Mean square below which a block is silence a switch to pass-through may skip (-40 dBFS). */
const SILENT_BLOCK_POWER = 1e-4;

export class EchoGuard {
  readonly latencyMs = (BLOCK / SR) * 1000;
  private readonly reference = new SampleTimeline(TIMELINE_CAPACITY);
  private readonly mic = new SampleTimeline(1 << 16);
  private readonly estimator: DelayEstimator;
  private readonly fdaf: Fdaf;
  private readonly suppressor: ResidualSuppressor;
  private readonly minLag: number;
  private readonly envelopeRing: Float64Array[];
  private readonly envelope: Float64Array;
  private readonly referenceBlock = new Float64Array(BLOCK);
  private readonly referencePrevious = new Float64Array(BLOCK);
  private readonly newestReference = new Float64Array(BLOCK);
  private readonly newestPrevious = new Float64Array(BLOCK);
  private readonly micBlock = new Float64Array(BLOCK);
  private readonly noEcho = new Float64Array(BLOCK);
  private envelopeHead = 0;
  private lagSamples = 0;
  private lagMeasured = false;
  /** The delay the linear filter's taps were learned at (they move with it). */
  private pathLag = 0;
  /** This reference stream's delay was confirmed (the learned filter is aligned to it). */
  private streamAligned = false;
  /** Samples of active reference since this stream started. */
  private streamPlayed = 0;
  /**
   * Where reference audio was placed apart from what preceded it (a new answer, or a unit the
   * player started after its queue ran dry), oldest first: each starts a new stream.
   */
  private readonly placements: number[] = [];
  /** The newest reference block was audible. */
  private referenceActive = false;
  private candidateLag: number | undefined;
  /**
   * 1 while an echo path is assumed (at the start, and whenever the correlation finds one); falls
   * while the reference plays and the microphone shows no trace of it (headphones).
   */
  private echoPresence = 1;
  /** Samples of active reference the microphone has heard since the stream started. */
  private referencePlayed = 0;
  private readonly filterSamples: number;
  /** After the reference's last sample, its echo can reach the microphone for this long. */
  private readonly echoReachSamples: number;
  /** True while nothing played can be heard: the microphone passes through. */
  private passing = true;
  /** The last block passed through (repeated by the first cleaned window). */
  private readonly lastPassedBlock = new Float32Array(BLOCK);
  /** Cleaned blocks still to drop (the canceller's first output after a restart covers the block before). */
  private discardBlocks = 0;
  /** Input-clock index where the next window should start (undefined: a new stream). */
  private expectedStart: number | undefined;
  /** Index of the first sample in `pending`. */
  private pendingStart = 0;
  private sinceEstimate = 0;
  private pending: number[] = [];
  private ready: number[] = [];

  constructor(private readonly options: EchoConfig) {
    if (options.maxDelayMs <= options.minDelayMs) throw new RangeError('echo: maxDelayMs must exceed minDelayMs');
    this.minLag = Math.round((options.minDelayMs * SR) / 1000);
    const maxLag = Math.round((options.maxDelayMs * SR) / 1000);
    this.estimator = new DelayEstimator({ minLagSamples: this.minLag, maxLagSamples: maxLag, analysisSamples: ANALYSIS_SAMPLES, sampleRate: SR });
    const partitions = Math.max(1, Math.ceil((options.filterMs * SR) / 1000 / BLOCK) + PRE_DELAY_SAMPLES / BLOCK);
    this.filterSamples = partitions * BLOCK;
    this.echoReachSamples = maxLag + this.filterSamples + ENVELOPE_AFTER_DELAY_SAMPLES;
    this.fdaf = new Fdaf({ blockSamples: BLOCK, partitions, step: options.step });
    this.suppressor = new ResidualSuppressor({
      blockSamples: BLOCK,
      floorGain: 10 ** (options.suppressionFloorDb / 20),
      overSubtraction: options.overSubtraction,
      unadaptedEchoGain: 10 ** (options.unadaptedEchoGainDb / 10),
      tailDecay: 0.82,
    });
    const envelopeBlocks = Math.ceil((maxLag - this.minLag) / BLOCK) + 2;
    this.envelopeRing = Array.from({ length: envelopeBlocks }, () => new Float64Array(this.suppressor.bins));
    this.envelope = new Float64Array(this.suppressor.bins);
  }

  /** Audio sent to the player, in play order; `startMs` = input-clock time its first sample is heard. */
  addReference(samples: Float32Array, sampleRate: number, startMs: number): void {
    if (!(samples instanceof Float32Array)) throw new TypeError('EchoGuard.addReference: samples must be a Float32Array');
    if (!Number.isFinite(sampleRate) || sampleRate < 1000) throw new RangeError(`EchoGuard.addReference: invalid sample rate ${sampleRate}`);
    if (!Number.isFinite(startMs)) throw new RangeError(`EchoGuard.addReference: invalid start time ${startMs}`);
    const at16k = sampleRate === SR ? samples : resample(samples, sampleRate, SR);
    const start = Math.round((startMs * SR) / 1000);
    if (start !== this.reference.endIndex && at16k.length > 0) {
      this.placements.push(start);
      if (this.placements.length > MAX_PLACEMENTS) this.placements.shift();
    }
    this.reference.write(at16k, start);
  }

  /** The reference from input-clock `fromMs` on will not be heard (the player dropped its queue). */
  cutReference(fromMs: number): void {
    if (!Number.isFinite(fromMs)) throw new RangeError(`EchoGuard.cutReference: invalid time ${fromMs}`);
    const from = Math.round((fromMs * SR) / 1000);
    this.reference.truncate(from);
    while (this.placements.length > 0 && (this.placements.at(-1) as number) >= from) this.placements.pop();
  }

  /** Input-clock ms where the reference queued so far ends (-Infinity when none was added). */
  get referenceEndMs(): number {
    return (this.reference.endIndex * 1000) / SR;
  }

  /** A 16 kHz mic window ending at input-clock `endMs`: the echo-reduced window and the echo's share of its energy. */
  process(window: Float32Array, endMs: number, options: EchoGuardProcessOptions = {}): EchoGuardResult {
    if (!(window instanceof Float32Array)) throw new TypeError('EchoGuard.process: window must be a Float32Array');
    if (!Number.isFinite(endMs)) throw new RangeError(`EchoGuard.process: invalid end time ${endMs}`);
    if (!this.options.enabled) return { samples: window.slice(), echoFraction: 0, lagMs: 0, echoPathAbsent: false };
    const startIndex = Math.round((endMs * SR) / 1000) - window.length;
    if (this.expectedStart !== undefined && startIndex !== this.expectedStart) this.restartStream();
    this.expectedStart = startIndex + window.length;
    this.mic.write(window, startIndex);
    const outOfReach = this.reference.endIndex + this.echoReachSamples <= startIndex;
    if (this.passing && !outOfReach) this.startCleaning(startIndex);
    else if (!this.passing && outOfReach && (options.quiet === true || this.heldBackIsSilent(startIndex))) this.passing = true;
    if (this.passing) {
      this.lastPassedBlock.set(window.subarray(Math.max(0, window.length - BLOCK)), Math.max(0, BLOCK - window.length));
      return { samples: window.slice(), echoFraction: 0, lagMs: 0, echoPathAbsent: false };
    }
    for (const v of window) this.pending.push(v);
    let fractionSum = 0;
    let blocks = 0;
    while (this.pending.length >= BLOCK) {
      this.processBlock(this.pending.splice(0, BLOCK), this.pendingStart);
      this.pendingStart += BLOCK;
      fractionSum += this.suppressor.echoFraction;
      blocks++;
    }
    const samples = new Float32Array(window.length);
    const missing = Math.max(0, window.length - this.ready.length);
    samples.set(this.ready.splice(0, window.length - missing), missing);
    return {
      samples,
      echoFraction: blocks > 0 ? fractionSum / blocks : 0,
      lagMs: this.latencyMs,
      echoPathAbsent: this.echoPresence <= ABSENT_PRESENCE,
    };
  }

  /**
   * The microphone as it came in, before the guard, from input-clock `fromMs` to `toMs` (the last
   * few seconds are kept; zeros where nothing is held or the echo guard is disabled).
   */
  microphone(fromMs: number, toMs: number): Float32Array {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError(`EchoGuard.microphone: invalid span ${fromMs}..${toMs}`);
    const from = Math.round((fromMs * SR) / 1000);
    const out = new Float32Array(Math.max(0, Math.round((toMs * SR) / 1000) - from));
    this.mic.read(from, out);
    return out;
  }

  /** Where the guard stands (for tests, logs and the UI). */
  state(): EchoGuardState {
    return {
      delayMs: (this.lagSamples * 1000) / SR,
      delayMeasured: this.lagMeasured,
      adaptation: this.fdaf.progress,
      echoPresence: this.echoPresence,
    };
  }

  /**
   * Forgets the signals (reference and microphone history, e.g. between sessions); the learned
   * echo path and delay are kept, since the room and the devices rarely change between answers.
   */
  reset(): void {
    this.reference.clear();
    this.placements.length = 0;
    this.restartStream();
  }

  private restartStream(): void {
    this.mic.clear();
    this.expectedStart = undefined;
    this.sinceEstimate = 0;
    this.referencePlayed = 0;
    this.passing = true;
    this.lastPassedBlock.fill(0);
  }

  /** The last block before `startIndex` (what a switch to pass-through skips) is near-silent. */
  private heldBackIsSilent(startIndex: number): boolean {
    this.mic.read(startIndex - BLOCK, this.micBlock);
    let power = 0;
    for (const v of this.micBlock) power += v * v;
    return power / BLOCK < SILENT_BLOCK_POWER;
  }

  /** A new placement of the reference reaches the microphone: its alignment is confirmed afresh. */
  private startStream(): void {
    this.streamAligned = false;
    this.streamPlayed = 0;
    this.sinceEstimate = 0;
  }

  /**
   * A reference can be heard from now on: the canceller and suppressor start on fresh signals (the
   * learned echo path and delay are kept). Their first output block covers the block before this
   * window, which was passed through unchanged, so that block is repeated as it was.
   */
  private startCleaning(startIndex: number): void {
    this.startStream();
    this.passing = false;
    this.fdaf.resetSignals();
    this.suppressor.reset();
    for (const e of this.envelopeRing) e.fill(0);
    this.referencePrevious.fill(0);
    this.newestPrevious.fill(0);
    this.pending = [];
    this.pendingStart = startIndex;
    this.ready = Array.from(this.lastPassedBlock);
    this.discardBlocks = 1;
  }

  private processBlock(block: number[], blockStart: number): void {
    // The echo of a placement reaches the microphone about one delay after it.
    const reached = blockStart + BLOCK - (this.lagMeasured ? this.lagSamples : this.minLag);
    let placed = false;
    while (this.placements.length > 0 && (this.placements[0] as number) < reached) {
      this.placements.shift();
      placed = true;
    }
    if (placed) this.startStream();
    this.sinceEstimate += BLOCK;
    const every = this.lagMeasured && this.streamAligned ? ESTIMATE_EVERY_SAMPLES : FIRST_ESTIMATE_EVERY_SAMPLES;
    if (this.sinceEstimate >= every) {
      this.sinceEstimate = 0;
      this.updateDelay(blockStart + BLOCK);
    }
    for (let i = 0; i < BLOCK; i++) this.micBlock[i] = block[i] ?? 0;
    // Filter input: the reference shifted by the bulk delay minus the pre-delay margin.
    this.reference.read(blockStart - this.lagSamples + PRE_DELAY_SAMPLES, this.referenceBlock);
    const linear = this.fdaf.process(this.referenceBlock, this.micBlock, this.suppressor.nearEndLikely);
    // Coarse bound: the reference's power at any lag of the search window.
    this.reference.read(blockStart - this.minLag, this.newestReference);
    let newestPower = 0;
    for (const v of this.newestReference) newestPower += v * v;
    this.referenceActive = newestPower / BLOCK > ESTIMATE_MIN_POWER;
    if (this.referenceActive) {
      this.referencePlayed += BLOCK;
      this.streamPlayed += BLOCK;
    }
    const slot = this.envelopeRing[this.envelopeHead] as Float64Array;
    this.suppressor.framePower(this.newestPrevious, this.newestReference, slot);
    this.newestPrevious.set(this.newestReference);
    // Entry j blocks back holds the reference at lag minLag + j·BLOCK. Once the delay is known,
    // only lags from just before it to the room's early reverberation count.
    const ringLength = this.envelopeRing.length;
    let firstBack = 0;
    let lastBack = ringLength - 1;
    const trusted = this.filterTrusted();
    if (this.lagMeasured && trusted) {
      firstBack = Math.max(0, Math.floor((this.lagSamples - PRE_DELAY_SAMPLES - this.minLag) / BLOCK));
      lastBack = Math.min(ringLength - 1, Math.ceil((this.lagSamples + ENVELOPE_AFTER_DELAY_SAMPLES - this.minLag) / BLOCK));
    }
    this.envelope.fill(0);
    for (let back = firstBack; back <= lastBack; back++) {
      const e = this.envelopeRing[(this.envelopeHead - back + ringLength) % ringLength] as Float64Array;
      for (let k = 0; k < e.length; k++) if ((e[k] ?? 0) > (this.envelope[k] ?? 0)) this.envelope[k] = e[k] ?? 0;
    }
    this.envelopeHead = (this.envelopeHead + 1) % ringLength;
    // A learned filter not yet aligned to this stream is left out (a few ms off, it adds echo).
    const out = this.suppressor.process({
      mic: this.micBlock,
      error: trusted ? linear.error : this.micBlock,
      echo: trusted ? linear.echo : this.noEcho,
      referenceEnvelope: this.envelope,
      adaptation: Math.max(trusted ? this.fdaf.progress : 0, 1 - this.echoPresence),
      unaligned: !trusted,
    });
    if (this.discardBlocks > 0) this.discardBlocks--;
    else for (const v of out) this.ready.push(v);
  }

  /** The suppressor may rely on the linear filter: it is aligned to this stream (or could not be). */
  private filterTrusted(): boolean {
    return !this.lagMeasured || this.streamAligned || this.streamPlayed >= STREAM_ALIGN_WAIT_SAMPLES;
  }

  private updateDelay(endIndex: number): void {
    const probe = new Float64Array(ANALYSIS_SAMPLES);
    this.reference.read(endIndex - ANALYSIS_SAMPLES - this.lagSamples, probe);
    let power = 0;
    for (const v of probe) power += v * v;
    if (power / probe.length < ESTIMATE_MIN_POWER || this.referencePlayed < ESTIMATE_AFTER_SAMPLES) return;
    if (this.lagMeasured && this.streamPlayed < STREAM_ESTIMATE_AFTER_SAMPLES) return;
    const { lagSamples, confidence } = this.estimator.estimate(this.mic, this.reference, endIndex);
    if (confidence < WEAK_CONFIDENCE) {
      if (confidence < ABSENT_CONFIDENCE && this.streamPlayed >= PRESENCE_AFTER_SAMPLES && this.referenceActive) {
        this.echoPresence = Math.max(0, this.echoPresence - PRESENCE_DECAY);
      }
      return;
    }
    const agrees = this.candidateLag !== undefined && Math.abs(this.candidateLag - lagSamples) <= 16;
    this.candidateLag = lagSamples;
    if (confidence < STRONG_CONFIDENCE && !agrees) return;
    this.echoPresence = 1;
    // Once measured, a delay far from the learned one must repeat before anything moves: a room's
    // reflections or a repeated sound can give one strong estimate far off (100 ms late, seen in a
    // reverberant room), and moving the learned path there would undo it.
    const change = lagSamples - this.pathLag;
    if (this.lagMeasured && !agrees && Math.abs(change) > FAR_CHANGE_SAMPLES) return;
    // Move the filter only when the echo's start falls outside it (before the pre-delay margin, or
    // past its first half); reflections inside it are the filter's job.
    const offset = lagSamples - this.lagSamples;
    const confirmedLater = agrees && offset > LATER_MOVE_SAMPLES;
    if (!this.lagMeasured || offset < -(3 * PRE_DELAY_SAMPLES) / 4 || offset > this.filterSamples / 2 || confirmedLater) {
      this.lagSamples = lagSamples;
      this.fdaf.resetFilter();
      this.pathLag = lagSamples;
    } else if (!this.streamAligned && Math.abs(change) > PATH_SHIFT_TOLERANCE_SAMPLES) {
      // A new placement of the reference: the learned path moves with it.
      this.fdaf.shiftTaps(change);
      this.pathLag = lagSamples;
    }
    this.lagMeasured = true;
    this.streamAligned = true;
  }
}
