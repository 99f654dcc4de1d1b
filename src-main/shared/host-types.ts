import type { EngineCommand } from './protocol';
import type { EngineEvent } from './events';

/** Lifecycle notices from whoever hosts the engine process (not from the engine itself). */
export type HostNotice =
  | { type: 'host'; status: 'started'; pid?: number }
  | { type: 'host'; status: 'crashed'; code: number | null; signal: string | null; pid?: number }
  | { type: 'host'; status: 'restarted'; pid?: number; restartMs: number }
  | { type: 'host'; status: 'rejected'; error: string };

export type HostEvent = EngineEvent | HostNotice;

/** What a UI or server needs from an engine, wherever it runs (in-process, child process, utilityProcess). */
export interface EngineLink {
  send(command: EngineCommand): void;
  onEvent(listener: (event: HostEvent) => void): () => void;
}

/**
 * The model sets the development CLIs accept (`--models`): generated test stand-ins or the
 * manifest's real models. Not part of the engine process's start-up contract: the CLIs turn a set
 * into explicit paths (cli/model-sets.ts).
 */
export type ModelSetName = 'standin' | 'standin-real' | 'default';
