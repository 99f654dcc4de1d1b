import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EngineCommand } from '../../shared/protocol';
import type { EngineEvent } from '../../shared/events';
import type { EngineInit } from './init';
import { ENGINE_MALLOC_ENV } from './malloc-env';
import type { EngineLink, HostEvent } from '../../shared/host-types';

export interface EngineProcessOptions {
  init: EngineInit;
  /** Delay before restarting a crashed engine. The whole restart must stay under 2 s. */
  restartDelayMs?: number;
  /** Give up after this many crashes in a row without a turn completing. */
  maxConsecutiveRestarts?: number;
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
  private consecutiveRestarts = 0;
  private crashedAt = 0;

  constructor(private readonly options: EngineProcessOptions) {}

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
      if (message.event.type === 'turn_done') this.consecutiveRestarts = 0;
      if (message.event.type === 'state' && message.event.state === 'ready' && this.crashedAt > 0) {
        this.emit({ type: 'host', status: 'restarted', pid: child.pid, restartMs: Date.now() - this.crashedAt });
        this.crashedAt = 0;
      }
      this.emit(message.event);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.stopping) return;
      this.crashedAt = Date.now();
      this.emit({ type: 'host', status: 'crashed', code, signal, pid: child.pid });
      const limit = this.options.maxConsecutiveRestarts ?? 5;
      if (++this.consecutiveRestarts > limit) {
        this.emit({ type: 'error', code: 'engine_crash_loop', message: `the speech engine crashed ${limit} times in a row; not restarting`, fatal: true });
        return;
      }
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, this.options.restartDelayMs ?? 100);
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
