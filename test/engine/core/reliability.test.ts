import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import dns from 'node:dns';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src-main/shared/config';
import { VoiceEngine } from '../../../src-main/engine/core/voice-engine';
import type { EngineEvent } from '../../../src-main/shared/events';
import { resolveInit } from '../../../src-main/tools/cli/model-sets';
import { EngineProcess } from '../../../src-main/engine/host/engine-process';
import type { HostEvent } from '../../../src-main/shared/host-types';
import { ConversationJournal } from '../../../src-main/engine/core/journal';
import { parseJsonControl, MAX_CONTROL_MESSAGE_BYTES } from '../../../src-main/shared/protocol';
import { projectRoot, sharedPath } from '../../../src-main/tools/dev/shared-data';
import { describeIsolation, offlineIsolation, runNodeOffline } from '../../helpers/offline';
import { attachInstantPlayer, clip, concat, disposeStandinStages, play, silence, standinStages, TEST_CONFIG, testEngine } from '../../helpers/engine-helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'murmur-reliability-'));
afterAll(async () => {
  await disposeStandinStages();
  rmSync(tmp, { recursive: true, force: true });
});

function waitForEvent(events: HostEvent[], predicate: (e: HostEvent) => boolean, timeoutMs: number): Promise<HostEvent> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      const found = events.find(predicate);
      if (found) return resolve(found);
      if (performance.now() > deadline) return reject(new Error(`event not seen within ${timeoutMs} ms; saw: ${events.map((e) => e.type).join(',')}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('conversation journal', () => {
  it('tolerates a torn last line and restores every complete turn', async () => {
    const file = path.join(tmp, 'torn.jsonl');
    const journal = new ConversationJournal(file);
    await journal.append({ turn: 1, user: 'hello', assistant: 'hi there', interrupted: false, at: 1 });
    await journal.append({ turn: 2, user: 'tell me more', assistant: 'well', interrupted: true, at: 2 });
    appendFileSync(file, '{"turn":3,"user":"cut off in the mid');
    const { turns, skippedLines } = new ConversationJournal(file).read();
    expect(turns.map((t) => t.turn)).toEqual([1, 2]);
    expect(turns[1]!.interrupted).toBe(true);
    expect(skippedLines).toBe(1);
    await journal.clear();
    expect(journal.read().turns).toEqual([]);
  });

  it('is restored into the engine and its LLM history on load, and cleared on request', async () => {
    const file = path.join(tmp, 'restore.jsonl');
    const journal = new ConversationJournal(file);
    await journal.append({ turn: 4, user: 'what is my name', assistant: 'you did not say', interrupted: false, at: 1 });
    const { engine, of } = await testEngine({}, journal);
    expect(of('history').at(-1)?.turns.map((t) => t.user)).toEqual(['what is my name']);
    const stages = await standinStages();
    expect((stages.llm as unknown as { history(): Array<{ user: string }> }).history().map((t) => t.user)).toEqual(['what is my name']);
    attachInstantPlayer(engine);
    engine.handle({ type: 'text_input', text: 'and now?' });
    const deadline = performance.now() + 30_000;
    while (of('turn_done').length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const done = of('turn_done');
    expect(done[0]?.turn).toBe(5); // numbering continues after the restored turns
    expect(journal.read().turns.map((t) => t.user)).toEqual(['what is my name', 'and now?']);
    engine.handle({ type: 'clear_history' });
    await new Promise((r) => setTimeout(r, 50));
    expect(journal.read().turns).toEqual([]);
    expect(of('history').at(-1)?.turns).toEqual([]);
    await engine.dispose();
  });
});

describe('engine process: kill -9 mid-answer', () => {
  it('restarts the engine, reports it, keeps every completed turn, and the next turn works', async () => {
    const journalPath = path.join(tmp, 'crash.jsonl');
    const host = new EngineProcess({ init: await resolveInit({ config: TEST_CONFIG, modelSet: 'standin', journalPath }) });
    const events: HostEvent[] = [];
    host.onEvent((e) => {
      events.push(e);
      if (e.type === 'audio' && e.unit === 0) host.send({ type: 'playback_started', turn: e.turn });
      if (e.type === 'audio') host.send({ type: 'unit_played', turn: e.turn, unit: e.unit });
    });
    try {
      await host.start();
      host.send({ type: 'text_input', text: 'Tell me about the sea.' });
      await waitForEvent(events, (e) => e.type === 'turn_done', 60_000);

      // Second answer: kill the engine as soon as its first audio exists.
      host.send({ type: 'text_input', text: 'Tell me a long story about a ship.' });
      await waitForEvent(events, (e) => e.type === 'audio' && e.turn === 2, 60_000);
      const isStart = (e: HostEvent): boolean => e.type === 'host' && e.status === 'started';
      const startsBefore = events.filter(isStart).length;
      const killedAt = performance.now();
      host.kill('SIGKILL');
      const crashed = await waitForEvent(events, (e) => e.type === 'host' && e.status === 'crashed', 5_000);
      expect(crashed.type === 'host' && crashed.status === 'crashed' && crashed.signal).toBe('SIGKILL');
      while (events.filter(isStart).length === startsBefore) {
        expect(performance.now() - killedAt, 'a new engine process must be started within 2 s').toBeLessThan(2_000);
        await new Promise((r) => setTimeout(r, 5));
      }
      const respawnMs = performance.now() - killedAt;
      const restarted = await waitForEvent(events, (e) => e.type === 'host' && e.status === 'restarted', 30_000);
      const readyMs = performance.now() - killedAt;
      // The new process restored the conversation from the journal: turn 1 only (turn 2 died mid-answer).
      const history = events.filter((e): e is Extract<HostEvent, { type: 'history' }> => e.type === 'history').at(-1);
      expect(history?.turns.map((t) => t.user)).toEqual(['Tell me about the sea.']);
      const journal = new ConversationJournal(journalPath).read();
      expect(journal.turns.map((t) => t.turn)).toEqual([1]);

      host.send({ type: 'text_input', text: 'Are you still there?' });
      const next = await waitForEvent(events, (e) => e.type === 'turn_done' && e.user === 'Are you still there?', 60_000);
      expect(next.type === 'turn_done' && next.turn).toBe(2);
      expect(restarted.type === 'host' && restarted.status === 'restarted').toBe(true);
      console.log(`kill -9 recovery: new process after ${Math.round(respawnMs)} ms, models loaded and ready after ${Math.round(readyMs)} ms`);
    } finally {
      await host.stop();
    }
  });

  it('answers malformed and oversized messages with an error and keeps working', async () => {
    const host = new EngineProcess({ init: await resolveInit({ config: TEST_CONFIG, modelSet: 'standin' }) });
    const events: HostEvent[] = [];
    host.onEvent((e) => events.push(e));
    try {
      await host.start();
      for (const bad of [null, 42, 'text', { type: 'nope' }, { type: 'audio', sampleRate: 16000, samples: [1, 2, 3] }, { type: 'audio', sampleRate: 16000, samples: new Float32Array(20000) }, { type: 'ptt' }, { type: 'text_input', text: 'x'.repeat(5000) }]) {
        host.post(bad);
      }
      host.post({ type: 'audio', sampleRate: 44100, samples: new Float32Array(512) });
      host.post({ type: 'audio', sampleRate: 16000, samples: new Float32Array(512).fill(Number.NaN) });
      host.post({ type: 'audio', sampleRate: 16000, samples: new Float32Array(0) });
      await new Promise((r) => setTimeout(r, 500));
      const errors = events.filter((e): e is Extract<EngineEvent, { type: 'error' }> => e.type === 'error');
      expect(errors.filter((e) => e.code === 'bad_command').length).toBe(8);
      expect(errors.some((e) => e.code === 'wrong_sample_rate' && /16000|16 kHz/.test(e.message))).toBe(true);
      expect(errors.some((e) => e.code === 'empty_frame')).toBe(true);
      expect(errors.every((e) => !e.fatal)).toBe(true);
      host.send({ type: 'text_input', text: 'Still fine?' });
      await waitForEvent(events, (e) => e.type === 'turn_done', 60_000);
    } finally {
      await host.stop();
    }
  });
});

describe('bad control input in-process', () => {
  it('rejects oversized and non-JSON control messages with a clear error', () => {
    const big = JSON.stringify({ type: 'text_input', text: 'a'.repeat(MAX_CONTROL_MESSAGE_BYTES) });
    const tooBig = parseJsonControl(big);
    expect(tooBig.ok).toBe(false);
    expect(!tooBig.ok && tooBig.error).toMatch(/too large/);
    const notJson = parseJsonControl('{"type":');
    expect(!notJson.ok && notJson.error).toMatch(/not valid JSON/);
    const wrong = parseJsonControl('{"type":"ptt","pressed":"yes"}');
    expect(!wrong.ok && wrong.error).toMatch(/pressed/);
  });

  it('takes commands during load and warmup (barge-in, push-to-talk, audio, text) without failing', async () => {
    const stages = await standinStages();
    const engine = new VoiceEngine({ config: resolveConfig(TEST_CONFIG), stageOwnership: 'borrowed' });
    const events: EngineEvent[] = [];
    engine.on((e) => events.push(e));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const loading = engine.load(async () => {
      await gate;
      return stages;
    });
    engine.handle({ type: 'ptt', pressed: true });
    engine.handle({ type: 'cancel' });
    engine.handle({ type: 'audio', sampleRate: 16000, samples: new Float32Array(512) });
    engine.handle({ type: 'text_input', text: 'too early' });
    engine.handle({ type: 'ptt', pressed: false });
    release();
    await loading;
    expect(events.some((e) => e.type === 'error' && e.code === 'not_ready')).toBe(true);
    expect(events.some((e) => e.type === 'error' && e.fatal)).toBe(false);
    expect(engine.engineState).toBe('ready');
    await engine.dispose();
  });
});

describe('offline guarantee', () => {
  it('opens no socket and makes no DNS lookup during a full spoken turn (in-process)', async () => {
    const { engine, of } = await testEngine();
    attachInstantPlayer(engine);
    const attempts: string[] = [];
    const originalConnect = net.Socket.prototype.connect;
    const originalLookup = dns.lookup;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      attempts.push(`connect ${JSON.stringify(args[0])}`);
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof net.Socket.prototype.connect;
    (dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
      attempts.push(`lookup ${String(args[0])}`);
      return (originalLookup as (...a: unknown[]) => unknown)(...args);
    };
    const originalFetch = globalThis.fetch;
    globalThis.fetch = (async (input: unknown) => {
      attempts.push(`fetch ${String(input)}`);
      throw new Error('network disabled in this test');
    }) as typeof fetch;
    try {
      await play(engine, concat(clip('spk1_snt1.wav'), silence(1500)));
    } finally {
      net.Socket.prototype.connect = originalConnect;
      (dns as { lookup: unknown }).lookup = originalLookup;
      globalThis.fetch = originalFetch;
    }
    expect(of('turn_done').length).toBeGreaterThan(0);
    expect(of('audio').length).toBeGreaterThan(0);
    expect(attempts).toEqual([]);
    await engine.dispose();
  });

  const isolation = offlineIsolation();
  it(`runs \`talk\` end to end with no network, checked inside the child (${isolation === 'namespace' ? 'user+net namespace' : 'socket guard'})`, () => {
    console.log(`offline test isolation: ${describeIsolation(isolation)}`);
    const run = runNodeOffline(
      ['--import', 'tsx', 'src-main/tools/cli/talk.ts', '--in', sharedPath('speech/spk1_snt2.wav'), '--models', 'standin', '--json', '--fast'],
      { cwd: projectRoot(), timeoutMs: 180_000 },
    );
    expect(run.error, String(run.error)).toBeUndefined();
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    const turns = run.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { reply: string; audio_samples: number });
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.some((t) => t.audio_samples > 0)).toBe(true);
    // What the child itself saw: the probe ran in it, its network was the isolated one, and it tried nothing.
    expect(run.reports.length, 'the network probe must have run inside the child').toBeGreaterThan(0);
    for (const report of run.reports) {
      if (isolation === 'namespace' && report.interfaces !== null) expect(report.interfaces, `interfaces of pid ${report.pid}`).toEqual(['lo']);
      if (isolation === 'guard') expect(report.guard).toBe(true);
    }
    expect(run.reports.flatMap((r) => r.attempts)).toEqual([]);
  });
});
