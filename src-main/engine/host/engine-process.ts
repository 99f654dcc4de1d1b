import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EngineCommand } from '../../shared/protocol';
import type { EngineEvent } from '../../shared/events';
import type { EngineInit } from './init';
import { ENGINE_MALLOC_ENV } from './malloc-env';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import { StandbySchedule } from './standby-schedule';
import { isStandbyReport, STANDBY_ENV, type StandbyControl } from './standby-messages';
import type { EngineLink, HostEvent } from '../../shared/host-types';

export interface EngineProcessOptions extends RestartPolicyOptions {
  init: EngineInit;
  /**
   * Keep a second engine process loaded and warm, following the conversation, to replace a
   * crashed engine at once (recovery in well under a second instead of loading every model again)
   * at the cost of a second set of models in memory. Default off.
   */
  standby?: boolean;
  /** When the standby loads (StandbySchedule's defaults: after 750 ms with no model computing, within 8 s). */
  standbyDelayMs?: number;
  standbyMaxWaitMs?: number;
}

type WorkerMessage = { kind: 'event'; event: EngineEvent };

/**
 * Hosts the engine in a child process (web mode, tests, soak): restarts it when it dies and keeps
 * the conversation (the engine restores it from its journal). Electron uses utilityProcess instead
 * (src-main/index.ts); both run the same worker entry.
 */
export class EngineProcess implements EngineLink {
  private child: ChildProcess | undefined;
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private stopping = false;
  private readonly restarts: RestartPolicy;
  /** Set while `restart` replaces the process: its exit is not a crash (the notice goes out when ready). */
  private replacing: EngineEvent | null | undefined;
  private pendingNotice: EngineEvent | undefined;
  /** The standby process (loading or loaded), when one is kept. */
  private standbyChild: ChildProcess | undefined;
  private readonly standbySchedule: StandbySchedule | undefined;

  constructor(private readonly options: EngineProcessOptions) {
    this.restarts = new RestartPolicy(options);
    this.standbySchedule = options.standby
      ? new StandbySchedule({
          delayMs: options.standbyDelayMs,
          maxWaitMs: options.standbyMaxWaitMs,
          load: () => this.spawnStandby(),
          follow: () => {
            if (this.standbyChild?.connected) this.standbyChild.send({ kind: 'standby_follow' } satisfies StandbyControl);
          },
        })
      : undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The standby process's pid, once one is loading or loaded. */
  get standbyPid(): number | undefined {
    return this.standbyChild?.pid;
  }

  /** Starts the engine process and resolves once it reports `ready` (rejects on a fatal error). */
  async start(): Promise<void> {
    this.spawn();
    await this.waitForReady();
  }

  send(command: EngineCommand): void {
    const child = this.child;
    if (!child?.connected) return;
    child.send(command);
  }

  /** Relays a message as received from an untrusted peer; the engine process validates it. */
  post(message: unknown): void {
    const child = this.child;
    if (child?.connected) child.send(message as object);
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts the engine process again with the (updated) init, telling listeners why with `notice`
   * once the new engine is ready (the host uses it when the engine could not start with the saved settings).
   */
  restart(notice?: EngineEvent): void {
    const child = this.child;
    if (!child) return;
    this.replacing = notice ?? null;
    // The standby was started with the old init.
    this.dropStandby();
    child.kill('SIGTERM');
  }

  /** For tests: kill the engine process as a crash would. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  waitForReady(timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`engine did not become ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onEvent((event) => {
        if (event.type === 'state' && event.state === 'ready') {
          clearTimeout(timer);
          off();
          resolve();
        } else if (event.type === 'error' && event.fatal) {
          clearTimeout(timer);
          off();
          reject(new Error(event.message));
        }
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.dropStandby();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private emit(event: HostEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private fork(standby: boolean): ChildProcess {
    const { entry, execArgv } = workerEntry();
    return fork(entry, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        ...ENGINE_MALLOC_ENV,
        MURMUR_ENGINE_INIT: JSON.stringify(this.options.init),
        ...(standby ? { [STANDBY_ENV]: '1' } : {}),
      },
    });
  }

  private spawn(): void {
    this.adopt(this.fork(false));
  }

  /** `child` becomes the engine: its events go to the listeners, its exit is handled as the engine's. */
  private adopt(child: ChildProcess): void {
    this.child = child;
    child.on('message', (message: WorkerMessage) => {
      if (message?.kind !== 'event' || this.child !== child) return;
      const restarted = this.restarts.observe(message.event, child.pid);
      if (restarted) this.emit(restarted);
      this.emit(message.event);
      this.standbySchedule?.observe(message.event);
      if (message.event.type === 'state' && message.event.state === 'ready') {
        if (!this.standbyChild) this.standbySchedule?.want();
        if (this.pendingNotice) {
          this.emit(this.pendingNotice);
          this.pendingNotice = undefined;
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      if (this.replacing !== undefined) {
        this.pendingNotice = this.replacing ?? undefined;
        this.replacing = undefined;
        this.spawn();
        return;
      }
      const decision = this.restarts.crashed();
      this.emit({ type: 'host', status: 'crashed', code, signal, pid: child.pid });
      if (!decision.restart) {
        this.emit(decision.fatal);
        return;
      }
      if (this.promoteStandby()) return;
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, decision.delayMs);
    });
    this.emit({ type: 'host', status: 'started', pid: child.pid });
  }

  /** After a crash: the standby (loaded, or still loading) becomes the engine. False when there is none. */
  private promoteStandby(): boolean {
    const standby = this.standbyChild;
    if (!standby?.connected) return false;
    this.standbyChild = undefined;
    this.adopt(standby);
    standby.send({ kind: 'standby_activate' } satisfies StandbyControl);
    return true;
  }

  private spawnStandby(): void {
    if (this.stopping || this.standbyChild) return;
    const standby = this.fork(true);
    this.standbyChild = standby;
    standby.on('message', (message: unknown) => {
      // A standby that cannot load is dropped; the next crash starts an engine the normal way.
      if (isStandbyReport(message) && message.kind === 'standby_failed' && this.standbyChild === standby) this.dropStandby();
    });
    standby.on('exit', () => {
      if (this.standbyChild === standby) this.standbyChild = undefined;
    });
  }

  private dropStandby(): void {
    this.standbySchedule?.cancel();
    const standby = this.standbyChild;
    this.standbyChild = undefined;
    standby?.kill('SIGKILL');
  }
}

/** The worker entry next to this file: the built .js, or the .ts source run through tsx. */
function workerEntry(): { entry: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { entry: js, execArgv: [] };
  const ts = fileURLToPath(new URL('./worker.ts', import.meta.url));
  return { entry: ts, execArgv: ['--import', 'tsx'] };
}
