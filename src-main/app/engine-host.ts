import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import type { EngineCommand } from '../shared/protocol';
import type { EngineEvent } from '../shared/events';
import type { EngineInit } from '../engine/host/init';
import type { EngineLink, HostEvent, HostNotice } from '../shared/host-types';
import { ENGINE_MALLOC_ENV } from '../engine/host/malloc-env';
import { RestartPolicy, type RestartPolicyOptions } from '../engine/host/restart-policy';
import { StandbySchedule } from '../engine/host/standby-schedule';
import { isStandbyReport, STANDBY_ENV, type StandbyControl } from '../engine/host/standby-messages';

export interface UtilityEngineHostOptions extends Omit<RestartPolicyOptions, 'giveUpAdvice'> {
  /** Absolute path of the built worker entry (out/main/worker.js, next to index.js). */
  workerPath: string;
  /** Called at every (re)start, so a restart picks up changed settings. */
  init: () => EngineInit;
  log?: (message: string) => void;
  /**
   * Keep a second engine loaded and warm, following the conversation, that takes over at once when
   * the engine dies (instead of loading every model again). Asked at each start: the app keeps
   * one while the models run on the CPU (a GPU's memory is not doubled).
   */
  standby?: () => boolean;
}

type PortMessage = { kind: 'event'; event: EngineEvent };

/**
 * Hosts the engine in an Electron utilityProcess and restarts it when it dies.
 *
 * Ports: main keeps one port to the worker for its own use (tray, shortcuts: commands in, phase
 * events out). Each renderer connection gets its own MessageChannelMain: one end is attached to
 * the worker (`{ kind: 'attach-port' }`), the other is handed to the renderer, so audio never goes
 * through main. Host notices reach the renderer on that same port: after a crash main creates a
 * fresh channel, posts `crashed` on the worker-side end before handing the other end over, and
 * posts `restarted` on it once the new engine is ready, then attaches it to the new worker
 * (messages posted before a transfer arrive in order before the worker's own).
 */
export class UtilityEngineHost implements EngineLink {
  private child: UtilityProcess | undefined;
  private controlPort: MessagePortMain | undefined;
  /** Worker-side ends waiting for the (re)started engine to become ready. */
  private pendingWorkerEnds: MessagePortMain[] = [];
  private readonly listeners = new Set<(event: HostEvent) => void>();
  private ready = false;
  private stopping = false;
  private readonly restarts: RestartPolicy;
  private lastStates: EngineEvent[] = [];
  private standbyChild: UtilityProcess | undefined;
  private readonly standbySchedule: StandbySchedule;

  constructor(private readonly options: UtilityEngineHostOptions) {
    this.restarts = new RestartPolicy({ ...options, giveUpAdvice: 'Restart Murmur, or check the models in Settings.' });
    this.standbySchedule = new StandbySchedule({
      load: () => this.spawnStandby(),
      follow: () => this.standbyChild?.postMessage({ kind: 'standby_follow' } satisfies StandbyControl),
    });
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child || this.stopping) return;
    this.spawn();
  }

  /** Starts the engine process again (it re-reads `init`); the renderer sees it as a restart. */
  restart(): void {
    // The standby was started with the settings of before.
    this.dropStandby();
    this.child?.kill();
  }

  /** A new port for a renderer: attached to the worker now (or once it is ready after a restart). */
  connectRenderer(): MessagePortMain {
    const { port1: workerEnd, port2: rendererEnd } = new MessageChannelMain();
    if (this.child && this.ready && !this.restarts.recovering) {
      this.child.postMessage({ kind: 'attach-port' }, [workerEnd]);
    } else {
      for (const state of this.lastStates) workerEnd.postMessage({ kind: 'event', event: state });
      this.pendingWorkerEnds.push(workerEnd);
    }
    return rendererEnd;
  }

  /** Called with the fresh renderer port made after each crash (the old one died with the process). */
  onRendererPort(cb: (port: MessagePortMain) => void): () => void {
    this.rendererPortListeners.add(cb);
    return () => this.rendererPortListeners.delete(cb);
  }
  private readonly rendererPortListeners = new Set<(port: MessagePortMain) => void>();

  send(command: EngineCommand): void {
    // Main sends `configure` when a saved setting changes what the engine runs: a standby started
    // with the settings of before is replaced (init() is read again when the next one starts).
    if (command.type === 'configure') this.dropStandby(true);
    this.controlPort?.postMessage(command);
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.dropStandby();
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill();
    });
  }

  private emit(event: HostEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private fork(standby: boolean): UtilityProcess {
    const init = this.options.init();
    return utilityProcess.fork(this.options.workerPath, [], {
      env: { ...process.env, ...ENGINE_MALLOC_ENV, MURMUR_ENGINE_INIT: JSON.stringify(init), ...(standby ? { [STANDBY_ENV]: '1' } : {}) },
      serviceName: standby ? 'Murmur speech engine (standby)' : 'Murmur speech engine',
      stdio: 'inherit',
    });
  }

  private spawn(): void {
    this.adopt(this.fork(false));
  }

  /** `child` becomes the engine: main's control port is attached to it, its exit is the engine's. */
  private adopt(child: UtilityProcess): void {
    this.child = child;
    this.ready = false;
    this.lastStates = [];

    const { port1: workerEnd, port2: controlPort } = new MessageChannelMain();
    this.controlPort = controlPort;
    controlPort.on('message', (message) => this.onControlMessage(message.data as PortMessage));
    controlPort.start();
    child.postMessage({ kind: 'attach-port' }, [workerEnd]);

    child.once('exit', (code) => this.onExit(child, code));
    this.emit({ type: 'host', status: 'started', pid: child.pid });
  }

  private onControlMessage(message: PortMessage): void {
    if (message?.kind !== 'event') return;
    const event = message.event;
    const restarted = this.restarts.observe(event, this.child?.pid);
    if (event.type === 'state') {
      this.lastStates.push(event);
      for (const end of this.pendingWorkerEnds) end.postMessage({ kind: 'event', event });
      if (event.state === 'ready') this.onReady(restarted);
    }
    this.standbySchedule.observe(event);
    this.emit(event);
  }

  /** After a crash: the standby (loaded, or still loading) becomes the engine. False when there is none. */
  private promoteStandby(): boolean {
    const standby = this.standbyChild;
    if (!standby) return false;
    this.standbyChild = undefined;
    this.adopt(standby);
    standby.postMessage({ kind: 'standby_activate' } satisfies StandbyControl);
    return true;
  }

  private spawnStandby(): void {
    if (this.stopping || this.standbyChild || !(this.options.standby?.() ?? false)) return;
    const standby = this.fork(true);
    this.standbyChild = standby;
    standby.on('message', (message: unknown) => {
      if (this.standbyChild !== standby || !isStandbyReport(message) || message.kind !== 'standby_failed') return;
      // A standby that cannot load is dropped; the next crash starts an engine the normal way.
      this.options.log?.(`standby engine could not load: ${message.message}`);
      this.dropStandby();
    });
    standby.once('exit', () => {
      if (this.standbyChild === standby) this.standbyChild = undefined;
    });
  }

  /** `replace`: another one is wanted (with the settings as they are now). */
  private dropStandby(replace = false): void {
    this.standbySchedule.cancel();
    const standby = this.standbyChild;
    this.standbyChild = undefined;
    standby?.kill();
    if (replace && this.ready) this.standbySchedule.want();
  }

  private onReady(restarted: HostNotice | undefined): void {
    this.ready = true;
    if (!this.standbyChild) this.standbySchedule.want();
    const child = this.child;
    if (restarted) {
      for (const end of this.pendingWorkerEnds) end.postMessage(restarted);
      this.emit(restarted);
    }
    const ends = this.pendingWorkerEnds;
    this.pendingWorkerEnds = [];
    for (const end of ends) child?.postMessage({ kind: 'attach-port' }, [end]);
  }

  private onExit(child: UtilityProcess, code: number): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.controlPort?.close();
    this.controlPort = undefined;
    this.ready = false;
    if (this.stopping) return;
    const decision = this.restarts.crashed();
    const notice: HostNotice = { type: 'host', status: 'crashed', code, signal: null, pid: child.pid };
    this.options.log?.(`engine process ${child.pid ?? '?'} exited with code ${code}; restarting`);
    this.emit(notice);
    // The renderer's old port died with the process: give it a fresh one that carries the notice.
    const { port1: workerEnd, port2: rendererEnd } = new MessageChannelMain();
    workerEnd.postMessage(notice);
    for (const stale of this.pendingWorkerEnds) stale.close();
    this.pendingWorkerEnds = [workerEnd];
    this.rendererPortListeners.forEach((cb) => cb(rendererEnd));

    if (!decision.restart) {
      workerEnd.postMessage({ kind: 'event', event: decision.fatal });
      this.emit(decision.fatal);
      return;
    }
    if (this.promoteStandby()) return;
    setTimeout(() => {
      if (!this.stopping && !this.child) this.spawn();
    }, decision.delayMs);
  }
}
