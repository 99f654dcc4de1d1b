import { AudioInput, type VadWindow } from './audio-input';
import { cleanForSpeech, SpeechChunker } from './chunker';
import { mergeConfig, OUTPUT_SAMPLE_RATE, type EngineConfig } from './config';
import { Endpointer, type EndpointEvent } from './endpointing';
import type {
  ConversationTurn,
  EngineEvent,
  EngineState,
  ListenMode,
  StageBackend,
  StageName,
  TurnPhase,
  TurnTrace,
} from './events';
import type { ConversationJournal } from './journal';
import type { EngineCommand } from './protocol';
import { resolveThreads, type ThreadPlan } from './threads';
import { TurnTracer } from './trace';

/** What the engine needs from each model stage (the stage classes implement these). */
export interface Stage {
  readonly backend: StageBackend;
  warm(): Promise<void>;
  dispose(): Promise<void>;
}
export interface VadStage extends Stage {
  probability(window: Float32Array): Promise<number>;
  reset(): void;
}
export interface SttStage extends Stage {
  transcribe(audio: Float32Array, options: { signal?: AbortSignal; partial?: boolean; threads?: number }): Promise<{ text: string }>;
}
export interface LlmStage extends Stage {
  respond(
    userText: string,
    options: { signal?: AbortSignal; onToken?: (text: string) => void },
  ): Promise<{ text: string; tokens: number; aborted: boolean }>;
  commit(user: string, assistantSpoken: string, interrupted: boolean): void | Promise<void>;
  restore(turns: ReadonlyArray<{ user: string; assistant: string; interrupted: boolean }>): void | Promise<void>;
  clear(): void | Promise<void>;
}
export interface TtsStage extends Stage {
  /** An inference is running (possibly one that was abandoned: ONNX runs cannot be interrupted). */
  readonly busy?: boolean;
  synthesize(text: string, options: { signal?: AbortSignal; voice?: string; speed?: number }): Promise<Float32Array>;
}
export interface SpeechStages {
  vad: VadStage;
  stt: SttStage;
  llm: LlmStage;
  tts: TtsStage;
}

export interface VoiceEngineOptions {
  config: EngineConfig;
  journal?: ConversationJournal;
  /** Monotonic clock in ms (tests may inject one). */
  clock?: () => number;
  /** The stages are shared with other engines (benchmark baseline, tests): dispose() leaves them loaded. */
  sharedStages?: boolean;
  /**
   * How an answer's token stream is cut into speakable units (default: SpeechChunker with
   * `config.chunker`). The benchmark's peer baseline passes the peers' policy here.
   */
  createUnitSplitter?: () => UnitSplitter;
}

/** Token stream → speakable units (SpeechChunker is the engine's own). */
export interface UnitSplitter {
  push(tokenText: string): string[];
  flush(): string[];
}

/** One assistant answer in flight: from the final transcript to the last unit played. */
interface AnswerJob {
  turn: number;
  controller: AbortController;
  /** Started at a pause, before end of turn was confirmed: its events are held back until then. */
  speculative: boolean;
  held: EngineEvent[];
  userText: string;
  /** A speculative job's transcription of the utterance up to its pause (kept if speech resumes). */
  segment?: { text: Promise<string>; endSample: number };
  /** Text and length of each unit whose audio has been emitted. */
  units: { text: string; samples: number }[];
  played: Set<number>;
  generationDone: boolean;
  finalized: boolean;
  firstAudioAt?: number;
  playbackTimer?: ReturnType<typeof setTimeout>;
}

/** A user turn being heard. */
interface HearingTurn {
  turn: number;
  /**
   * Transcripts of the turn's audio so far, in order: utterance windows of a long monologue, and
   * segments transcribed at pauses (a speculative start whose answer was discarded keeps its
   * transcript, so the final pass only transcribes the speech after the last pause).
   */
  segmentTexts: Promise<string>[];
  /** Samples at the start of the current utterance buffer covered by `segmentTexts`. */
  transcribedSamples: number;
  lastPartialAt: number;
  paused: boolean;
}

const LEVEL_EVERY_MS = 64;

/**
 * The speech engine: audio frames in, typed events out. Wires VAD → endpointing → STT → LLM →
 * chunker → TTS for each turn, with push-to-talk, always-listening, barge-in and a speculative
 * start at short pauses. Stages are injected (see runtime.ts); nothing here knows about files,
 * processes or Electron.
 */
export class VoiceEngine {
  private config: EngineConfig;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly clock: () => number;
  private clockOrigin: number | undefined;
  private stages: SpeechStages | undefined;
  private state: EngineState = 'idle';
  private backends: Record<StageName, StageBackend> | undefined;

  private readonly input: AudioInput;
  private endpointer: Endpointer;
  /** (input clock ms after a push, engine time of that push): maps window times onto the engine clock. */
  private readonly arrivals: Array<{ inputMs: number; t: number }> = [];
  private pumping = false;
  private pumpRun: Promise<void> | undefined;
  private lastLevelAt = -Infinity;
  private droppedFrames = 0;

  private mode: ListenMode;
  private muted = false;
  private pttPressed = false;
  private turnCounter = 0;
  private hearing: HearingTurn | undefined;
  private answer: AnswerJob | undefined;
  private voicedDuringAnswerMs = 0;
  private sttBusy = false;
  private playerAttached = false;
  private readonly tracer: TurnTracer;
  private readonly threads: ThreadPlan;
  private readonly traces = new Map<number, TurnTrace>();

  constructor(private readonly options: VoiceEngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? (() => performance.now());
    this.mode = this.config.turn.mode;
    this.threads = resolveThreads(this.config);
    this.input = new AudioInput(this.config.audio);
    this.endpointer = new Endpointer(this.config.vad);
    this.tracer = new TurnTracer((trace) => {
      this.traces.set(trace.turn, trace);
      this.emit({ type: 'trace', trace });
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
    return this.input.queuedFrames;
  }

  /** True while a turn is being heard or answered. */
  get busy(): boolean {
    return this.hearing !== undefined || this.answer !== undefined || this.pumping || this.input.queuedFrames > 0;
  }

  /** Events that bring a newly attached observer (a reopened window, a new socket) up to date. */
  snapshot(): EngineEvent[] {
    const events: EngineEvent[] = [{ type: 'state', state: this.state }];
    if (this.backends) events.push({ type: 'backends', backends: this.backends });
    events.push({ type: 'history', turns: this.journalTurns() });
    events.push(this.phaseEvent());
    return events;
  }

  /** Engine clock: ms since the first input (audio frame or typed text). */
  now(): number {
    const t = this.clock();
    this.clockOrigin ??= t;
    return t - this.clockOrigin;
  }

  /** load → warm → restore the conversation → ready. */
  async load(loadStages: () => Promise<SpeechStages>): Promise<void> {
    try {
      this.setState('loading');
      this.stages = await loadStages();
      this.setState('warming');
      const { vad, stt, llm, tts } = this.stages;
      for (const stage of [vad, stt, llm, tts]) await stage.warm();
      this.backends = { vad: vad.backend, stt: stt.backend, llm: llm.backend, tts: tts.backend };
      this.emit({ type: 'backends', backends: this.backends });
      await this.restoreConversation();
      this.setState('ready');
      this.emitPhase();
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
    this.abortAnswer('engine stopped', false);
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
    switch (command.type) {
      case 'audio':
        return this.pushAudio(command.samples, command.sampleRate);
      case 'ptt':
        return command.pressed ? this.pttDown() : this.pttUp();
      case 'set_mode':
        this.mode = command.mode;
        this.pttPressed = false;
        this.resetListening();
        return this.emitPhase();
      case 'mute':
        this.muted = command.muted;
        if (command.muted) this.resetListening();
        return this.emitPhase();
      case 'cancel':
        return this.abortAnswer('cancelled by the user', true);
      case 'playback_started':
        return this.onPlaybackStarted(command.turn);
      case 'unit_played':
        return this.onUnitPlayed(command.turn, command.unit);
      case 'configure':
        this.config = mergeConfig(this.config, command.patch);
        this.mode = command.patch.turn?.mode ?? this.mode;
        if (command.patch.vad) this.endpointer = new Endpointer(this.config.vad);
        return;
      case 'text_input':
        return this.typedTurn(command.text);
      case 'clear_history':
        void this.clearHistory();
        return;
      case 'get_history':
        return this.emit({ type: 'history', turns: this.journalTurns() });
    }
  }

  private pushAudio(samples: Float32Array, sampleRate: number): void {
    const t = this.now();
    if (this.state !== 'ready' || this.muted) return;
    if (this.mode === 'push-to-talk' && !this.pttPressed) {
      // Push-to-talk hears only while the key is held (barge-in is pressing it); the meter still runs.
      this.emitLevel(samples, t);
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

  private pttDown(): void {
    if (this.pttPressed || this.state !== 'ready') return;
    if (this.answer) this.bargeIn(this.now());
    this.pttPressed = true;
    this.resetListening();
    this.emitPhase();
  }

  private pttUp(): void {
    if (!this.pttPressed) return;
    this.pttPressed = false;
    const t = this.now();
    // Let the windows already queued reach the endpointer first, then close the turn.
    void this.pump().then(() => {
      for (const event of this.endpointer.forceEnd(this.inputMsAt(t))) this.onEndpoint(event);
      this.emitPhase();
    });
  }

  // ── audio path ──────────────────────────────────────────────────────────────────────────────

  /** Drains queued windows through the VAD and endpointer; resolves when the queue is empty. */
  private pump(): Promise<void> {
    this.pumpRun ??= this.runPump().finally(() => {
      this.pumpRun = undefined;
    });
    return this.pumpRun;
  }

  private async runPump(): Promise<void> {
    this.pumping = true;
    try {
      const vad = this.stages?.vad;
      if (!vad) return;
      for (const window of this.input.drain()) {
        const probability = await vad.probability(window.samples);
        this.onWindow(window, probability);
      }
    } catch (error) {
      this.emit({ type: 'error', code: 'vad_failed', message: messageOf(error), fatal: false });
    } finally {
      this.pumping = false;
    }
  }

  private onWindow(window: VadWindow, probability: number): void {
    const t = this.engineTime(window.endMs);
    if (t - this.lastLevelAt >= LEVEL_EVERY_MS) {
      this.lastLevelAt = t;
      this.emit({ type: 'level', t, rms: window.rms, peak: window.peak });
    }
    if (this.answer && !this.answer.speculative && !this.answer.finalized) {
      const windowMs = window.endMs - window.startMs;
      this.voicedDuringAnswerMs = probability >= this.config.vad.threshold ? this.voicedDuringAnswerMs + windowMs : 0;
      if (this.canBargeIn() && this.voicedDuringAnswerMs >= this.config.turn.bargeInMinSpeechMs) {
        this.bargeIn(t, t - this.voicedDuringAnswerMs);
      }
    }
    if (this.answer && !this.answer.speculative && !this.canBargeIn() && this.mode === 'always-listening') {
      // Half-duplex: without barge-in, speech over the answer is not a new turn.
      return;
    }
    for (const event of this.endpointer.push(window.samples, probability, window.endMs)) this.onEndpoint(event);
    this.maybePartial(t);
  }

  private onEndpoint(event: EndpointEvent): void {
    const t = this.engineTime(event.t);
    switch (event.kind) {
      case 'speech_start': {
        if (this.answer && !this.answer.speculative) this.bargeIn(t);
        const turn = ++this.turnCounter;
        this.hearing = { turn, segmentTexts: [], transcribedSamples: 0, lastPartialAt: t, paused: false };
        this.emit({ type: 'speech_start', turn, t });
        this.emitPhase();
        return;
      }
      case 'speech_pause': {
        const hearing = this.hearing;
        if (!hearing) return;
        hearing.paused = true;
        this.emit({ type: 'speech_pause', turn: hearing.turn, t });
        const streaming = this.config.turn.pipeline === 'streaming';
        if (streaming && this.config.turn.speculative && this.mode === 'always-listening' && !this.answer) {
          const audio = this.endpointer.utterance();
          const segment = this.transcribe(audio.subarray(Math.min(hearing.transcribedSamples, audio.length)));
          segment.catch(() => undefined);
          this.startAnswer(hearing, segment, true, audio.length);
        }
        return;
      }
      case 'speech_resume': {
        const hearing = this.hearing;
        if (!hearing) return;
        hearing.paused = false;
        this.emit({ type: 'speech_resume', turn: hearing.turn, t });
        const job = this.answer;
        if (job?.speculative && job.turn === hearing.turn) {
          job.controller.abort();
          this.answer = undefined;
          // The answer is discarded, but the transcript up to the pause stays valid.
          if (job.segment) {
            hearing.segmentTexts.push(job.segment.text.catch(() => ''));
            hearing.transcribedSamples = job.segment.endSample;
          }
          this.emit({ type: 'speculation_discarded', turn: hearing.turn, t });
        }
        return;
      }
      case 'utterance_window': {
        const hearing = this.hearing;
        if (!hearing) return;
        // The utterance buffer restarts after a window: transcribe what segments have not covered.
        const tail = event.audio.subarray(Math.min(hearing.transcribedSamples, event.audio.length));
        hearing.segmentTexts.push(this.transcribe(tail).catch(() => ''));
        hearing.transcribedSamples = 0;
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
        const job = this.answer;
        if (job?.speculative && job.turn === hearing.turn) {
          this.confirm(job);
        } else {
          if (job?.speculative) {
            job.controller.abort();
            this.answer = undefined;
          }
          const tail = event.audio.subarray(Math.min(hearing.transcribedSamples, event.audio.length));
          this.startAnswer(hearing, this.transcribe(tail), false);
        }
        this.emitPhase();
        return;
      }
    }
  }

  private maybePartial(t: number): void {
    const hearing = this.hearing;
    const interval = this.config.stt.partialIntervalMs;
    if (!hearing || hearing.paused || interval === 0 || this.sttBusy || this.answer) return;
    if (this.config.turn.pipeline === 'sequential') return;
    if (t - hearing.lastPartialAt < interval) return;
    hearing.lastPartialAt = t;
    const audio = this.endpointer.utterance();
    const earlier = [...hearing.segmentTexts];
    void this.transcribe(audio.subarray(Math.min(hearing.transcribedSamples, audio.length)), true)
      .then(async (tail) => {
        const text = [...(await Promise.all(earlier)), tail].filter(Boolean).join(' ');
        if (this.hearing === hearing && text) this.emit({ type: 'stt_partial', turn: hearing.turn, t: this.now(), text });
      })
      .catch(() => undefined);
  }

  private async transcribe(audio: Float32Array, partial = false, signal?: AbortSignal): Promise<string> {
    const { stt, tts } = this.requireStages();
    this.sttBusy = true;
    // ggml's threads spin-wait: with the cores already busy (an answer generating, or a TTS run
    // that outlives its cancelled answer) a multi-threaded transcription slows down many times.
    const generating = this.answer !== undefined && !this.answer.generationDone && !this.answer.finalized;
    const contended = tts.busy === true || generating;
    const threads = contended ? Math.max(1, Math.floor(this.threads.stt / 2)) : undefined;
    try {
      return (await stt.transcribe(audio, { signal, partial, threads })).text.trim();
    } finally {
      this.sttBusy = false;
    }
  }

  // ── answers ─────────────────────────────────────────────────────────────────────────────────

  /** `tail` transcribes the audio after the turn's earlier segments (ending at `tailEndSample`). */
  private startAnswer(hearing: HearingTurn, tail: Promise<string>, speculative: boolean, tailEndSample?: number): void {
    const job = this.newJob(hearing.turn, speculative);
    if (tailEndSample !== undefined) job.segment = { text: tail, endSample: tailEndSample };
    const earlier = [...hearing.segmentTexts];
    void this.runAnswer(job, async () => {
      const texts = await Promise.all([...earlier, tail]);
      return texts.filter(Boolean).join(' ');
    });
  }

  private typedTurn(text: string): void {
    if (this.state !== 'ready') {
      this.emit({ type: 'error', code: 'not_ready', message: 'the engine is still loading; try again in a moment', fatal: false });
      return;
    }
    if (this.answer) this.bargeIn(this.now());
    const job = this.newJob(++this.turnCounter, false);
    void this.runAnswer(job, async () => text.trim());
  }

  private newJob(turn: number, speculative: boolean): AnswerJob {
    const job: AnswerJob = {
      turn,
      controller: new AbortController(),
      speculative,
      held: [],
      userText: '',
      units: [],
      played: new Set(),
      generationDone: false,
      finalized: false,
    };
    this.answer = job;
    this.voicedDuringAnswerMs = 0;
    return job;
  }

  private async runAnswer(job: AnswerJob, transcript: () => Promise<string>): Promise<void> {
    const { llm, tts } = this.requireStages();
    const signal = job.controller.signal;
    try {
      job.userText = await transcript();
      signal.throwIfAborted();
      this.emitFor(job, { type: 'stt_final', turn: job.turn, t: this.now(), text: job.userText });
      if (!job.userText) {
        job.generationDone = true;
        this.maybeFinalize(job);
        return;
      }
      this.emitFor(job, { type: 'llm_request', turn: job.turn, t: this.now() });
      const sequential = this.config.turn.pipeline === 'sequential';
      const chunker = this.options.createUnitSplitter?.() ?? new SpeechChunker(this.config.chunker);
      let speaking: Promise<void> = Promise.resolve();
      let unitIndex = 0;
      const speak = (text: string): void => {
        const unit = unitIndex++;
        const first = unit === 0;
        const t = this.now();
        this.emitFor(job, { type: 'unit_ready', turn: job.turn, t, unit, text, first });
        if (first) this.emitFor(job, { type: 'first_unit_ready', turn: job.turn, t, unit, text });
        speaking = speaking.then(async () => {
          signal.throwIfAborted();
          const { voice, speed } = this.config.tts;
          const samples = await tts.synthesize(text, { signal, voice, speed });
          signal.throwIfAborted();
          const now = this.now();
          if (job.firstAudioAt === undefined) {
            job.firstAudioAt = now;
            this.emitFor(job, { type: 'tts_first_audio', turn: job.turn, t: now });
            if (!job.speculative) this.emitPhase();
          }
          job.units.push({ text, samples: samples.length });
          this.emitFor(job, { type: 'audio', turn: job.turn, t: now, unit, sampleRate: OUTPUT_SAMPLE_RATE, samples });
        });
        // A failed unit must not leave an unhandled rejection; it surfaces when `speaking` is awaited.
        speaking.catch(() => undefined);
      };
      let firstToken = true;
      const reply = await llm.respond(job.userText, {
        signal,
        onToken: (token) => {
          const t = this.now();
          if (firstToken) {
            firstToken = false;
            this.emitFor(job, { type: 'llm_first_token', turn: job.turn, t });
          }
          this.emitFor(job, { type: 'llm_token', turn: job.turn, t, text: token });
          if (!sequential) for (const unit of chunker.push(token)) speak(unit);
        },
      });
      signal.throwIfAborted();
      if (sequential) {
        const whole = cleanForSpeech(reply.text);
        if (whole) speak(whole);
      } else {
        for (const unit of chunker.flush()) speak(unit);
      }
      this.emitFor(job, { type: 'llm_done', turn: job.turn, t: this.now(), text: reply.text, tokens: reply.tokens });
      await speaking;
      this.emitFor(job, { type: 'tts_done', turn: job.turn, t: this.now() });
      job.generationDone = true;
      this.maybeFinalize(job);
    } catch (error) {
      if (signal.aborted) return; // whoever aborted finalizes (or discards) the job
      this.emit({ type: 'error', code: 'turn_failed', message: messageOf(error), turn: job.turn, fatal: false });
      if (job.speculative) {
        // Retry at end of turn without speculation.
        if (this.answer === job) this.answer = undefined;
        return;
      }
      job.generationDone = true;
      this.finalize(job, true);
    }
  }

  /** Events of a speculative answer wait until the user is confirmed done (or are discarded). */
  private emitFor(job: AnswerJob, event: EngineEvent): void {
    if (job.speculative) job.held.push(event);
    else this.emit(event);
  }

  private confirm(job: AnswerJob): void {
    job.speculative = false;
    const held = job.held;
    job.held = [];
    for (const event of held) this.emit(event);
    this.emitPhase();
    this.maybeFinalize(job);
  }

  private onPlaybackStarted(turn: number): void {
    this.playerAttached = true;
    this.emit({ type: 'playback_start', turn, t: this.now() });
    const job = this.answer;
    if (job?.turn === turn) this.maybeFinalize(job);
  }

  private onUnitPlayed(turn: number, unit: number): void {
    this.playerAttached = true;
    const job = this.answer;
    if (!job || job.turn !== turn) return;
    job.played.add(unit);
    this.emit({ type: 'unit_played', turn, unit, t: this.now() });
    this.maybeFinalize(job);
  }

  /** A turn ends when generation is done and (if a player reports back) its audio has been played. */
  private maybeFinalize(job: AnswerJob): void {
    if (job.finalized || job.speculative || !job.generationDone) return;
    if (!this.playerAttached || job.units.length === 0 || job.played.size >= job.units.length) {
      this.finalize(job, false);
      return;
    }
    // The player may never report (closed window): end the turn when its audio must have finished.
    if (!job.playbackTimer) {
      const audioMs = (job.units.reduce((sum, u) => sum + u.samples, 0) / OUTPUT_SAMPLE_RATE) * 1000;
      job.playbackTimer = setTimeout(() => this.finalize(job, false), audioMs + 2000);
    }
  }

  private bargeIn(t: number, onset = t): void {
    const job = this.answer;
    if (!job || job.finalized) return;
    if (job.speculative) {
      job.controller.abort();
      this.answer = undefined;
      return;
    }
    this.emit({ type: 'barge_in', turn: job.turn, t, onset });
    this.abortAnswer('barge-in', true);
  }

  private abortAnswer(reason: string, interrupted: boolean): void {
    const job = this.answer;
    if (!job || job.finalized) return;
    job.controller.abort();
    if (job.speculative) {
      this.answer = undefined;
      return;
    }
    this.emit({ type: 'cancelled', turn: job.turn, t: this.now(), reason });
    this.finalize(job, interrupted);
  }

  private finalize(job: AnswerJob, interrupted: boolean): void {
    if (job.finalized) return;
    job.finalized = true;
    if (job.playbackTimer) clearTimeout(job.playbackTimer);
    if (this.answer === job) this.answer = undefined;
    // Only what was actually spoken stays in the conversation.
    const spoken = this.playerAttached ? job.units.filter((_, i) => job.played.has(i)) : job.units;
    const assistant = (interrupted ? spoken : job.units).map((u) => u.text).join(' ');
    const completed = !interrupted || spoken.length === job.units.length;
    const wasInterrupted = interrupted && !(completed && job.generationDone);
    this.emit({ type: 'turn_done', turn: job.turn, t: this.now(), user: job.userText, assistant, interrupted: wasInterrupted });
    if (job.userText) {
      const { llm } = this.requireStages();
      void Promise.resolve(llm.commit(job.userText, assistant, wasInterrupted)).catch((error: unknown) =>
        this.emit({ type: 'error', code: 'history_failed', message: messageOf(error), fatal: false }),
      );
      this.journalAppend({ turn: job.turn, user: job.userText, assistant, interrupted: wasInterrupted, at: Date.now(), trace: this.traces.get(job.turn) });
    }
    this.traces.delete(job.turn);
    this.emitPhase();
  }

  // ── conversation memory ─────────────────────────────────────────────────────────────────────

  private async restoreConversation(): Promise<void> {
    const journal = this.options.journal;
    if (!journal) return;
    const { turns, skippedLines } = journal.read();
    if (skippedLines > 0) {
      this.emit({ type: 'error', code: 'journal_torn', message: `skipped ${skippedLines} unreadable line(s) in ${journal.file} (a torn write after a crash); every complete turn was restored`, fatal: false });
    }
    this.turnCounter = turns.reduce((max, turn) => Math.max(max, turn.turn), 0);
    await this.requireStages().llm.restore(turns);
    this.emit({ type: 'history', turns });
  }

  private journalTurns(): ConversationTurn[] {
    return this.options.journal?.read().turns ?? [];
  }

  private journalAppend(turn: ConversationTurn): void {
    try {
      this.options.journal?.append(turn);
    } catch (error) {
      this.emit({ type: 'error', code: 'journal_failed', message: `could not save the turn to ${this.options.journal?.file}: ${messageOf(error)}`, fatal: false });
    }
  }

  private async clearHistory(): Promise<void> {
    this.abortAnswer('conversation cleared', true);
    this.options.journal?.clear();
    await this.stages?.llm.clear();
    this.emit({ type: 'history', turns: [] });
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────

  private canBargeIn(): boolean {
    return this.config.turn.bargeIn && this.mode === 'always-listening';
  }

  private resetListening(): void {
    this.hearing = undefined;
    this.input.clear();
    this.endpointer.reset();
    this.stages?.vad.reset();
  }

  /** Engine time of a point on the input clock (exact for windows whose frame has arrived). */
  private engineTime(inputMs: number): number {
    for (const arrival of this.arrivals) {
      if (arrival.inputMs >= inputMs) return round(arrival.t - (arrival.inputMs - inputMs));
    }
    const last = this.arrivals.at(-1);
    return last ? round(last.t - (last.inputMs - inputMs)) : this.now();
  }

  /** Input-clock time of an engine time (for push-to-talk release). */
  private inputMsAt(t: number): number {
    const last = this.arrivals.at(-1);
    return last ? last.inputMs + Math.max(0, t - last.t) : 0;
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

  private emitPhase(): void {
    this.emit(this.phaseEvent());
  }

  private phaseEvent(): EngineEvent {
    let phase: TurnPhase = 'listening';
    if (this.muted) phase = 'muted';
    else if (this.answer && !this.answer.speculative) phase = this.answer.firstAudioAt === undefined ? 'thinking' : 'speaking';
    else if (this.hearing || this.pttPressed) phase = 'hearing';
    return { type: 'phase', phase, mode: this.mode, muted: this.muted };
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

const round = (ms: number): number => Math.round(ms * 10) / 10;

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
