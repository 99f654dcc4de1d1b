/**
 * Messages between a host and a standby engine process (one the host keeps loaded and warm, so a
 * crashed engine is replaced at once instead of loading every model again). Both hosts (the
 * child-process host and Electron's utilityProcess host) and the worker speak them.
 */

/** Host → standby: the live engine wrote a turn (cache the new history); or: become the engine. */
export type StandbyControl = { kind: 'standby_follow' } | { kind: 'standby_activate' };

/** Standby → host: loaded and warm (or it could not load: the host starts engines the normal way). */
export type StandbyReport = { kind: 'standby_ready' } | { kind: 'standby_failed'; message: string };

/** Set in the environment of a process started as a standby. */
export const STANDBY_ENV = 'MURMUR_ENGINE_STANDBY';

export function isStandbyControl(message: unknown): message is StandbyControl {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'standby_follow' || kind === 'standby_activate';
}

export function isStandbyReport(message: unknown): message is StandbyReport {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'standby_ready' || kind === 'standby_failed';
}
