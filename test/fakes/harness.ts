import { resolveConfig, type EngineConfigInput } from '../../src-main/shared/config';
import { VoiceEngine, type StageLoaders } from '../../src-main/engine';
import type { EngineEvent } from '../../src-main/shared/events';
import type { ConversationJournal } from '../../src-main/engine/core/journal';
import { TurnTracer } from '../../src-main/engine/core/trace';
import { ManualClock } from './clock';
import { fakeStages, type FakeStages } from './stages';

/** 32 ms at 16 kHz: one VAD window per frame. */
export const FRAME = 512;
export const FRAME_MS = 32;

/** Settles pending promise chains (the engine's pump and answers run on microtasks). */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface FakeEngine {
  engine: VoiceEngine;
  clock: ManualClock;
  stages: FakeStages;
  events: EngineEvent[];
  of<T extends EngineEvent['type']>(type: T): Extract<EngineEvent, { type: T }>[];
  /** Types of the events emitted so far, optionally only those of `turn`. */
  types(turn?: number): string[];
  /** Feeds `ms` of frames whose FAKE VAD probability is `p`, one frame per 32 ms of clock. */
  feed(p: number, ms: number): Promise<void>;
  /** Frames pushed at once, without letting the engine run in between (a burst from the mic). */
  burst(p: number, ms: number): void;
  advance(ms: number): Promise<void>;
  /** Traces still open in a tracer observing the engine's events (a leak check). */
  openTraces(): number;
}

/**
 * An engine over FAKE stages and a manual clock (partials off unless asked for). The echo guard is
 * off unless asked for: the fake frames and the fake TTS's audio are constants, not sound (the
 * guard is tested on real audio in echo-engine.test.ts).
 */
export async function fakeEngine(
  config: EngineConfigInput = {},
  options: {
    journal?: ConversationJournal;
    reloadStages?: Partial<StageLoaders>;
    /**
     * Replaces fake stages with real ones before the engine loads them (the engine keeps its own
     * stage set). The stages are then the test's: the engine borrows them and leaves them loaded.
     */
    withStages?: (stages: FakeStages) => void;
  } = {},
): Promise<FakeEngine> {
  const clock = new ManualClock();
  const stages = fakeStages();
  options.withStages?.(stages);
  const engine = new VoiceEngine({
    config: resolveConfig({ ...config, stt: { partialIntervalMs: 0, ...config.stt }, echo: { enabled: false, ...config.echo }, turn: { endOfTurn: 'fast', ...config.turn } }),
    clock: clock.now,
    timers: clock,
    journal: options.journal,
    reloadStages: options.reloadStages,
    stageOwnership: options.withStages ? 'borrowed' : 'owned',
  });
  const events: EngineEvent[] = [];
  const tracer = new TurnTracer(() => undefined);
  engine.on((event) => {
    events.push(event);
    tracer.observe(event);
  });
  await engine.load(async () => stages);
  const push = (p: number): void => engine.handle({ type: 'audio', sampleRate: 16000, samples: new Float32Array(FRAME).fill(p) });
  return {
    engine,
    clock,
    stages,
    events,
    of: <T extends EngineEvent['type']>(type: T) => events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type),
    types: (turn) => events.filter((e) => turn === undefined || ('turn' in e && e.turn === turn)).map((e) => e.type),
    feed: async (p, ms) => {
      for (let elapsed = 0; elapsed < ms; elapsed += FRAME_MS) {
        clock.advance(FRAME_MS);
        push(p);
        await settle(1);
      }
      await settle();
    },
    burst: (p, ms) => {
      for (let elapsed = 0; elapsed < ms; elapsed += FRAME_MS) {
        clock.advance(FRAME_MS);
        push(p);
      }
    },
    advance: async (ms) => {
      clock.advance(ms);
      await settle();
    },
    openTraces: () => tracer.openCount,
  };
}

export const VOICE = 0.9;
export const QUIET = 0;
