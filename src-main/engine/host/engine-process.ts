import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EngineCommand } from '../../shared/protocol';
import type { EngineEvent } from '../../shared/events';
import type { EngineInit } from './init';
import { ENGINE_MALLOC_ENV } from './malloc-env';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';
import type { EngineLink, HostEvent } from '../../shared/host-types';

export interface EngineProcessOptions extends RestartPolicyOptions {
  init: EngineInit;
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

  constructor(private readonly options: EngineProcessOptions) {
    this.restarts = new RestartPolicy(options);
  }

  get pid(): number | undefined {
    return this.child?.pid;
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

  private spawn(): void {
    const { entry, execArgv } = workerEntry();
    const child = fork(entry, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...ENGINE_MALLOC_ENV, MURMUR_ENGINE_INIT: JSON.stringify(this.options.init) },
    });
    this.child = child;
    child.on('message', (message: WorkerMessage) => {
      if (message?.kind !== 'event') return;
      const restarted = this.restarts.observe(message.event, child.pid);
      if (restarted) this.emit(restarted);
      this.emit(message.event);
      if (message.event.type === 'state' && message.event.state === 'ready' && this.pendingNotice) {
        this.emit(this.pendingNotice);
        this.pendingNotice = undefined;
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
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, decision.delayMs);
    });
    this.emit({ type: 'host', status: 'started', pid: child.pid });
  }
}

/** The worker entry next to this file: the built .js, or the .ts source run through tsx. */
function workerEntry(): { entry: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(js)) return { entry: js, execArgv: [] };
  const ts = fileURLToPath(new URL('./worker.ts', import.meta.url));
  return { entry: ts, execArgv: ['--import', 'tsx'] };
}
