import { readWavAs16kMono } from '../../src-main/audio/wav';
import { feedAudio, waitIdle } from '../../src-main/tools/cli/feeder';
import type { EngineConfigInput } from '../../src-main/shared/config';
import { resolveConfig } from '../../src-main/shared/config';
import { VoiceEngine, type SpeechStages } from '../../src-main/engine';
import type { EngineEvent } from '../../src-main/shared/events';
import { loadStages, resolveModelPaths } from '../../src-main/tools/cli/model-sets';
import { sharedPath } from '../../src-main/tools/dev/shared-data';
import type { ConversationJournal } from '../../src-main/engine/core/journal';

/** Engine settings for tests: stand-in models, 1 LLM thread, short answers. */
export const TEST_CONFIG: EngineConfigInput = {
  llm: { threads: 1, maxTokens: 48, temperature: 0, seed: 7 },
  stt: { threads: 2 },
  tts: { threads: 1 },
  // The stand-in end-of-turn model decides at random: these tests end turns on silence (the Smart
  // Turn policy has its own tests, with a fake classifier and the stand-in's real cost).
  turn: { endOfTurn: 'fast' },
};

let stagesPromise: Promise<SpeechStages> | undefined;

/** Stand-in stages, loaded once per test file (model loading dominates otherwise). */
export function standinStages(): Promise<SpeechStages> {
  stagesPromise ??= (async () => {
    const config = resolveConfig(TEST_CONFIG);
    return loadStages(config, await resolveModelPaths(config, 'standin'));
  })();
  return stagesPromise;
}

export async function disposeStandinStages(): Promise<void> {
  if (!stagesPromise) return;
  const stages = await stagesPromise;
  stagesPromise = undefined;
  for (const stage of [stages.vad, stages.stt, stages.llm, stages.tts]) await stage.dispose();
}

export interface TestEngine {
  engine: VoiceEngine;
  events: EngineEvent[];
  of<T extends EngineEvent['type']>(type: T): Extract<EngineEvent, { type: T }>[];
}

/** A fresh engine (own turn logic and clock) over the shared stand-in stages. */
export async function testEngine(config: EngineConfigInput = {}, journal?: ConversationJournal): Promise<TestEngine> {
  const stages = await standinStages();
  await stages.llm.clear();
  const merged = resolveConfig({
    ...TEST_CONFIG,
    ...config,
    llm: { ...TEST_CONFIG.llm, ...config.llm },
  });
  const engine = new VoiceEngine({ config: merged, journal, stageOwnership: 'borrowed' });
  const events: EngineEvent[] = [];
  engine.on((event) => events.push(event));
  await engine.load(async () => stages);
  return {
    engine,
    events,
    of: <T extends EngineEvent['type']>(type: T) => events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type),
  };
}

export function clip(name: string): Float32Array {
  return readWavAs16kMono(sharedPath(`speech/${name}`)).samples;
}

export function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const silence = (ms: number): Float32Array => new Float32Array(Math.round((ms / 1000) * 16000));

export async function play(engine: VoiceEngine, audio: Float32Array, realtime = false): Promise<void> {
  await feedAudio(engine, audio, { realtime });
  await waitIdle(engine, 90_000);
}

/** Acts as the audio player: reports playback start and every unit as played at once. */
export function attachInstantPlayer(engine: VoiceEngine): void {
  const started = new Set<number>();
  engine.on((event) => {
    if (event.type !== 'audio') return;
    if (!started.has(event.turn)) {
      started.add(event.turn);
      engine.handle({ type: 'playback_started', turn: event.turn });
    }
    engine.handle({ type: 'unit_played', turn: event.turn, unit: event.unit });
  });
}
