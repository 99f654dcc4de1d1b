import type { EngineEvent, EngineState } from '../../shared/events';
import type { SpeechStages } from '../stages/contracts';
import { messageOf } from '../stages/stage-kit';
import type { StageSet } from '../stages/stage-set';
import type { Conversation } from './conversation';

/** What the lifecycle needs of its engine. */
export interface LifecycleHost {
  state(): EngineState;
  setState(state: EngineState, detail?: string): void;
  /** The loaded stages become the engine's (it decides who disposes them). */
  install(stages: SpeechStages): StageSet;
  restoreTurnCounter(lastTurn: number): void;
  conversation: Conversation;
  emit(event: EngineEvent): void;
  /** The engine is ready: it announces its phase. */
  ready(): void;
}

/**
 * An engine's way from nothing to ready: load the stages, give the LLM the conversation, warm, ready.
 *
 * A standby engine (the host keeps one to take over at once when the engine process dies) stops
 * before ready: loaded and warmed with the conversation as the journal holds it now, read without
 * touching the file (the live engine owns it); it answers nothing and writes nothing. `follow`
 * keeps its history cached as the live engine's turns are written; `activate` reads the journal as
 * its owner (repairing a torn tail the dead engine left), caches what changed, and makes it ready.
 */
export class EngineLifecycle {
  private stages: StageSet | undefined;

  constructor(private readonly host: LifecycleHost) {}

  async load(loadStages: () => Promise<SpeechStages>): Promise<void> {
    await this.prepare(loadStages, 'restore');
    await this.activate();
  }

  async loadStandby(loadStages: () => Promise<SpeechStages>): Promise<void> {
    await this.prepare(loadStages, 'peek');
    this.host.setState('standby');
  }

  async follow(): Promise<void> {
    const stages = this.stages;
    if (this.host.state() !== 'standby' || !stages) return;
    await this.host.conversation.follow(stages.llm);
    await stages.llm.warm();
  }

  async activate(): Promise<void> {
    const stages = this.stages;
    if (!stages) this.failed(new Error('the engine could not take over: its models did not load'));
    try {
      if (this.host.state() === 'standby') {
        this.host.restoreTurnCounter(await this.host.conversation.restore(stages.llm));
        this.host.setState('warming');
        await stages.llm.warm();
      }
      this.host.emit({ type: 'backends', backends: stages.backends });
      this.host.setState('ready');
      this.host.ready();
    } catch (error) {
      this.failed(error);
    }
  }

  private async prepare(loadStages: () => Promise<SpeechStages>, history: 'restore' | 'peek'): Promise<void> {
    try {
      this.host.setState('loading');
      const stages = this.host.install(await loadStages());
      this.stages = stages;
      if (history === 'restore') this.host.restoreTurnCounter(await this.host.conversation.restore(stages.llm));
      else await this.host.conversation.peek(stages.llm);
      this.host.setState('warming');
      for (const stage of stages.all()) await stage.warm();
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): never {
    this.host.setState('error', messageOf(error));
    this.host.emit({ type: 'error', code: 'load_failed', message: messageOf(error), fatal: true });
    throw error;
  }
}
