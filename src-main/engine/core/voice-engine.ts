import { roundMs } from '../../shared/stats';
import { AnswerHandle } from './answer';
import { AudioInput, type VadWindow } from '../mic/audio-input';
import { mergeConfig, type EngineConfig } from '../../shared/config';
import { EchoSafeBargeIn } from '../mic/mic-path';
import { classifyConfigChange } from './configure';
import type { ConfigApplied, ConversationTurn, EngineEvent, EngineState, StageBackend, StageName } from '../../shared/events';
import type { ConversationJournal } from './journal';
import type { EngineCommand } from '../../shared/protocol';
import { messageOf } from '../stages/stage-kit';
import { STAGE_NAMES, type SpeechStages, type Stage } from '../stages/contracts';
import { resolveThreads, type ThreadPlan } from '../stages/threads';
import { TurnTracer } from './trace';
import { TtsCache } from './tts-cache';
import { TurnController, type TurnAction } from './turn-controller';

export type { LlmStage, SpeechStages, Stage, SttStage, TtsStage, VadStage } from '../stages/contracts';
export { messageOf } from '../stages/stage-kit';
export type { UnitSplitter } from './speech-stream';
import type { UnitSplitter } from './speech-stream';

/** Timers the engine uses for its deadlines (tests inject a manual clock's). */
export interface EngineTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Loads one stage again with a new config (a model path, threads or device changed). */
export type StageReloader = (stage: StageName, config: EngineConfig) => Promise<Stage>;

export interface VoiceEngineOptions {
  config: EngineConfig;
  journal?: ConversationJournal;
  /** Monotonic clock in ms (tests may inject one). */
  clock?: () => number;
  timers?: EngineTimers;
  /** Without one, a `configure` that needs a stage reloaded reports "restart required" instead. */
  reloadStage?: StageReloader;
  /** The stages are shared with other engines (benchmark baseline, tests): dispose() leaves them loaded. */
  sharedStages?: boolean;
  /** Cache of synthesized units (shared by the engine's answers). */
  ttsCache?: TtsCache;
  /** Units synthesized into the cache at warm-up (e.g. common short openers). */
  prewarmUnits?: readonly string[];
  /** How answers cut their token stream into units (default: the chunker; the bench's peer baseline brings its own). */
  createUnitSplitter?: () => UnitSplitter;
}

const LEVEL_EVERY_MS = 64;
/** After a partial transcription the STT stays free for this many times its duration (partials use at most a third of it). */
const PARTIAL_IDLE_FACTOR = 2;

interface Segment {
  audio: Float32Array;
  text?: Promise<string>;
}

const REAL_TIMERS: EngineTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The speech engine: audio frames and commands in, typed events out. A thin shell around the
 * pure `TurnController` (all turn policy) that performs its actions: it runs the VAD over the
 * input, transcribes segments, runs each answer through an `AnswerHandle` (STT → LLM → speech
 * stream), keeps the conversation (LLM history, journal) and applies `configure`. Stages are
 * injected (see runtime.ts); nothing here knows about files, processes or Electron.
 */
export class VoiceEngine {
  private config: EngineConfig;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly clock: () => number;
  private readonly timers: EngineTimers;
  private clockOrigin: number | undefined;
  private stages: SpeechStages | undefined;
  private state: EngineState = 'idle';
  private backends: Record<StageName, StageBackend> | undefined;

  private readonly input: AudioInput;
  private readonly controller: TurnController;
  /** Mic window → echo guard → VAD (the controller's BargeInDetector decides barge-in). */
  private micPath: EchoSafeBargeIn;
  /** A player has reported playback: references are placed by its reports, not by emission. */
  private playerReports = false;
  /** Turns whose playback the player reported started. */
  private readonly playingTurns = new Set<number>();
  /** Audio of turns the player has not started yet: it becomes reference at `playback_started`. */
  private readonly unheardAudio = new Map<number, Array<{ samples: Float32Array; sampleRate: number }>>();
  /** (input clock ms after a push, engine time of that push): maps window times onto the engine clock. */
  private readonly arrivals: Array<{ inputMs: number; t: number }> = [];
  private pumpRun: Promise<void> | undefined;
  private pumping = false;
  private lastLevelAt = -Infinity;
  private droppedFrames = 0;
  /**
   * Push-to-talk presses and releases, placed on the input clock: each is applied to the
   * controller after the audio that came before it and before the audio that came after it.
   */
  private readonly pttMarks: Array<{ atMs: number; pressed: boolean; t: number }> = [];
  private keyDown = false;

  private readonly answers = new Map<number, AnswerHandle>();
  private readonly segments = new Map<number, Segment[]>();
  private sttRuns = 0;
  /** Engine time before which no partial transcription starts (see `partial`). */
  private nextPartialAt = 0;
  /** Stops the LLM prefill on a partial transcript (any answer, barge-in, mute, mode change or new turn). */
  private prefillRun: AbortController | undefined;
  private threads: ThreadPlan;
  private readonly tracer: TurnTracer;
  private deadlineTimer: unknown;
  /** turn_done events wait for the journal write; they go out in order. */
  private turnDone: Promise<void> = Promise.resolve();
  private pendingTurnDone = 0;
  private pendingReloads = new Set<StageName>();
  private reloadNotice: ConfigApplied | undefined;
  private reloading: Promise<void> | undefined;
  readonly ttsCache: TtsCache;

  constructor(private readonly options: VoiceEngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? (() => performance.now());
    this.timers = options.timers ?? REAL_TIMERS;
    this.threads = resolveThreads(this.config);
    this.input = new AudioInput(this.config.audio);
    this.controller = new TurnController(this.config);
    this.micPath = this.newMicPath();
    this.ttsCache = options.ttsCache ?? new TtsCache();
    this.tracer = new TurnTracer((trace) => this.emit({ type: 'trace', trace }));
  }

  on(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get engineState(): EngineState {
    return this.state;
  }

  /** Input frames waiting for the VAD (a feeder faster than real time can wait on this). */
  get inputBacklog(): number {
    return this.input.queuedFrames;
  }

  /** True while a turn is being heard or answered (or its record is being written). */
  get busy(): boolean {
    return (
      this.controller.busy ||
      this.pumping ||
      this.pttMarks.length > 0 ||
      this.input.queuedFrames > 0 ||
      this.pendingTurnDone > 0 ||
      this.reloading !== undefined
    );
  }

  /** Events that bring a newly attached observer (a reopened window, a new socket) up to date. */
  snapshot(): EngineEvent[] {
    const events: EngineEvent[] = [{ type: 'state', state: this.state }];
    if (this.backends) events.push({ type: 'backends', backends: this.backends });
    events.push({ type: 'history', turns: this.journalTurns() });
    events.push(this.controller.phaseEvent());
    return events;
  }

  /** Engine clock: ms since the first input (audio frame or typed text). */
  now(): number {
    const t = this.clock();
    this.clockOrigin ??= t;
    return t - this.clockOrigin;
  }

  /** load → restore the conversation → warm (so the first turn finds the history cached) → ready. */
  async load(loadStages: () => Promise<SpeechStages>): Promise<void> {
    try {
      this.setState('loading');
      this.stages = await loadStages();
      await this.restoreConversation();
      this.setState('warming');
      const { vad, stt, llm, tts } = this.stages;
      for (const stage of [vad, stt, llm, tts]) await stage.warm();
      if (this.options.prewarmUnits?.length) {
        await this.ttsCache.prewarm(tts, this.options.prewarmUnits, this.config.tts.voice, this.config.tts.speed);
      }
      this.backends = { vad: vad.backend, stt: stt.backend, llm: llm.backend, tts: tts.backend };
      this.emit({ type: 'backends', backends: this.backends });
      this.setState('ready');
      this.emit(this.controller.phaseEvent());
    } catch (error) {
      this.setState('error', messageOf(error));
      this.emit({ type: 'error', code: 'load_failed', message: messageOf(error), fatal: true });
      throw error;
    }
  }

  /** Applies one (already validated) command. Never throws: problems become `error` events. */
  handle(command: EngineCommand): void {
    try {
      this.apply(command);
    } catch (error) {
      this.emit({ type: 'error', code: 'command_failed', message: `${command.type}: ${messageOf(error)}`, fatal: false });
    }
  }

  async dispose(): Promise<void> {
    this.perform(this.controller.cancel(this.now()));
    if (this.deadlineTimer !== undefined) this.timers.clearTimeout(this.deadlineTimer);
    await this.turnDone;
    await this.reloading;
    const stages = this.stages;
    this.stages = undefined;
    if (stages && !this.options.sharedStages) {
      for (const stage of [stages.vad, stages.stt, stages.llm, stages.tts]) {
        await stage.dispose().catch(() => undefined);
      }
    }
    this.setState('disposed');
    this.listeners.clear();
  }

  // ── commands ────────────────────────────────────────────────────────────────────────────────

  private apply(command: EngineCommand): void {
    const t = this.now();
    switch (command.type) {
      case 'audio':
        return this.pushAudio(command.samples, command.sampleRate, t);
      case 'ptt':
        return this.ptt(command.pressed, t);
      case 'set_mode':
        this.keyDown = false;
        this.pttMarks.length = 0;
        return this.perform(this.controller.setMode(command.mode, t));
      case 'mute':
        return this.perform(this.controller.mute(command.muted, t));
      case 'cancel':
        return this.perform(this.controller.cancel(t));
      case 'playback_started':
        this.placeStartedReference(command.turn, t);
        return this.perform(this.controller.playbackStarted(command.turn, t));
      case 'unit_played':
        this.playerReports = true;
        this.answers.get(command.turn)?.markPlayed(command.unit);
        return this.perform(this.controller.unitPlayed(command.turn, command.unit, t));
      case 'configure':
        return this.configure(command.patch, t);
      case 'text_input':
        if (this.state !== 'ready') {
          this.emit({ type: 'error', code: 'not_ready', message: 'the engine is still loading; try again in a moment', fatal: false });
          return;
        }
        return this.perform(this.controller.textInput(command.text.trim(), t));
      case 'clear_history':
        void this.clearHistory(t);
        return;
      case 'get_history':
        return this.emit({ type: 'history', turns: this.journalTurns() });
    }
  }

  private pushAudio(samples: Float32Array, sampleRate: number, t: number): void {
    if (this.state !== 'ready') return;
    if (!this.controller.wantsAudio(this.keyDown)) {
      // Muted, or push-to-talk with the key up: nothing is heard; the meter still runs unless muted.
      if (!this.controller.isMuted) this.emitLevel(samples, t);
      return;
    }
    const result = this.input.push(samples, sampleRate);
    if (!result.ok) {
      this.emit({ type: 'error', code: result.error.code, message: result.error.message, fatal: false });
      return;
    }
    this.arrivals.push({ inputMs: this.input.clockMs, t });
    if (this.arrivals.length > 512) this.arrivals.splice(0, this.arrivals.length - 512);
    if (result.dropped > 0) {
      this.droppedFrames += result.dropped;
      this.emit({ type: 'input_dropped', t, dropped: result.dropped, total: this.droppedFrames });
    }
    void this.pump();
  }

  private ptt(pressed: boolean, t: number): void {
    if (this.state !== 'ready' || pressed === this.keyDown) return;
    this.keyDown = pressed;
    this.pttMarks.push({ atMs: this.input.clockMs, pressed, t });
    void this.pump();
  }

  /** Applies the presses and releases that came before input-clock time `beforeMs`. */
  private applyPttMarks(beforeMs: number): void {
    for (let mark = this.pttMarks[0]; mark && mark.atMs <= beforeMs; mark = this.pttMarks[0]) {
      this.pttMarks.shift();
      this.perform(mark.pressed ? this.controller.pttDown(mark.t) : this.controller.pttUp(mark.t));
    }
  }

  // ── audio path ──────────────────────────────────────────────────────────────────────────────

  /** Drains queued windows through the VAD and the controller; resolves when the queue is empty. */
  private pump(): Promise<void> {
    if (!this.pumping) {
      this.pumping = true;
      this.pumpRun = this.runPump();
    }
    return this.pumpRun ?? Promise.resolve();
  }

  private async runPump(): Promise<void> {
    try {
      const vad = this.stages?.vad;
      if (!vad) return;
      for (const window of this.input.drain()) {
        const heard = await this.micPath.hear(window.samples, window.endMs);
        this.onWindow(window, heard);
      }
    } catch (error) {
      this.emit({ type: 'error', code: 'vad_failed', message: messageOf(error), fatal: false });
    } finally {
      // Synchronously with the queue running empty: a frame pushed from now on starts a new run,
      // and every press or release that came after the audio heard so far applies now.
      this.pumping = false;
      this.applyPttMarks(Infinity);
    }
  }

  /** `heard`: the echo-reduced window (lagging the raw one by the guard's latency) and its VAD probability. */
  private onWindow(window: VadWindow, heard: Awaited<ReturnType<EchoSafeBargeIn['hear']>>): void {
    this.applyPttMarks(window.startMs);
    const t = this.engineTime(heard.endMs);
    if (t - this.lastLevelAt >= LEVEL_EVERY_MS) {
      this.lastLevelAt = t;
      this.emit({ type: 'level', t, rms: window.rms, peak: window.peak });
    }
    const { samples, probability, startMs, endMs, echoFraction } = heard;
    this.perform(this.controller.window({ samples, probability, startMs, endMs, t, echoFraction, timeOf: (inputMs) => this.engineTime(inputMs) }));
  }

  private newMicPath(): EchoSafeBargeIn {
    const vad = {
      probability: (window: Float32Array): Promise<number> => this.requireStages().vad.probability(window),
    };
    return new EchoSafeBargeIn(vad, this.config);
  }

  // ── the echo guard's reference: what the player is playing, on the input clock ──────────────

  /** An answer's audio went to the player: it is heard from its playback start, else now. */
  private onAnswerAudio(turn: number, samples: Float32Array, sampleRate: number): void {
    if (!this.config.echo.enabled) return;
    if (this.playerReports && !this.playingTurns.has(turn)) {
      const queued = this.unheardAudio.get(turn) ?? [];
      queued.push({ samples: samples.slice(), sampleRate });
      this.unheardAudio.set(turn, queued);
      return;
    }
    // Without player reports (CLI), or after playback started: contiguous, or now if the queue ran dry.
    const guard = this.micPath.guard;
    guard.addReference(samples, sampleRate, Math.max(guard.referenceEndMs, this.inputMsAt(this.now())));
  }

  private placeStartedReference(turn: number, t: number): void {
    this.playerReports = true;
    this.playingTurns.add(turn);
    if (this.playingTurns.size > 64) this.playingTurns.delete(this.playingTurns.values().next().value as number);
    const queued = this.unheardAudio.get(turn) ?? [];
    this.unheardAudio.delete(turn);
    let startMs = this.inputMsAt(t);
    for (const { samples, sampleRate } of queued) {
      this.micPath.guard.addReference(samples, sampleRate, startMs);
      startMs += (samples.length * 1000) / sampleRate;
    }
  }

  /** The player dropped what it had queued (barge-in, cancel): that audio will not be heard. */
  private cutReference(turn: number): void {
    this.unheardAudio.delete(turn);
    this.micPath.guard.cutReference(this.inputMsAt(this.now()));
  }

  // ── performing the controller's actions ─────────────────────────────────────────────────────

  private perform(actions: TurnAction[]): void {
    for (const action of actions) this.performOne(action);
    // Segments no answer claimed (utterance windows, the speculative cut) are transcribed now.
    for (const segments of this.segments.values()) {
      for (const segment of segments) segment.text ??= this.transcribe(segment.audio).catch(() => '');
    }
    this.armDeadline();
    this.maybeReload();
  }

  private performOne(action: TurnAction): void {
    if (PREFILL_STOPPERS.has(action.type)) this.stopPrefill();
    switch (action.type) {
      case 'emit':
        return this.emit(action.event);
      case 'transcribe_segment': {
        const segments = this.segments.get(action.turn) ?? [];
        segments.push({ audio: action.audio });
        this.segments.set(action.turn, segments);
        return;
      }
      case 'transcribe_partial':
        return this.partial(action.turn, action.audio);
      case 'start_answer':
        return this.startAnswer(action.turn, action.speculative, action.text);
      case 'confirm_answer':
        return this.answers.get(action.turn)?.confirm();
      case 'discard_answer':
        this.unheardAudio.delete(action.turn);
        this.answers.get(action.turn)?.discard();
        this.answers.delete(action.turn);
        return;
      case 'pause_answer':
        this.cutReference(action.turn);
        return this.answers.get(action.turn)?.pause();
      case 'resume_answer':
        return this.answers.get(action.turn)?.resume(action.fromUnit);
      case 'stop_answer':
        this.cutReference(action.turn);
        return this.answers.get(action.turn)?.interrupt();
      case 'finalize_answer':
        return this.finalize(action.turn, action.interrupted, action.playerAttached);
      case 'forget_turn':
        this.segments.delete(action.turn);
        this.unheardAudio.delete(action.turn);
        return;
      case 'reset_input':
        this.input.clear();
        this.stages?.vad.reset();
        return;
    }
  }

  private startAnswer(turn: number, speculative: boolean, typed: string | undefined): void {
    const { llm, tts } = this.requireStages();
    const handle = new AnswerHandle(turn, speculative, {
      llm,
      tts,
      config: () => this.config,
      now: () => this.now(),
      emit: (event) => this.emit(event),
      report: (report) => this.perform(this.controller.answerReport(turn, report, this.now())),
      cache: this.ttsCache,
      createUnitSplitter: this.options.createUnitSplitter,
    });
    this.answers.set(turn, handle);
    const segments = [...(this.segments.get(turn) ?? [])];
    // A speculative answer's segment is kept if the answer is discarded: it runs on its own.
    // Otherwise the answer's signal stops the tail's transcription with the answer.
    for (const segment of segments) segment.text ??= this.transcribe(segment.audio, speculative ? undefined : handle.signal).catch(() => '');
    void handle.run(async () => {
      if (typed !== undefined) return typed;
      const texts = await Promise.all(segments.map((s) => s.text ?? Promise.resolve('')));
      return texts.filter(Boolean).join(' ');
    });
  }

  private partial(turn: number, audio: Float32Array): void {
    if (this.sttRuns > 0) return; // a partial never queues behind another transcription
    // Partials re-transcribe the growing utterance; with base.en-sized models on a few cores each
    // pass is long, and the final transcription at the pause would wait behind one. Keep partials
    // to a bounded share of the STT's time, so at a pause one is rarely running.
    const started = this.now();
    if (started < this.nextPartialAt) return;
    const earlier = (this.segments.get(turn) ?? []).map((s) => s.text ?? Promise.resolve(''));
    void this.transcribe(audio, undefined, true)
      .finally(() => {
        const ended = this.now();
        this.nextPartialAt = ended + PARTIAL_IDLE_FACTOR * (ended - started);
      })
      .then(async (tail) => {
        const text = [...(await Promise.all(earlier)), tail].filter(Boolean).join(' ');
        if (!text || !this.controller.isHearing(turn)) return;
        this.emit({ type: 'stt_partial', turn, t: this.now(), text });
        this.prefill(text);
      })
      .catch(() => undefined);
  }

  /**
   * Preemptive generation: the stable part of a partial transcript goes into the LLM's cache, so at
   * the end of the turn only the last words are new. Only when nothing else needs the cores: no
   * answer live, the STT idle, no TTS run going.
   */
  private prefill(partialText: string): void {
    const llm = this.stages?.llm;
    const text = stablePart(partialText);
    if (!llm?.prefill || !text || !this.config.turn.prefill || this.config.turn.mode !== 'always-listening') return;
    if (this.answers.size > 0 || this.sttRuns > 0 || this.stages?.tts.busy === true || this.controller.isMuted) return;
    this.stopPrefill();
    const run = new AbortController();
    this.prefillRun = run;
    void llm.prefill(text, { signal: run.signal }).catch(() => undefined);
  }

  private stopPrefill(): void {
    this.prefillRun?.abort();
    this.prefillRun = undefined;
  }

  private async transcribe(audio: Float32Array, signal?: AbortSignal, partial = false): Promise<string> {
    const { stt, tts } = this.requireStages();
    this.sttRuns++;
    // ggml's threads spin-wait: with the cores already busy (an answer generating, or a TTS run
    // that outlives its cancelled answer) a multi-threaded transcription slows down many times.
    const contended = tts.busy === true || this.controller.generating;
    const threads = contended ? Math.max(1, Math.floor(this.threads.stt / 2)) : undefined;
    try {
      return (await stt.transcribe(audio, { signal, partial, threads })).text.trim();
    } finally {
      this.sttRuns--;
    }
  }

  private finalize(turn: number, interrupted: boolean, playerAttached: boolean): void {
    const handle = this.answers.get(turn);
    this.answers.delete(turn);
    if (!handle) return;
    const outcome = handle.outcome(interrupted, playerAttached);
    const record: ConversationTurn = { turn, ...outcome, at: Date.now() };
    if (outcome.user) {
      const { llm } = this.requireStages();
      void Promise.resolve(llm.commit(outcome.user, outcome.assistant, outcome.interrupted)).catch((error: unknown) =>
        this.emit({ type: 'error', code: 'history_failed', message: messageOf(error), fatal: false }),
      );
    }
    const journal = this.options.journal;
    const done: EngineEvent = { type: 'turn_done', turn, t: this.now(), ...outcome };
    if (!journal || !outcome.user) {
      this.emitTurnDone(done);
      return;
    }
    // Durable before turn_done: a crash after the event never loses the turn it announced.
    this.pendingTurnDone++;
    const written = journal.append(record).catch((error: unknown) =>
      this.emit({ type: 'error', code: 'journal_failed', message: `could not save the turn to ${journal.file}: ${messageOf(error)}`, fatal: false }),
    );
    this.turnDone = Promise.all([this.turnDone, written]).then(() => {
      this.pendingTurnDone--;
      this.emitTurnDone(done);
    });
  }

  private emitTurnDone(done: EngineEvent): void {
    this.emit(done);
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const deadline = this.controller.nextDeadline();
    if (deadline === undefined) return;
    this.deadlineTimer = this.timers.setTimeout(() => {
      this.deadlineTimer = undefined;
      this.perform(this.controller.tick(this.now()));
    }, Math.max(0, deadline - this.now()));
  }

  // ── configure ───────────────────────────────────────────────────────────────────────────────

  /**
   * Applies live what can be (the controller's thresholds and mode, voice, speed, prompt…),
   * reloads the affected stages between turns, and reports what needs a restart.
   */
  private configure(patch: Parameters<typeof mergeConfig>[1], t: number): void {
    const next = mergeConfig(this.config, patch);
    const change = classifyConfigChange(this.config, next, this.options.reloadStage !== undefined);
    const before = this.config;
    // What needs a restart keeps its old value until then.
    this.config = change.restartRequired.length > 0 ? mergeConfig(next, restoreRestartPaths(before, change.restartRequired)) : next;
    this.threads = resolveThreads(this.config);
    if (this.config.llm.systemPrompt !== before.llm.systemPrompt && this.stages) {
      void Promise.resolve(this.stages.llm.setSystemPrompt(this.config.llm.systemPrompt)).catch((error: unknown) =>
        this.emit({ type: 'error', code: 'configure_failed', message: `system prompt: ${messageOf(error)}`, fatal: false }),
      );
    }
    if (JSON.stringify(this.config.echo) !== JSON.stringify(before.echo)) this.micPath = this.newMicPath();
    if (this.config.tts.voice !== before.tts.voice || this.config.tts.speed !== before.tts.speed) this.ttsCache.clear();
    if (this.config.turn.mode !== before.turn.mode) {
      this.keyDown = false;
      this.pttMarks.length = 0;
    }
    this.perform(this.controller.configure(this.config, t));
    if (change.reloaded.length === 0) {
      this.emit({ type: 'config_applied', ...change });
      return;
    }
    for (const stage of change.reloaded) this.pendingReloads.add(stage);
    this.reloadNotice = mergeChanges(this.reloadNotice, change);
    this.maybeReload();
  }

  /** Reloads stages whose settings changed, only between turns (never under a turn in progress). */
  private maybeReload(): void {
    if (this.pendingReloads.size === 0 || this.reloading || this.controller.busy || !this.stages) return;
    const reload = this.options.reloadStage;
    if (!reload) return;
    const names = STAGE_NAMES.filter((name) => this.pendingReloads.has(name));
    this.pendingReloads.clear();
    const notice = this.reloadNotice;
    this.reloadNotice = undefined;
    const config = this.config;
    this.reloading = (async () => {
      for (const name of names) {
        try {
          const fresh = await reload(name, config);
          await fresh.warm();
          const stages = this.stages;
          if (!stages) {
            await fresh.dispose();
            return;
          }
          const old = stages[name];
          (stages as unknown as Record<StageName, Stage>)[name] = fresh;
          if (this.backends) {
            this.backends = { ...this.backends, [name]: fresh.backend };
            this.emit({ type: 'backends', backends: this.backends });
          }
          if (!this.options.sharedStages) await old.dispose().catch(() => undefined);
          if (name === 'llm') await stages.llm.restore(this.journalTurns());
        } catch (error) {
          this.emit({ type: 'error', code: 'reload_failed', message: `could not reload the ${name} stage: ${messageOf(error)}`, fatal: false });
        }
      }
      if (notice) this.emit({ type: 'config_applied', ...notice });
    })().finally(() => {
      this.reloading = undefined;
    });
  }

  // ── conversation memory ─────────────────────────────────────────────────────────────────────

  private async restoreConversation(): Promise<void> {
    const journal = this.options.journal;
    if (!journal) return;
    const { turns, skippedLines } = journal.read();
    if (skippedLines > 0) {
      this.emit({ type: 'error', code: 'journal_torn', message: `skipped ${skippedLines} unreadable line(s) in ${journal.file} (a torn write after a crash); every complete turn was restored`, fatal: false });
    }
    this.controller.restoreTurnCounter(turns.reduce((max, turn) => Math.max(max, turn.turn), 0));
    await this.requireStages().llm.restore(turns);
    this.emit({ type: 'history', turns });
  }

  private journalTurns(): ConversationTurn[] {
    return [...(this.options.journal?.turns ?? [])];
  }

  private async clearHistory(t: number): Promise<void> {
    this.perform(this.controller.clear(t));
    await this.turnDone;
    try {
      await this.options.journal?.clear();
    } catch (error) {
      this.emit({ type: 'error', code: 'journal_failed', message: `could not clear ${this.options.journal?.file}: ${messageOf(error)}`, fatal: false });
    }
    await this.stages?.llm.clear();
    this.emit({ type: 'history', turns: [] });
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  /** Engine time of a point on the input clock (exact for windows whose frame has arrived). */
  private engineTime(inputMs: number): number {
    for (const arrival of this.arrivals) {
      if (arrival.inputMs >= inputMs) return roundMs(arrival.t - (arrival.inputMs - inputMs));
    }
    const last = this.arrivals.at(-1);
    return last ? roundMs(last.t - (last.inputMs - inputMs)) : this.now();
  }

  /** Input-clock time of engine time `t` (extrapolated from the latest arrival). */
  private inputMsAt(t: number): number {
    const last = this.arrivals.at(-1);
    return last ? last.inputMs + (t - last.t) : this.input.clockMs;
  }

  private emitLevel(samples: Float32Array, t: number): void {
    if (t - this.lastLevelAt < LEVEL_EVERY_MS || samples.length === 0) return;
    this.lastLevelAt = t;
    let sum = 0;
    let peak = 0;
    for (const v of samples) {
      const a = Number.isFinite(v) ? Math.abs(v) : 0;
      sum += a * a;
      if (a > peak) peak = a;
    }
    this.emit({ type: 'level', t, rms: Math.sqrt(sum / samples.length), peak: Math.min(1, peak) });
  }

  private setState(state: EngineState, detail?: string): void {
    this.state = state;
    this.emit({ type: 'state', state, ...(detail ? { detail } : {}) });
  }

  private requireStages(): SpeechStages {
    if (!this.stages) throw new Error('the engine is not loaded');
    return this.stages;
  }

  private emit(event: EngineEvent): void {
    if (event.type === 'speech_start') this.stopPrefill();
    // Before any listener: a listener may transfer the samples to another process.
    if (event.type === 'audio') this.onAnswerAudio(event.turn, event.samples, event.sampleRate);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing observer must not break the engine.
      }
    }
    this.tracer.observe(event);
  }
}

function mergeChanges(a: ConfigApplied | undefined, b: ConfigApplied): ConfigApplied {
  if (!a) return b;
  const union = <T>(x: T[], y: T[]): T[] => [...new Set([...x, ...y])];
  return { applied: union(a.applied, b.applied), reloaded: union(a.reloaded, b.reloaded), restartRequired: union(a.restartRequired, b.restartRequired) };
}

/** A patch that puts back the old values of the given dotted paths. */
function restoreRestartPaths(before: EngineConfig, paths: string[]): Parameters<typeof mergeConfig>[1] {
  const patch: Record<string, Record<string, unknown>> = {};
  for (const dotted of paths) {
    const [section, key] = dotted.split('.') as [keyof EngineConfig, string];
    const value = (before[section] as Record<string, unknown>)[key];
    patch[section] = { ...patch[section], [key]: value };
  }
  return patch as Parameters<typeof mergeConfig>[1];
}


/** Actions that end the moment a prefill serves: an answer starts or stops, the input resets (mute, mode change). */
const PREFILL_STOPPERS = new Set<TurnAction['type']>(['start_answer', 'pause_answer', 'stop_answer', 'reset_input', 'forget_turn']);

/** The partial transcript without its last word (the word Whisper most often revises as more audio comes). */
export function stablePart(text: string): string {
  const words = text.trim().split(/\s+/);
  return words.length < 2 ? '' : words.slice(0, -1).join(' ');
}
