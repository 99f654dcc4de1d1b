import { OUTPUT_SAMPLE_RATE, type EngineConfig } from '../../shared/config';
import type { EngineEvent } from '../../shared/events';
import { SpeechStream, type UnitSplitter } from './speech-stream';
import { isAbortError, messageOf } from '../stages/stage-kit';
import type { LlmStage, TtsStage } from '../stages/contracts';
import type { TtsCache } from './tts-cache';
import type { AnswerReport } from './turn-controller';

export interface AnswerDeps {
  llm: LlmStage;
  tts: TtsStage;
  /** The current config (voice, speed, pipeline, chunker are read when used). */
  config: () => EngineConfig;
  now: () => number;
  emit: (event: EngineEvent) => void;
  /** Progress for the turn controller. */
  report: (report: AnswerReport) => void;
  cache?: TtsCache;
  createUnitSplitter?: () => UnitSplitter;
}

interface Unit {
  text: string;
  /** Our own copy of the unit's audio (the emitted one may be transferred to another process). */
  samples: Float32Array;
}

type Gate = 'held' | 'open' | 'paused';

/**
 * One assistant answer in flight: transcript → LLM → speech stream, from the final transcript to
 * the last unit played. It owns its AbortController and its output gate:
 * - `held` (speculative): every event waits until `confirm()` or is dropped by `discard()`;
 * - `open`: events go out as they happen;
 * - `paused` (barge-in): audio stops going out and the answer yields the cores (LLM held, no new
 *   synthesis); what it made is kept, so `resume(fromUnit)` can send the unplayed units again and
 *   go on; `interrupt()` ends it for good.
 * `interrupt()` is the one path by which an answer is cut short (barge-in verdict, cancel, typed
 * input, a new push-to-talk press, clearing the conversation).
 */
export class AnswerHandle {
  userText = '';
  private readonly controller = new AbortController();
  private gate: Gate;
  private held: EngineEvent[] = [];
  private readonly units: Unit[] = [];
  private readonly played = new Set<number>();
  private generationDone = false;
  private firstAudio = true;
  private speech: SpeechStream | undefined;
  /** Releases the LLM held while the answer is paused. */
  private releaseGeneration: (() => void) | undefined;

  constructor(
    readonly turn: number,
    speculative: boolean,
    private readonly deps: AnswerDeps,
  ) {
    this.gate = speculative ? 'held' : 'open';
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Runs the answer; never rejects (failures are reported and emitted as `error`). */
  async run(transcript: (signal: AbortSignal) => Promise<string>): Promise<void> {
    const { llm, tts, now } = this.deps;
    const signal = this.signal;
    const config = this.deps.config();
    try {
      this.userText = (await transcript(signal)).trim();
      signal.throwIfAborted();
      this.out({ type: 'stt_final', turn: this.turn, t: now(), text: this.userText });
      this.deps.report({ kind: 'transcript', text: this.userText });
      if (!this.userText || signal.aborted) {
        this.done();
        return;
      }
      this.out({ type: 'llm_request', turn: this.turn, t: now() });
      const sequential = config.turn.pipeline === 'sequential';
      const speech = (this.speech = new SpeechStream({
        tts,
        chunker: config.chunker,
        splitter: this.deps.createUnitSplitter?.(),
        voice: () => this.deps.config().tts,
        signal,
        cache: this.deps.cache,
        holdGeneration: llm.hold?.bind(llm),
        onUnit: (unit, text) => {
          const t = now();
          this.out({ type: 'unit_ready', turn: this.turn, t, unit, text, first: unit === 0 });
          if (unit === 0) this.out({ type: 'first_unit_ready', turn: this.turn, t, unit, text });
        },
        onAudio: (unit, text, samples) => this.onAudio(unit, text, samples),
      }));
      if (this.gate === 'paused') this.yieldCores();
      let firstToken = true;
      const reply = await llm.respond(this.userText, {
        signal,
        onToken: (token) => {
          const t = now();
          if (firstToken) {
            firstToken = false;
            this.out({ type: 'llm_first_token', turn: this.turn, t });
          }
          this.out({ type: 'llm_token', turn: this.turn, t, text: token });
          if (!sequential) speech.push(token);
        },
      });
      signal.throwIfAborted();
      if (sequential) speech.speakWhole(reply.text);
      else speech.end();
      this.out({ type: 'llm_done', turn: this.turn, t: now(), text: reply.text, tokens: reply.tokens });
      await speech.finished();
      signal.throwIfAborted();
      this.out({ type: 'tts_done', turn: this.turn, t: now() });
      this.done();
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return; // whoever stopped it finalizes (or discards) it
      // A speculative answer's failure is not shown: it is retried at the end of the turn, and
      // shows its own error then if it fails again.
      if (this.gate !== 'held') this.deps.emit({ type: 'error', code: 'turn_failed', message: messageOf(error), turn: this.turn, fatal: false });
      this.deps.report({ kind: 'failed' });
    }
  }

  /** A speculative answer is confirmed: everything it held goes out, in order. */
  confirm(): void {
    if (this.gate !== 'held') return;
    this.gate = 'open';
    const held = this.held;
    this.held = [];
    for (const event of held) this.deps.emit(event);
  }

  /** Throws a speculative answer away: its work stops and nothing it held goes out. */
  discard(): void {
    this.held = [];
    this.controller.abort();
    this.takeCoresBack();
  }

  /**
   * Barge-in: no more audio goes out until `resume`. The answer keeps what it has made but yields
   * the cores to the interrupting speech: the LLM is held and no new unit is synthesized (with
   * two cores, a paused answer's synthesis would delay the next answer's first audio by seconds).
   */
  pause(): void {
    if (this.gate !== 'open') return;
    this.gate = 'paused';
    this.yieldCores();
  }

  private yieldCores(): void {
    this.speech?.pause();
    this.releaseGeneration ??= this.deps.llm.hold?.();
  }

  private takeCoresBack(): void {
    this.speech?.resume();
    this.releaseGeneration?.();
    this.releaseGeneration = undefined;
  }

  /** A false interruption: sends the audio of every unplayed unit from `fromUnit`, then goes on. */
  resume(fromUnit: number): void {
    if (this.gate !== 'paused') return;
    this.gate = 'open';
    this.takeCoresBack();
    this.held = this.held.filter((event) => event.type !== 'audio');
    const t = this.deps.now();
    this.units.forEach((unit, index) => {
      if (index < fromUnit || this.played.has(index)) return;
      this.deps.emit({ type: 'audio', turn: this.turn, t, unit: index, sampleRate: OUTPUT_SAMPLE_RATE, samples: unit.samples.slice() });
    });
  }

  /** Ends the answer for good: stops the LLM and TTS work; nothing more goes out. */
  interrupt(): void {
    this.held = [];
    this.gate = 'held';
    this.controller.abort();
    this.takeCoresBack();
  }

  markPlayed(unit: number): void {
    this.played.add(unit);
  }

  /**
   * What the conversation keeps: only what was spoken. With a player that reports back, that is
   * the played units; without one, every unit produced.
   */
  outcome(interrupted: boolean, playerAttached: boolean): { user: string; assistant: string; interrupted: boolean } {
    const spoken = playerAttached ? this.units.filter((_, i) => this.played.has(i)) : this.units;
    const assistant = (interrupted ? spoken : this.units).map((u) => u.text).join(' ');
    const complete = spoken.length === this.units.length && this.generationDone;
    return { user: this.userText, assistant, interrupted: interrupted && !complete };
  }

  private onAudio(unit: number, text: string, samples: Float32Array): void {
    const t = this.deps.now();
    this.units[unit] = { text, samples: samples.slice() };
    if (this.firstAudio) {
      this.firstAudio = false;
      this.out({ type: 'tts_first_audio', turn: this.turn, t });
    }
    this.deps.report({ kind: 'audio', unit, samples: samples.length });
    this.out({ type: 'audio', turn: this.turn, t, unit, sampleRate: OUTPUT_SAMPLE_RATE, samples });
  }

  private done(): void {
    this.generationDone = true;
    this.deps.report({ kind: 'generation_done' });
  }

  private out(event: EngineEvent): void {
    if (this.gate === 'held') this.held.push(event);
    else if (this.gate === 'paused' && event.type === 'audio') this.held.push(event);
    else this.deps.emit(event);
  }
}
