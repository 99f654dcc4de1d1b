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
