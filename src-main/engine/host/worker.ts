/**
 * Entry of the engine process. Hosted by Electron's utilityProcess (commands and events over a
 * MessagePort that main hands over with `{ kind: 'attach-port' }`) or by child_process.fork (Node
 * IPC with the advanced serializer). Every incoming message is validated before the engine sees it.
 */
import { createEngine } from '../runtime';
import { parseCommand } from '../../shared/protocol';
import type { EngineEvent } from '../../shared/events';
import type { EngineInit } from './init';
import { isStandbyControl, STANDBY_ENV, type StandbyControl, type StandbyReport } from './standby-messages';

interface PortLike {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
}
interface ParentPortLike {
  on(event: 'message', listener: (message: { data: unknown; ports: PortLike[] }) => void): void;
  postMessage(message: unknown): void;
}

type Sink = (message: { kind: 'event'; event: EngineEvent }) => void;

function readInit(): EngineInit {
  const raw = process.env.MURMUR_ENGINE_INIT;
  if (!raw) throw new Error('MURMUR_ENGINE_INIT is not set: the engine process needs its init JSON');
  const init = JSON.parse(raw) as EngineInit;
  if (!init || typeof init !== 'object' || !init.config || typeof init.config !== 'object') {
    throw new Error('MURMUR_ENGINE_INIT is malformed: expected { config, journalPath?, userModelsDir? }');
  }
  return init;
}

// A standby loads and warms, then waits, silent, until its host makes it the engine.
const standby = process.env[STANDBY_ENV] === '1';
const { engine, ready } = createEngine(readInit(), { standby });
const sinks = new Set<Sink>();
const broadcast = (event: EngineEvent): void => {
  for (const sink of sinks) sink({ kind: 'event', event });
};
engine.on(broadcast);
/** The sink of the process channel (fork), connected now or, for a standby, at activation. */
let connectProcessSink: (() => void) | undefined;
let reportToHost: (report: StandbyReport) => void = () => undefined;
/** Standby work in order (a follow never overlaps the activation). */
let standbyWork: Promise<unknown> = ready.catch(() => undefined);

function control(message: StandbyControl): void {
  if (message.kind === 'standby_follow') {
    standbyWork = standbyWork.then(() => engine.lifecycle.follow()).catch(() => undefined);
    return;
  }
  standbyWork = standbyWork.then(async () => {
    connectProcessSink?.();
    await engine.lifecycle.activate();
  });
  // A failed activation was reported as a fatal `error` event; stay up so the host can show it.
  standbyWork.catch(() => undefined);
}

function receive(raw: unknown): void {
  if (isStandbyControl(raw)) return control(raw);
  const parsed = parseCommand(raw);
  if (parsed.ok) engine.handle(parsed.value);
  else broadcast({ type: 'error', code: 'bad_command', message: parsed.error, fatal: false });
}

function attachPort(port: PortLike): void {
  const sink: Sink = (message) => port.postMessage(message);
  port.on('message', (message) => receive(message.data));
  port.on('close', () => sinks.delete(sink));
  port.start();
  for (const event of engine.snapshot()) sink({ kind: 'event', event });
  sinks.add(sink);
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) {
  parentPort.on('message', (message) => {
    const data = message.data as { kind?: string } | undefined;
    const port = message.ports[0];
    if (data?.kind === 'attach-port' && port) attachPort(port);
    else receive(message.data);
  });
  reportToHost = (report) => parentPort.postMessage(report);
} else if (process.send) {
  connectProcessSink = (): void => {
    connectProcessSink = undefined;
    sinks.add((message) => {
      if (process.connected) process.send?.(message);
    });
  };
  if (!standby) connectProcessSink();
  process.on('message', receive);
  reportToHost = (report) => {
    if (process.connected) process.send?.(report);
  };
  process.on('disconnect', () => void shutdown(0));
} else {
  throw new Error('worker.ts must run as a child process (fork) or an Electron utilityProcess');
}

async function shutdown(code: number): Promise<void> {
  await engine.dispose().catch(() => undefined);
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
// A failed load was already reported as a fatal `error` event; stay up so the host can show it.
// A standby that could not load tells its host, which then starts engines the normal way.
ready.then(
  () => {
    if (standby) reportToHost({ kind: 'standby_ready' });
  },
  (error: unknown) => {
    if (standby) reportToHost({ kind: 'standby_failed', message: error instanceof Error ? error.message : String(error) });
  },
);
