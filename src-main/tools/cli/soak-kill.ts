import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConversationJournal } from '../../engine/core/journal';
import { EngineProcess } from '../../engine/host/engine-process';
import type { EngineInit } from '../../engine/host/init';
import { percentile } from '../../shared/stats';

export interface KillSoakOptions {
  /** The engine process's start-up (model paths explicit); a journal is made in a temporary folder if none is given. */
  init: EngineInit;
  turns: number;
  /** Every K-th turn, the engine process is SIGKILLed at a random moment inside it. */
  killEvery: number;
  /** What the user types, turn after turn (cycled). */
  texts: readonly string[];
  turnTimeoutMs?: number;
  /** Seed of the kill moments (reproducible runs). */
  seed?: number;
  /** Keep a standby engine as the app does on the CPU (default true). */
  standby?: boolean;
  /** Pause between a turn's end and the next request, as a person reads or hears the answer (default 1000 ms). */
  thinkMs?: number;
  log?: (line: string) => void;
}

export interface KillSoakTurn {
  turn: number;
  killed: boolean;
  /** The engine announced the turn done (`turn_done`) before any kill. */
  done: boolean;
  /** The engine's own number of the turn, when it was done. */
  engineTurn: number | null;
  ms: number;
}

export interface KillSoakReport {
  turns: number;
  kill_every: number;
  kills: number;
  /** Turns whose turn_done was emitted but which are not in the journal after the restarts. */
  lost_turns: number;
  recoveries_ms: number[];
  recovery_p95_ms: number | null;
  /** Whether a standby engine was kept, and how many recoveries it served (the others loaded a new engine). */
  standby: boolean;
  standby_takeovers: number;
  per_turn: KillSoakTurn[];
}

/**
 * The engine in its own process as the app hosts it (EngineProcess, the app's restart policy),
 * typed turns one after another, and a SIGKILL at a random moment inside every K-th turn (between
 * the request and a little after the turn's expected end, so kills also land right after a
 * `turn_done`). Afterwards every turn whose `turn_done` went out must be in the journal.
 */
export async function runKillSoak(options: KillSoakOptions): Promise<KillSoakReport> {
  if (options.texts.length === 0) throw new Error('soak --kill-every: no texts to type');
  if (!(options.killEvery >= 1)) throw new Error('soak --kill-every must be at least 1');
  const log = options.log ?? (() => undefined);
  const journalPath = options.init.journalPath ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'murmur-kill-soak-')), 'journal.jsonl');
  const standby = options.standby ?? true;
  const host = new EngineProcess({ init: { ...options.init, journalPath }, restartDelayMs: 100, maxConsecutiveRestarts: Math.max(5, options.turns), standby });
  let takeovers = 0;
  let standbyPidAtKill: number | undefined;
  const random = mulberry32(options.seed ?? 1);
  const announced = new Map<number, string>();
  const recoveries: number[] = [];
  const perTurn: KillSoakTurn[] = [];
  let onDone: ((turn: number) => void) | undefined;
  let onReady: (() => void) | undefined;
  host.onEvent((event) => {
    if (event.type === 'turn_done' && event.user) {
      announced.set(event.turn, event.user);
      onDone?.(event.turn);
    }
    if (event.type === 'host' && event.status === 'restarted') {
      recoveries.push(event.restartMs);
      if (standbyPidAtKill !== undefined && event.pid === standbyPidAtKill) takeovers++;
    }
    if (event.type === 'state' && event.state === 'ready') onReady?.();
  });
  await host.start();
  const timeout = options.turnTimeoutMs ?? 120_000;
  let typicalMs = 2000;
  try {
    for (let i = 1; i <= options.turns; i++) {
      const text = `${options.texts[(i - 1) % options.texts.length] as string} (turn ${i})`;
      const kill = i % options.killEvery === 0;
      const started = performance.now();
      const outcome = await new Promise<{ done: boolean; engineTurn: number | null; killed: boolean }>((resolve, reject) => {
        let killed = false;
        let doneTurn: number | null = null;
        const timer = setTimeout(() => reject(new Error(`turn ${i} did not finish within ${timeout} ms`)), timeout);
        const finish = (): void => {
          clearTimeout(timer);
          onDone = undefined;
          onReady = undefined;
          resolve({ done: doneTurn !== null, engineTurn: doneTurn, killed });
        };
        onDone = (turn) => {
          doneTurn = turn;
          if (!kill || killed) finish();
        };
        if (kill) {
          // A random moment from the request to a little past the turn's usual end.
          const at = random() * typicalMs * 1.3;
          setTimeout(() => {
            killed = true;
            onReady = finish; // the turn ends with the restarted engine ready
            standbyPidAtKill = host.standbyPid;
            host.kill('SIGKILL');
          }, at);
        }
        host.send({ type: 'text_input', text });
      });
      const ms = Math.round(performance.now() - started);
      if (outcome.done && !outcome.killed) typicalMs = 0.7 * typicalMs + 0.3 * ms;
      perTurn.push({ turn: i, killed: outcome.killed, done: outcome.done, engineTurn: outcome.engineTurn, ms });
      log(`turn ${i}/${options.turns}: ${outcome.killed ? 'killed, ' : ''}${outcome.done ? `done as engine turn ${outcome.engineTurn}` : 'not done'} in ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, options.thinkMs ?? 1000));
    }
  } finally {
    await host.stop();
  }
  const kept = new ConversationJournal(journalPath).read().turns;
  const lost = [...announced].filter(([turn, user]) => !kept.some((k) => k.turn === turn && k.user === user));
  for (const [turn] of lost) log(`lost: engine turn ${turn} was announced done but is not in the journal`);
  return {
    turns: options.turns,
    kill_every: options.killEvery,
    kills: perTurn.filter((t) => t.killed).length,
    lost_turns: lost.length,
    recoveries_ms: recoveries,
    recovery_p95_ms: percentile(recoveries, 95) ?? null,
    standby,
    standby_takeovers: takeovers,
    per_turn: perTurn,
  };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
