import { mergeConfig, type EngineConfig, type EngineConfigPatch } from '../../shared/config';
import type { EngineEvent, EngineState } from '../../shared/events';
import type { EngineCommand } from '../../shared/protocol';
import { EchoReferenceSchedule } from '../mic/echo/reference-schedule';
import { MicListener } from '../mic/mic-listener';
import type { SpeechStages } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';
import { StageSet } from '../stages/stage-set';
import { resolveThreads, type ThreadPlan } from '../stages/threads';
import { Answers } from './answers';
import { CommandQueue } from './command-queue';
import { applyLiveChanges, applyPatch } from './configure';
import { Conversation } from './conversation';
import { DeadlineTimer, REAL_TIMERS } from './deadline-timer';
import { EngineLifecycle } from './engine-lifecycle';
import { StageReloader } from './stage-reloader';
import { TurnTracer } from './trace';
import { TurnJudge } from './turn-judge';
import { Transcriber } from './transcriber';
import { TtsCache } from './tts-cache';
import { TurnController, type TurnAction } from './turn-controller';
import type { VoiceEngineOptions } from './engine-options';

export type { VoiceEngineOptions } from './engine-options';

/** Actions that end the moment a prefill serves: an answer starts or stops, the input resets (mute, mode change). */
const PREFILL_STOPPERS = new Set<TurnAction['type']>(['start_answer', 'pause_answer', 'stop_answer', 'reset_input', 'forget_turn']);

/**
 * The speech engine: audio frames and commands in, typed events out. It feeds the pure
 * `TurnController` (all turn policy) and performs its actions through the parts that own each job:
 * the mic path (echo guard + VAD), the transcriber, one `AnswerHandle` per answer, the conversation
 * (LLM history + journal), the stage reloader. Stages are injected (see runtime.ts); nothing here
 * knows about files, processes or Electron.
 *
 * Commands are never re-entrant: one that arrives while the engine is performing (a listener that
 * calls `handle` from inside an event) is applied after the current action list.
 */
export class VoiceEngine {
  private config: EngineConfig;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly clock: () => number;
  private clockOrigin: number | undefined;
  private stages: StageSet | undefined;
  private state: EngineState = 'idle';
  private threads: ThreadPlan;

  private readonly mic: MicListener;
  private readonly controller: TurnController;
  private readonly references: EchoReferenceSchedule;
  private readonly transcriber: Transcriber;
  private readonly conversation: Conversation;
  private readonly reloader: StageReloader;
  private readonly answers: Answers;
  private readonly tracer: TurnTracer;
  /** Load → ready, and the standby's way there (`loadStandby`, `follow`, `activate`). */
  readonly lifecycle: EngineLifecycle;
  private readonly turnJudge: TurnJudge;
  readonly ttsCache: TtsCache;

  private readonly deadline: DeadlineTimer;
  /** Commands and actions are applied one at a time (a listener calling `handle` inside `emit` waits). */
  private readonly commands = new CommandQueue<EngineCommand>(
    (command) => this.apply(command),
    (command, error) => this.emit({ type: 'error', code: 'command_failed', message: `${command.type}: ${messageOf(error)}`, fatal: false }),
  );

  constructor(private readonly options: VoiceEngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? (() => performance.now());
    this.deadline = new DeadlineTimer(options.timers ?? REAL_TIMERS, () => this.now());
    this.threads = resolveThreads(this.config);
    this.controller = new TurnController(this.config);
    this.ttsCache = options.ttsCache ?? new TtsCache();
    this.tracer = new TurnTracer((trace) => this.emit({ type: 'trace', trace }));
    const emit = (event: EngineEvent): void => this.emit(event);
    const microphone = (fromMs: number, toMs: number): Float32Array => this.mic.path.microphone(fromMs, toMs);
    this.mic = new MicListener(this.config, {
      now: () => this.now(),
      emit,
      vad: () => this.stages?.vad,
      wantsAudio: (keyDown) => this.controller.wantsAudio(keyDown),
      muted: () => this.controller.isMuted,
      heard: (window, t, timeOf) => this.perform(this.controller.window({ ...window, t, timeOf, microphone })),
      pushToTalk: (mark) => this.perform(mark.pressed ? this.controller.pttDown(mark.t) : this.controller.pttUp(mark.t)),
    });
    this.references = new EchoReferenceSchedule(() => this.mic.path);
    this.transcriber = new Transcriber({
      stages: () => this.requireStages(),
      config: () => this.config,
      threads: () => this.threads,
      now: () => this.now(),
      emit,
      isHearing: (turn) => this.controller.isHearing(turn),
      generating: () => this.controller.generating,
      answering: () => this.answers.any,
      muted: () => this.controller.isMuted,
    });
    this.conversation = new Conversation(options.journal, emit);
    this.answers = new Answers({
      stages: () => this.requireStages(),
      config: () => this.config,
      now: () => this.now(),
      emit,
      report: (turn, report) => this.perform(this.controller.answerReport(turn, report, this.now())),
      cache: this.ttsCache,
      createUnitSplitter: options.createUnitSplitter,
    });
    this.turnJudge = new TurnJudge({ stage: () => this.stages?.turn, emit, verdict: (turn, request, v) => this.perform(this.controller.turnVerdict(turn, request, v, this.now())) });
    this.lifecycle = new EngineLifecycle({
      state: () => this.state,
      setState: (state, detail) => this.setState(state, detail),
      install: (stages) => (this.stages = new StageSet(stages, this.options.stageOwnership ?? 'owned')),
      restoreTurnCounter: (last) => this.controller.restoreTurnCounter(last),
      conversation: this.conversation,
      emit,
      ready: () => this.perform(this.controller.setTurnModel(this.turnJudge.available(this.config))),
    });
    this.reloader = new StageReloader(options.reloadStages, {
      stages: () => this.stages,
      emit,
      history: () => this.conversation.turns(),
      ready: () => this.state === 'ready',
      rollback: (patch) => this.setConfig(mergeConfig(this.config, patch)),
    });
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
    return this.mic.backlog;
  }

  /** True while a turn is being heard or answered (or its record is being written). */
  get busy(): boolean {
    return this.controller.busy || this.mic.busy || this.conversation.writing || this.reloader.running !== undefined;
  }

  /** Events that bring a newly attached observer (a reopened window, a new socket) up to date. */
  snapshot(): EngineEvent[] {
    const events: EngineEvent[] = [{ type: 'state', state: this.state }];
    if (this.stages && this.state === 'ready') events.push({ type: 'backends', backends: this.stages.backends });
    events.push({ type: 'history', turns: this.conversation.turns() });
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
  load(loadStages: () => Promise<SpeechStages>): Promise<void> {
    return this.lifecycle.load(loadStages);
  }

  /** Applies one (already validated) command. Never throws: problems become `error` events. */
  handle(command: EngineCommand): void {
    this.commands.submit(command);
  }

  async dispose(): Promise<void> {
    this.perform(this.controller.cancel(this.now()));
    this.deadline.cancel();
    await this.conversation.settled();
    await this.reloader.running;
    const stages = this.stages;
    this.stages = undefined;
    await stages?.dispose();
    this.setState('disposed');
    this.listeners.clear();
  }

  // ── commands ────────────────────────────────────────────────────────────────────────────────

  private apply(command: EngineCommand): void {
    const t = this.now();
    switch (command.type) {
      case 'audio':
        if (this.state === 'ready') this.mic.push(command.samples, command.sampleRate, t);
        return;
      case 'ptt':
        if (this.state === 'ready') this.mic.press(command.pressed, t);
        return;
      case 'set_mode':
        this.mic.resetPushToTalk();
        return this.perform(this.controller.setMode(command.mode, t));
      case 'mute':
        return this.perform(this.controller.mute(command.muted, t));
      case 'cancel':
        return this.perform(this.controller.cancel(t));
      case 'playback_started':
        this.references.playbackStarted(command.turn, this.mic.inputMsAt(t));
        return this.perform(this.controller.playbackStarted(command.turn, t));
      case 'unit_played':
        this.references.playerReported();
        this.answers.markPlayed(command.turn, command.unit);
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
        this.perform(this.controller.clear(t));
        void this.conversation.clear(this.stages?.llm);
        return;
      case 'get_history':
        return this.emit({ type: 'history', turns: this.conversation.turns() });
    }
  }

  // ── performing the controller's actions ─────────────────────────────────────────────────────

  private perform(actions: TurnAction[]): void {
    this.commands.run(() => {
      for (const action of actions) this.performOne(action);
      this.transcriber.transcribeUnclaimed();
      this.deadline.arm(this.controller.nextDeadline(), () => this.perform(this.controller.tick(this.now())));
      this.reloader.maybeRun(this.config, !this.controller.busy);
    });
  }

  private performOne(action: TurnAction): void {
    if (PREFILL_STOPPERS.has(action.type)) this.transcriber.stopPrefill();
    switch (action.type) {
      case 'emit':
        return this.emit(action.event);
      case 'transcribe_segment':
        return this.transcriber.addSegment(action.turn, action.audio);
      case 'transcribe_partial':
        return this.transcriber.partial(action.turn, action.audio);
      case 'start_answer':
        return this.answers.start(action.turn, action.speculative, (signal) => this.transcriber.textOf(action.turn, action.speculative, signal), action.text);
      case 'confirm_answer':
        return this.answers.confirm(action.turn);
      case 'discard_answer':
        this.references.forget(action.turn);
        return this.answers.discard(action.turn);
      case 'pause_answer':
        this.references.cut(action.turn, this.mic.inputMsAt(this.now()));
        return this.answers.pause(action.turn);
      case 'resume_answer':
        return this.answers.resume(action.turn, action.fromUnit);
      case 'stop_answer':
        this.references.cut(action.turn, this.mic.inputMsAt(this.now()));
        return this.answers.stop(action.turn);
      case 'finalize_answer': {
        const outcome = this.answers.finish(action.turn, action.interrupted, action.playerAttached);
        if (outcome) this.conversation.finish(action.turn, outcome, this.requireStages().llm, this.now(), this.tracer.finishing(action.turn, { t: this.now(), ...outcome }));
        return;
      }
      case 'forget_turn':
        this.transcriber.forget(action.turn);
        this.references.forget(action.turn);
        return;
      case 'reset_input':
        return this.mic.clear();
      case 'classify_turn':
        return this.turnJudge.classify(action.turn, action.request, action.audio);
    }
  }

  // ── configure ───────────────────────────────────────────────────────────────────────────────

  /**
   * Applies live what can be (the controller's thresholds and mode, voice, speed, prompt…),
   * reloads the affected stages between turns, and reports what needs a restart.
   */
  private configure(patch: EngineConfigPatch, t: number): void {
    const before = this.config;
    const { config, change } = applyPatch(before, patch, this.reloader.available);
    this.setConfig(config);
    applyLiveChanges(before, this.config, {
      llm: this.stages?.llm,
      emit: (event) => this.emit(event),
      configureEcho: (config) => this.mic.configureEcho(config),
      clearTtsCache: () => this.ttsCache.clear(),
      resetPushToTalk: () => this.mic.resetPushToTalk(),
    });
    this.perform(this.controller.configure(this.config, t));
    if (this.config.turn.endOfTurn !== before.turn.endOfTurn) this.turnJudge.available(this.config);
    if (change.reloaded.length === 0) {
      this.emit({ type: 'config_applied', ...change });
      return;
    }
    this.reloader.request(change, before);
    this.reloader.maybeRun(this.config, !this.controller.busy);
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  private setConfig(config: EngineConfig): void {
    this.config = config;
    this.threads = resolveThreads(config);
  }

  private setState(state: EngineState, detail?: string): void {
    this.state = state;
    this.emit({ type: 'state', state, ...(detail ? { detail } : {}) });
  }

  private requireStages(): StageSet {
    if (!this.stages) throw new Error('the engine is not loaded');
    return this.stages;
  }

  private emit(event: EngineEvent): void {
    if (event.type === 'speech_start') this.transcriber.stopPrefill();
    // Before any listener: a listener may transfer the samples to another process.
    if (event.type === 'audio' && this.config.echo.enabled) {
      this.references.answerAudio(event.turn, event.samples, event.sampleRate, this.mic.inputMsAt(this.now()));
    }
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
