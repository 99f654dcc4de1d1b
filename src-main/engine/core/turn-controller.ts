import { roundMs } from '../../shared/stats';
import { createBargeInDetector, type BargeInDetector } from '../mic/barge-in';
import { OUTPUT_SAMPLE_RATE, type EngineConfig } from '../../shared/config';
import { Endpointer, type EndpointEvent } from '../mic/endpointing';
import { endOfTurnRule, silenceThatEndsTurn, type EndOfTurnRule } from './end-of-turn';
import type { EngineEvent, ListenMode, TurnPhase } from '../../shared/events';

/**
 * The turn policy of the engine as a pure state machine: VAD windows, commands, stage progress
 * and player reports in; actions out. No I/O, no promises, no timers: time comes with every
 * input (engine-clock ms) and `nextDeadline()` says when `tick` must be called next. The engine
 * shell (engine.ts) feeds it and performs its actions, in order.
 *
 * Policy that lives here and nowhere else: push-to-talk (the key holds the turn open through any
 * pause; release ends it), always-listening, half-duplex without barge-in, the speculative start
 * at a short pause (confirmed at end of turn, discarded if speech resumes), the end of turn (silence,
 * or the end-of-turn model's verdict at a pause within a maximum silence), barge-in (pauses the
 * answer; the interrupting speech's words decide between cancel and resume), the playback
 * fallback when a player never reports, and which answer counts as finished.
 */

/** One VAD window: input-clock times (the endpointer's clock) and the engine time of its end. */
export interface WindowInput {
  samples: Float32Array;
  probability: number;
  startMs: number;
  endMs: number;
  t: number;
  /** Share of the window's energy the echo guard explains by the assistant's own audio (default 0). */
  echoFraction?: number;
  /**
   * Engine time of an earlier point on the input clock (when the frame holding it arrived). Without
   * it, `t - (endMs - inputMs)`, which is exact only for audio arriving in real time.
   */
  timeOf?: (inputMs: number) => number;
  /** The echo guard found no echo of the answer (headphones): what it removed was the user's voice. */
  echoPathAbsent?: boolean;
  /** The microphone before the echo guard, input-clock `fromMs` to `toMs` (the last few seconds). */
  microphone?: (fromMs: number, toMs: number) => Float32Array;
}

/** Progress of an answer, reported by its handle as it happens (also while held or paused). */
export type AnswerReport =
  | { kind: 'transcript'; text: string }
  /** A unit's audio was produced (`samples` at the output rate). */
  | { kind: 'audio'; unit: number; samples: number }
  | { kind: 'generation_done' }
  | { kind: 'failed' };

export type TurnAction =
  | { type: 'emit'; event: EngineEvent }
  /** Transcribe one segment of the turn's audio; the turn's transcript is its segments in order. */
  | { type: 'transcribe_segment'; turn: number; audio: Float32Array }
  /** Transcribe for a partial transcript (skippable when the STT is busy). */
  | { type: 'transcribe_partial'; turn: number; audio: Float32Array }
  /** Start answering `turn`: from its segments' transcript, or from typed `text`. */
  | { type: 'start_answer'; turn: number; speculative: boolean; text?: string }
  /** A speculative answer is confirmed: release its held events. */
  | { type: 'confirm_answer'; turn: number }
  /** A speculative answer is thrown away: abort it, drop its held events. */
  | { type: 'discard_answer'; turn: number }
  /** Barge-in: stop emitting audio, keep generating and keep the unplayed units. */
  | { type: 'pause_answer'; turn: number }
  /** False interruption: send the audio of `fromUnit` onwards again, and what was held. */
  | { type: 'resume_answer'; turn: number; fromUnit: number }
  /** Abort the answer's work for good (its turn is finalized by a following action). */
  | { type: 'stop_answer'; turn: number }
  /** The answer is over: record it (history, journal) and emit `turn_done`. */
  | { type: 'finalize_answer'; turn: number; interrupted: boolean; playerAttached: boolean }
  /** The turn's audio segments are no longer needed. */
  | { type: 'forget_turn'; turn: number }
  /** Drop queued input and the VAD's recurrent state (a new listening session starts). */
  | { type: 'reset_input' }
  /** Ask the end-of-turn model whether `turn` is complete; answer with `turnVerdict(turn, request, …)`. */
  | { type: 'classify_turn'; turn: number; request: number; audio: Float32Array };

/** The end-of-turn model hears at most this much of the turn (Smart Turn's 8 s window). */
export const TURN_MODEL_WINDOW_SAMPLES = 8 * 16000;

/** Time a player gets beyond the answer's audio length before the turn ends without its report. */
export const PLAYBACK_GRACE_MS = 2000;
/**
 * After a heard answer ends, its echo goes on for the output-to-input delay and the room's
 * reverberation: for this long only the barge-in detector may start a turn (a user who answers at
 * once is heard from their onset all the same).
 */
export const ECHO_TAIL_MS = 600;

interface Hearing {
  turn: number;
  paused: boolean;
  /** Samples at the start of the endpointer's utterance buffer already covered by segments. */
  transcribedSamples: number;
  /** Utterance length when the speculative segment was cut (kept if speech resumes). */
  speculativeEndSample?: number;
  lastPartialAt: number;
  /** The end-of-turn model was asked in the current pause (asked again after speech resumes). */
  askedThisPause?: boolean;
  /** The request whose verdict may still end this pause. */
  pendingVerdict?: number;
}

interface Answer {
  turn: number;
  speculative: boolean;
  /** Its transcript is known: from then on the LLM (and TTS) run for it. */
  transcribed: boolean;
  generationDone: boolean;
  /** Units whose audio was produced (indices 0..units-1) and their total length in samples. */
  units: number;
  audioSamples: number;
  played: Set<number>;
  /** The player started playing it: from then on the user has heard it. */
  playbackStarted: boolean;
  playbackDeadline?: number;
  /** Paused by barge-in: when the verdict falls without words, and which turn interrupted it. */
  verdictDeadline?: number;
  /** Times it was paused and resumed because the interrupting sound held no words. */
  falseInterruptions: number;
  interrupter?: number;
}

export class TurnController {
  private config: EngineConfig;
  private endpointer: Endpointer;
  private bargeIn: BargeInDetector;
  private mode: ListenMode;
  private muted = false;
  private pttHeld = false;
  private turnCounter = 0;
  private hearing: Hearing | undefined;
  /** The answer being generated or spoken (speculative or live). */
  private answer: Answer | undefined;
  /** An answer paused by barge-in, waiting for the verdict on the interrupting speech. */
  private paused: Answer | undefined;
  private playerAttached = false;
  /** Until when (engine time, and input-clock time) the echo of the last answer may still reach the microphone. */
  private echoTail = { untilT: -Infinity, untilInputMs: -Infinity };
  /** Input-clock end of the last window seen (push-to-talk release ends the turn there). */
  private lastWindowEndMs = 0;
  /** preRollMs / maxUtteranceMs changed: the endpointer is rebuilt once no turn is being heard. */
  private rebuildEndpointer = false;
  private lastPhase: string | undefined;
  private out: TurnAction[] = [];
  /** Whether the end-of-turn model is loaded, and the rule that follows (with the settings). */
  private turnModelLoaded = false;
  private endOfTurn: EndOfTurnRule;
  private verdictRequests = 0;
  /** Engine time of a point on the input clock, as the latest window placed it. */
  private lastTimeOf: (inputMs: number) => number = (inputMs) => inputMs;

  constructor(config: EngineConfig) {
    this.config = config;
    this.mode = config.turn.mode;
    this.endOfTurn = endOfTurnRule(config, false);
    this.endpointer = new Endpointer(this.endpointerConfig());
    this.bargeIn = createBargeInDetector(config);
  }

  // ── inputs ──────────────────────────────────────────────────────────────────────────────────

  /** Continues numbering after the restored conversation. */
  restoreTurnCounter(lastTurn: number): void {
    this.turnCounter = Math.max(this.turnCounter, lastTurn);
  }

  window(w: WindowInput): TurnAction[] {
    this.lastWindowEndMs = w.endMs;
    // Audio queued before a mute or a push-to-talk release is not heard.
    if (!this.listening) return this.flush();
    if (this.liveAnswer() && !this.canBargeIn() && this.mode === 'always-listening') {
      // Half-duplex: without barge-in, speech over the answer is not a new turn.
      return this.flush();
    }
    const offset = w.t - w.endMs;
    const timeOf = w.timeOf ?? ((inputMs: number): number => inputMs + offset);
    this.lastTimeOf = timeOf;
    // Windows the echo guard explains by what the player played are not the user's voice, however
    // speech-like (the room can ring on after the echo tail below).
    const voice = (w.echoFraction ?? 0) > this.config.echo.bargeInMaxEchoFraction ? 0 : w.probability;
    if (!this.hearing && this.endpointer.state === 'silence' && this.echoMayBeHeard(w.t, w.startMs)) {
      // The microphone hears the answer (or its echo dying out): its echo must not start a turn, so
      // the endpointer only keeps the audio and the barge-in detector, which weighs what the echo
      // guard explains, decides (on the input clock: audio time). The user's speech is then heard
      // from its onset, with pre-roll.
      this.endpointer.observe(w.samples, voice, w.endMs);
      const hit = this.bargeIn.push({ startMs: w.startMs, endMs: w.endMs, probability: w.probability, echoFraction: w.echoFraction ?? 0 });
      if (hit) {
        const onset = roundMs(Math.min(w.t, timeOf(hit.onsetMs)));
        const live = this.liveAnswer();
        if (live) this.voiceBargeIn(live, w.t, onset);
        // With no echo path (headphones) the guard removed the user's voice as possible echo until it
        // knew: the turn starts where the voice began in the microphone itself, with that audio.
        const unguarded = w.echoPathAbsent === true ? w.microphone : undefined;
        for (const event of this.endpointer.startSpeechAt(hit.onsetMs, unguarded)) {
          this.onEndpoint(event, roundMs(Math.min(onset, timeOf(event.t))));
        }
      }
      return this.flush();
    }
    for (const event of this.endpointer.push(w.samples, voice, w.endMs)) {
      this.onEndpoint(event, roundMs(Math.min(w.t, timeOf(event.t))));
    }
    this.maybePartial(w.t);
    this.maybeAskTurnModel(w.endMs);
    return this.flush();
  }

  /**
   * The engine is ready, with the end-of-turn model loaded or not: the rule follows, from the next
   * window on; the phase is announced.
   */
  setTurnModel(loaded: boolean): TurnAction[] {
    this.turnModelLoaded = loaded;
    this.applyEndOfTurnRule();
    this.lastPhase = undefined;
    return this.flush();
  }

  /**
   * The end-of-turn model's verdict on `request`. "Complete" ends the turn now when the pause it
   * was asked in still lasts; "incomplete" (or a late verdict) changes nothing: listening goes on
   * until the next pause asks again, or the maximum silence ends the turn.
   */
  turnVerdict(turn: number, request: number, verdict: { probability: number; ms: number }, t: number): TurnAction[] {
    const rule = this.endOfTurn;
    const complete = rule.kind === 'model' && verdict.probability >= rule.completeAt;
    this.emit({ type: 'turn_verdict', turn, t, probability: verdict.probability, complete, ms: verdict.ms });
    const hearing = this.hearing;
    if (!complete || hearing?.turn !== turn || hearing.pendingVerdict !== request || this.pttHeld) return this.flush();
    hearing.pendingVerdict = undefined;
    // The turn ends now (the verdict's time); its speech ended where the audio says.
    for (const event of this.endpointer.forceEnd(this.lastWindowEndMs)) {
      this.onEndpoint(event, event.kind === 'eot_confirmed' ? t : roundMs(Math.min(t, this.lastTimeOf(event.t))));
    }
    return this.flush();
  }

  pttDown(t: number): TurnAction[] {
    if (this.pttHeld) return this.flush();
    this.interruptAll('push-to-talk pressed', t);
    // The input queue holds what was said after the press: it is kept.
    this.abandonHearing('push-to-talk pressed', t, false);
    this.pttHeld = true;
    this.endpointer.hold(true);
    return this.flush();
  }

  /** Call after every window queued before the release has been pushed. */
  pttUp(t: number): TurnAction[] {
    if (!this.pttHeld) return this.flush();
    this.pttHeld = false;
    this.endpointer.hold(false);
    const offset = t - this.lastWindowEndMs;
    for (const event of this.endpointer.forceEnd(this.lastWindowEndMs)) this.onEndpoint(event, roundMs(event.t + offset));
    return this.flush();
  }

  setMode(mode: ListenMode, t: number): TurnAction[] {
    this.mode = mode;
    this.pttHeld = false;
    this.endpointer.hold(false);
    this.abandonHearing('listening mode changed', t);
    return this.flush();
  }

  mute(muted: boolean, t: number): TurnAction[] {
    this.muted = muted;
    if (muted) this.abandonHearing('microphone muted', t);
    return this.flush();
  }

  cancel(t: number): TurnAction[] {
    this.interruptAll('cancelled by the user', t);
    return this.flush();
  }

  /** A typed turn: interrupts whatever is in flight and answers `text`. */
  textInput(text: string, t: number): TurnAction[] {
    this.interruptAll('typed input', t);
    if (this.hearing) this.abandonHearing('typed input', t);
    const turn = ++this.turnCounter;
    this.answer = newAnswer(turn, false);
    this.out.push({ type: 'start_answer', turn, speculative: false, text });
    return this.flush();
  }

  /** Clears the conversation: the answer in flight is stopped. */
  clear(t: number): TurnAction[] {
    this.interruptAll('conversation cleared', t);
    return this.flush();
  }

  /**
   * New settings: thresholds change in place (the utterance in progress is kept); a mode change
   * goes through the same reset as `setMode`; buffer sizes apply from the next turn.
   */
  configure(config: EngineConfig, t: number): TurnAction[] {
    const before = this.config;
    this.config = config;
    const { threshold, negativeThreshold, minSpeechMs, speculativePauseMs } = config.vad;
    this.endpointer.updateThresholds({ threshold, negativeThreshold, minSpeechMs, speculativePauseMs });
    this.applyEndOfTurnRule();
    if (config.vad.preRollMs !== before.vad.preRollMs || config.vad.maxUtteranceMs !== before.vad.maxUtteranceMs) {
      this.rebuildEndpointer = true;
      this.maybeRebuildEndpointer();
    }
    this.bargeIn = createBargeInDetector(config);
    if (config.turn.mode !== before.turn.mode && config.turn.mode !== this.mode) return this.setMode(config.turn.mode, t);
    return this.flush();
  }

  answerReport(turn: number, report: AnswerReport, t: number): TurnAction[] {
    const answer = this.answerFor(turn);
    if (!answer) return this.flush();
    switch (report.kind) {
      case 'transcript':
        answer.transcribed = true;
        this.onTranscript(answer, report.text, t);
        break;
      case 'audio':
        answer.units = Math.max(answer.units, report.unit + 1);
        answer.audioSamples += report.samples;
        break;
      case 'generation_done':
        answer.generationDone = true;
        this.maybeFinalize(answer, t);
        break;
      case 'failed':
        if (answer.speculative) {
          // Retried at end of turn without speculation. Its segment stays valid (as when speech
          // resumes): the final pass transcribes only what came after the pause.
          this.answer = undefined;
          this.out.push({ type: 'discard_answer', turn: answer.turn });
          const hearing = this.hearing;
          if (hearing?.turn === answer.turn && hearing.speculativeEndSample !== undefined) {
            hearing.transcribedSamples = hearing.speculativeEndSample;
            hearing.speculativeEndSample = undefined;
          }
        } else {
          answer.generationDone = true;
          this.finalize(answer, true, t);
        }
        break;
    }
    return this.flush();
  }

  playbackStarted(turn: number, t: number): TurnAction[] {
    this.playerAttached = true;
    // A report for a turn that is already over (or unknown) is late: it is dropped.
    const answer = this.answerFor(turn);
    if (answer && !answer.speculative) {
      answer.playbackStarted = true;
      this.emit({ type: 'playback_start', turn, t });
    }
    return this.flush();
  }

  unitPlayed(turn: number, unit: number, t: number): TurnAction[] {
    this.playerAttached = true;
    const answer = this.answerFor(turn);
    if (!answer || answer.speculative) return this.flush();
    answer.played.add(unit);
    this.emit({ type: 'unit_played', turn, unit, t });
    this.maybeFinalize(answer, t);
    return this.flush();
  }

  /** Deadlines: a player that never reports, a barge-in whose speech brought no words. */
  tick(t: number): TurnAction[] {
    const live = this.liveAnswer();
    if (live?.playbackDeadline !== undefined && t >= live.playbackDeadline) this.finalize(live, false, t);
    const paused = this.paused;
    if (paused?.verdictDeadline !== undefined && t >= paused.verdictDeadline && !this.hearing && !this.answer) {
      this.resume(paused, t);
    }
    return this.flush();
  }

  nextDeadline(): number | undefined {
    // The verdict on a paused answer cannot fall while the interrupting speech is still heard or
    // answered (tick waits for that): no deadline until then, or a past one would fire at once, forever.
    const verdict = this.hearing || this.answer ? undefined : this.paused?.verdictDeadline;
    const deadlines = [this.liveAnswer()?.playbackDeadline, verdict].filter((d): d is number => d !== undefined);
    return deadlines.length > 0 ? Math.min(...deadlines) : undefined;
  }

  // ── queries ─────────────────────────────────────────────────────────────────────────────────

  /** A turn is being heard or answered. */
  get busy(): boolean {
    return this.hearing !== undefined || this.answer !== undefined || this.paused !== undefined;
  }

  /** An answer is generating (STT then runs with fewer threads). */
  get generating(): boolean {
    // An answer still waiting for its own transcript is not generating: its transcription gets the cores.
    return [this.answer, this.paused].some((a) => a !== undefined && a.transcribed && !a.generationDone);
  }

  /** Audio is heard: not muted, and (push-to-talk) the key is held. */
  get listening(): boolean {
    return this.wantsAudio(this.pttHeld);
  }

  /** Whether audio would be heard with the push-to-talk key in this position. */
  wantsAudio(keyDown: boolean): boolean {
    return !this.muted && (this.mode === 'always-listening' || keyDown);
  }

  get isMuted(): boolean {
    return this.muted;
  }

  isHearing(turn: number): boolean {
    return this.hearing?.turn === turn;
  }

  phaseEvent(): Extract<EngineEvent, { type: 'phase' }> {
    let phase: TurnPhase = 'listening';
    const live = this.liveAnswer();
    if (this.muted) phase = 'muted';
    else if (live) phase = live.units > 0 ? 'speaking' : 'thinking';
    else if (this.hearing || this.pttHeld) phase = 'hearing';
    return { type: 'phase', phase, mode: this.mode, muted: this.muted };
  }

  // ── endpointing ─────────────────────────────────────────────────────────────────────────────

  private onEndpoint(event: EndpointEvent, t: number): void {
    switch (event.kind) {
      case 'speech_start': {
        const live = this.liveAnswer();
        if (live && !this.heard(live) && this.mode === 'always-listening' && !this.pttHeld) {
          this.continueTurn(live, t);
          return;
        }
        if (live) this.voiceBargeIn(live, t, t);
        const turn = ++this.turnCounter;
        this.hearing = { turn, paused: false, transcribedSamples: 0, lastPartialAt: t };
        if (this.paused && this.paused.interrupter === undefined) this.paused.interrupter = turn;
        this.emit({ type: 'speech_start', turn, t });
        return;
      }
      case 'speech_pause': {
        const hearing = this.hearing;
        if (!hearing) return;
        hearing.paused = true;
        this.emit({ type: 'speech_pause', turn: hearing.turn, t });
        if (this.maySpeculate()) {
          const audio = this.endpointer.utterance();
          this.out.push({ type: 'transcribe_segment', turn: hearing.turn, audio: audio.subarray(Math.min(hearing.transcribedSamples, audio.length)) });
          hearing.speculativeEndSample = audio.length;
          this.answer = newAnswer(hearing.turn, true);
          this.out.push({ type: 'start_answer', turn: hearing.turn, speculative: true });
        }
        return;
      }
      case 'speech_resume': {
        const hearing = this.hearing;
        if (!hearing) return;
        hearing.paused = false;
        hearing.askedThisPause = false;
        hearing.pendingVerdict = undefined;
        this.emit({ type: 'speech_resume', turn: hearing.turn, t });
        const answer = this.answer;
        if (answer?.speculative && answer.turn === hearing.turn) {
          this.answer = undefined;
          this.out.push({ type: 'discard_answer', turn: answer.turn });
          // The answer is discarded, but the transcript up to the pause stays valid.
          if (hearing.speculativeEndSample !== undefined) hearing.transcribedSamples = hearing.speculativeEndSample;
          hearing.speculativeEndSample = undefined;
          this.emit({ type: 'speculation_discarded', turn: hearing.turn, t });
        }
        return;
      }
      case 'utterance_window': {
        const hearing = this.hearing;
        if (!hearing) return;
        // The utterance buffer restarts after a window: transcribe what segments have not covered.
        this.out.push({ type: 'transcribe_segment', turn: hearing.turn, audio: event.audio.subarray(Math.min(hearing.transcribedSamples, event.audio.length)) });
        hearing.transcribedSamples = 0;
        hearing.speculativeEndSample = undefined;
        return;
      }
      case 'speech_end': {
        if (this.hearing) this.emit({ type: 'speech_end', turn: this.hearing.turn, t });
        return;
      }
      case 'eot_confirmed': {
        const hearing = this.hearing;
        this.hearing = undefined;
        if (!hearing) return;
        this.emit({ type: 'eot_confirmed', turn: hearing.turn, t });
        const answer = this.answer;
        if (answer?.speculative && answer.turn === hearing.turn) {
          answer.speculative = false;
          this.out.push({ type: 'confirm_answer', turn: answer.turn });
          this.maybeFinalize(answer, t);
        } else {
          if (answer?.speculative) this.discard(answer);
          else if (answer) this.interrupt(answer, 'a new turn started', t);
          this.out.push({ type: 'transcribe_segment', turn: hearing.turn, audio: event.audio.subarray(Math.min(hearing.transcribedSamples, event.audio.length)) });
          this.answer = newAnswer(hearing.turn, false);
          this.out.push({ type: 'start_answer', turn: hearing.turn, speculative: false });
        }
        this.maybeRebuildEndpointer();
        return;
      }
    }
  }

  private maySpeculate(): boolean {
    const { turn } = this.config;
    return turn.pipeline === 'streaming' && turn.speculative && this.mode === 'always-listening' && !this.pttHeld && !this.answer && !this.paused;
  }

  private maybePartial(t: number): void {
    const hearing = this.hearing;
    const interval = this.config.stt.partialIntervalMs;
    if (!hearing || hearing.paused || interval === 0 || this.answer || this.config.turn.pipeline === 'sequential') return;
    if (t - hearing.lastPartialAt < interval) return;
    hearing.lastPartialAt = t;
    const audio = this.endpointer.utterance();
    this.out.push({ type: 'transcribe_partial', turn: hearing.turn, audio: audio.subarray(Math.min(hearing.transcribedSamples, audio.length)) });
  }

  /**
   * Under the model rule, once a pause in the user's speech has lasted askAfterMs the model hears
   * the turn (once per pause). Push-to-talk turns never ask: the key ends them.
   */
  private maybeAskTurnModel(nowMs: number): void {
    const hearing = this.hearing;
    const rule = this.endOfTurn;
    if (rule.kind !== 'model' || !hearing || hearing.askedThisPause || this.pttHeld || this.mode !== 'always-listening') return;
    const silentMs = this.endpointer.silenceRunMs(nowMs);
    if (silentMs === undefined || silentMs < rule.askAfterMs) return;
    hearing.askedThisPause = true;
    hearing.pendingVerdict = ++this.verdictRequests;
    const audio = this.endpointer.utterance();
    this.out.push({ type: 'classify_turn', turn: hearing.turn, request: hearing.pendingVerdict, audio: audio.slice(Math.max(0, audio.length - TURN_MODEL_WINDOW_SAMPLES)) });
  }

  private applyEndOfTurnRule(): void {
    this.endOfTurn = endOfTurnRule(this.config, this.turnModelLoaded);
    this.endpointer.updateThresholds({ endOfTurnSilenceMs: silenceThatEndsTurn(this.endOfTurn) });
  }

  /** The endpointer's settings: silence ends a turn after the rule's (maximum) silence. */
  private endpointerConfig(): EngineConfig['vad'] {
    return { ...this.config.vad, endOfTurnSilenceMs: silenceThatEndsTurn(this.endOfTurn) };
  }

  // ── answers ─────────────────────────────────────────────────────────────────────────────────

  private onTranscript(answer: Answer, text: string, t: number): void {
    const paused = this.paused;
    if (!paused || answer === paused || answer.speculative) return;
    // The verdict on a barge-in: words cancel the paused answer, none resume it.
    if (text.trim()) {
      this.paused = undefined;
      this.interrupt(paused, 'barge-in', t);
    } else {
      this.answer = undefined;
      this.finalize(answer, false, t);
      this.resume(paused, t);
    }
  }

  /**
   * The user goes on speaking after the end of the turn, before any of the answer was heard: it
   * was one utterance with a long pause. The answer is thrown away (nothing of it was heard, nothing
   * goes into the history) and the turn is heard again from here; its answer starts over with every
   * word, the earlier segments' and the new ones.
   */
  private continueTurn(answer: Answer, t: number): void {
    this.answer = undefined;
    this.out.push({ type: 'discard_answer', turn: answer.turn });
    this.hearing = { turn: answer.turn, paused: false, transcribedSamples: 0, lastPartialAt: t };
    this.emit({ type: 'speculation_discarded', turn: answer.turn, t });
    this.emit({ type: 'speech_resume', turn: answer.turn, t });
  }

  private voiceBargeIn(answer: Answer, t: number, onset: number): void {
    this.bargeIn.reset();
    this.emit({ type: 'barge_in', turn: answer.turn, t, onset });
    if (!this.config.turn.resumeFalseInterruption) {
      this.interrupt(answer, 'barge-in', t);
      return;
    }
    if (this.paused) this.interrupt(this.paused, 'barge-in', t);
    this.answer = undefined;
    this.paused = answer;
    answer.playbackDeadline = undefined;
    answer.verdictDeadline = t + this.config.turn.falseInterruptionTimeoutMs;
    answer.interrupter = this.hearing?.turn;
    this.out.push({ type: 'pause_answer', turn: answer.turn });
    this.emit({ type: 'answer_paused', turn: answer.turn, t });
  }

  private resume(answer: Answer, t: number): void {
    this.paused = undefined;
    answer.verdictDeadline = undefined;
    answer.interrupter = undefined;
    let fromUnit = 0;
    while (fromUnit < answer.units && answer.played.has(fromUnit)) fromUnit++;
    this.answer = answer;
    // A detector that needs more voice before it pauses this answer again.
    answer.falseInterruptions++;
    this.bargeIn = createBargeInDetector(this.config, answer.falseInterruptions);
    this.emit({ type: 'answer_resumed', turn: answer.turn, t, fromUnit });
    this.out.push({ type: 'resume_answer', turn: answer.turn, fromUnit });
    this.maybeFinalize(answer, t);
  }

  /** Stops the live, paused and speculative answers for good (explicit user actions). */
  private interruptAll(reason: string, t: number): void {
    const { answer, paused } = this;
    if (answer?.speculative) this.discard(answer);
    else if (answer) this.interrupt(answer, reason, t);
    if (paused) {
      this.paused = undefined;
      this.interrupt(paused, reason, t);
    }
  }

  private interrupt(answer: Answer, reason: string, t: number): void {
    this.emit({ type: 'cancelled', turn: answer.turn, t, reason });
    this.out.push({ type: 'stop_answer', turn: answer.turn });
    this.finalize(answer, true, t);
  }

  private discard(answer: Answer): void {
    if (this.answer === answer) this.answer = undefined;
    this.out.push({ type: 'discard_answer', turn: answer.turn });
  }

  /** An answer ends when generation is done and (if a player reports back) its audio was played. */
  private maybeFinalize(answer: Answer, t: number): void {
    if (answer.speculative || answer === this.paused || !answer.generationDone) return;
    const unplayed = answer.units - answer.played.size;
    if (!this.playerAttached || answer.units === 0 || unplayed <= 0) {
      this.finalize(answer, false, t);
      return;
    }
    // The player may never report (a closed window): end the turn when its audio must be over.
    answer.playbackDeadline ??= t + (answer.audioSamples / OUTPUT_SAMPLE_RATE) * 1000 + PLAYBACK_GRACE_MS;
  }

  private finalize(answer: Answer, interrupted: boolean, t: number): void {
    if (answer.falseInterruptions > 0) this.bargeIn = createBargeInDetector(this.config);
    if (this.heard(answer)) this.echoTail = { untilT: t + ECHO_TAIL_MS, untilInputMs: this.lastWindowEndMs + ECHO_TAIL_MS };
    if (this.answer === answer) this.answer = undefined;
    if (this.paused === answer) this.paused = undefined;
    answer.playbackDeadline = undefined;
    answer.verdictDeadline = undefined;
    this.out.push({ type: 'finalize_answer', turn: answer.turn, interrupted, playerAttached: this.playerAttached });
    this.out.push({ type: 'forget_turn', turn: answer.turn });
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  private abandonHearing(reason: string, t: number, resetInput = true): void {
    const hearing = this.hearing;
    this.hearing = undefined;
    if (this.answer?.speculative) this.discard(this.answer);
    if (hearing) {
      this.emit({ type: 'turn_abandoned', turn: hearing.turn, t, reason });
      this.out.push({ type: 'forget_turn', turn: hearing.turn });
    }
    this.endpointer.reset();
    this.bargeIn.reset();
    this.maybeRebuildEndpointer();
    if (resetInput) this.out.push({ type: 'reset_input' });
  }

  private maybeRebuildEndpointer(): void {
    if (!this.rebuildEndpointer || this.hearing || this.endpointer.state !== 'silence') return;
    this.rebuildEndpointer = false;
    this.endpointer = new Endpointer(this.endpointerConfig());
    this.endpointer.hold(this.pttHeld);
  }

  private liveAnswer(): Answer | undefined {
    return this.answer && !this.answer.speculative ? this.answer : undefined;
  }

  private answerFor(turn: number): Answer | undefined {
    if (this.answer?.turn === turn) return this.answer;
    if (this.paused?.turn === turn) return this.paused;
    return undefined;
  }

  /**
   * Barge-in is on and the microphone may hear the assistant: a live answer is being played, or
   * one ended less than ECHO_TAIL_MS ago (the room still rings with it).
   */
  private echoMayBeHeard(t: number, windowStartMs: number): boolean {
    if (!this.canBargeIn()) return false;
    const live = this.liveAnswer();
    if (live !== undefined && this.heard(live)) return true;
    // Both clocks: audio fed faster than real time (a file, a test) passes the tail in audio time.
    return t < this.echoTail.untilT && windowStartMs < this.echoTail.untilInputMs;
  }

  /** The user has heard (some of) the answer: its playback started, or, with no player reporting, its audio is out. */
  private heard(answer: Answer): boolean {
    return this.playerAttached ? answer.playbackStarted : answer.units > 0;
  }

  private canBargeIn(): boolean {
    return this.config.turn.bargeIn && this.mode === 'always-listening';
  }

  private emit(event: EngineEvent): void {
    this.out.push({ type: 'emit', event });
  }

  /** Hands out the actions of this input, with a `phase` event when the phase changed. */
  private flush(): TurnAction[] {
    const phase = this.phaseEvent();
    const key = `${phase.phase}/${phase.mode}/${phase.muted}`;
    if (key !== this.lastPhase) {
      this.lastPhase = key;
      this.out.push({ type: 'emit', event: phase });
    }
    const out = this.out;
    this.out = [];
    return out;
  }
}

function newAnswer(turn: number, speculative: boolean): Answer {
  return { turn, speculative, transcribed: false, generationDone: false, units: 0, audioSamples: 0, played: new Set(), playbackStarted: false, falseInterruptions: 0 };
}

