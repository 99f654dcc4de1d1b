import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceEngine } from '../../../src-main/engine';
import { LogMel } from '../../../src-main/engine/stages/turn/log-mel';
import { SmartTurn, whisperExtractorFor8s, windowOf } from '../../../src-main/engine/stages/turn/smart-turn';
import { resolveConfig } from '../../../src-main/shared/config';
import type { EngineEvent } from '../../../src-main/shared/events';
import { decorateTurn } from '../../../src-main/tools/dev/stage-decorators';
import { ensureSmartTurnStandin } from '../../../src-main/tools/dev/standins/smart-turn-onnx';
import { clip, concat, disposeStandinStages, play, silence, standinStages, TEST_CONFIG } from '../../helpers/engine-helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-smart-turn-'));
let model: SmartTurn;
let modelPath: string;

beforeAll(async () => {
  modelPath = await ensureSmartTurnStandin();
  model = await SmartTurn.load({ modelPath, threads: 2 });
}, 120_000);

afterAll(async () => {
  await model?.dispose();
  await disposeStandinStages();
  rmSync(tmp, { recursive: true, force: true });
});

describe('Smart Turn v3 stage (the stand-in network: seeded weights, real format, precision and cost)', () => {
  it('has the network\'s size (≈ 8 M parameters, int8 weight matrices) and returns a probability for a turn, timed', async () => {
    const bytes = statSync(modelPath).size;
    // int8 weight matrices (~7.5 MB) and fp32 convolutions (~2 MB): near the published 8 MB CPU file.
    expect(bytes).toBeGreaterThan(8e6);
    expect(bytes).toBeLessThan(12e6);
    await model.warm();
    const speech = clip('jfk.wav');
    for (const audio of [speech.subarray(0, 16000), speech, concat(speech, speech)]) {
      const { probability, ms } = await model.classify(audio);
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
      expect(ms).toBeGreaterThan(0);
    }
    // The stand-in's verdicts mean nothing; its cost is the network's (printed for the record).
    const { ms } = await model.classify(speech);
    console.log(`smart turn stand-in: ${ms.toFixed(1)} ms per call (8 s window, 2 threads)`);
  });

  it("computes the library's Whisper log-mel features (transformers.js WhisperFeatureExtractor), only faster", async () => {
    const extractor = whisperExtractorFor8s();
    const fast = new LogMel({
      window: (extractor as unknown as { window: Float64Array }).window,
      melFilters: (extractor.config as { mel_filters: number[][] }).mel_filters,
      hop: 160,
      frames: 800,
    });
    const speech = clip('jfk.wav');
    // A short turn (zero-padded), a full 8 s one, and near-silence.
    for (const audio of [speech.subarray(0, 24000), speech.subarray(speech.length - 128000), new Float32Array(16000).fill(1e-4)]) {
      const window = windowOf(audio);
      const expected = (await extractor(window)).input_features.data as Float32Array;
      const actual = fast.compute(window);
      expect(actual.length).toBe(expected.length);
      let worst = 0;
      for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('refuses what is not a Smart Turn model, with a clear error', async () => {
    await expect(SmartTurn.load({ modelPath: path.join(tmp, 'absent.onnx'), threads: 1 })).rejects.toThrow(/file not found; download it with: npm run models -- download smart-turn-v3/);
    const text = path.join(tmp, 'notes.onnx');
    writeFileSync(text, 'not a model');
    await expect(SmartTurn.load({ modelPath: text, threads: 1 })).rejects.toThrow(/does not look like an ONNX model/);
    const { defaultVadModelPath } = await import('../../../src-main/engine/stages/vad/silero-vad');
    await expect(SmartTurn.load({ modelPath: defaultVadModelPath(), threads: 1 })).rejects.toThrow(/not a Smart Turn v3 model: expected the input "input_features"/);
    await expect(model.classify(new Float32Array(0))).rejects.toThrow(/non-empty/);
  });
});

describe('end of turn in the engine (real stand-in stages; the verdict is fixed by a labelled test oracle)', () => {
  async function engineWith(probability: number | undefined) {
    const stages = await standinStages();
    await stages.llm.clear();
    const turn = probability === undefined ? undefined : decorateTurn(model, { classify: async (audio) => ({ probability, ms: (await model.classify(audio)).ms }) });
    const engine = new VoiceEngine({ config: resolveConfig({ ...TEST_CONFIG, turn: { endOfTurn: 'smart' } }), stageOwnership: 'borrowed' });
    const events: EngineEvent[] = [];
    engine.on((event) => events.push(event));
    await engine.load(async () => ({ ...stages, ...(turn ? { turn } : {}) }));
    const of = <T extends EngineEvent['type']>(type: T) => events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
    return { engine, of };
  }

  it('"complete" ends the turn at the first pause the model hears, well before the maximum silence; the trace keeps the verdict', async () => {
    const { engine, of } = await engineWith(0.9);
    await play(engine, concat(clip('jfk.wav'), silence(3000)), true);
    const verdict = of('turn_verdict')[0];
    expect(verdict?.complete).toBe(true);
    const eot = of('eot_confirmed')[0]!;
    const speechEnd = of('speech_end').filter((e) => e.turn === eot.turn).at(-1)!;
    expect(eot.t - speechEnd.t).toBeLessThan(resolveConfig().turn.smartMaxSilenceMs);
    expect(of('trace').find((e) => e.trace.turn === eot.turn)?.trace.verdicts?.length).toBeGreaterThan(0);
    await engine.dispose();
  }, 120_000);

  it('"incomplete" only: the turn ends after the maximum silence (2 s), as one turn', async () => {
    const { engine, of } = await engineWith(0.05);
    await play(engine, concat(clip('jfk.wav'), silence(3500)), true);
    expect(of('turn_verdict').length).toBeGreaterThan(0);
    expect(of('turn_verdict').every((v) => !v.complete)).toBe(true);
    const eot = of('eot_confirmed')[0]!;
    const speechEnd = of('speech_end').filter((e) => e.turn === eot.turn).at(-1)!;
    expect(eot.t - speechEnd.t).toBeGreaterThanOrEqual(resolveConfig().turn.smartMaxSilenceMs - 64);
    expect(of('eot_confirmed')).toHaveLength(1);
    await engine.dispose();
  }, 120_000);

  it('no model (offline, never downloaded): Fast with a notice, once; the turn is answered', async () => {
    const { engine, of } = await engineWith(undefined);
    await play(engine, concat(clip('jfk.wav'), silence(1500)), true);
    const notices = of('error').filter((e) => e.code === 'turn_model_missing');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.fatal).toBe(false);
    expect(of('turn_verdict')).toEqual([]);
    const eot = of('eot_confirmed')[0]!;
    const speechEnd = of('speech_end').filter((e) => e.turn === eot.turn).at(-1)!;
    expect(eot.t - speechEnd.t).toBeLessThan(700);
    expect(of('turn_done').length).toBeGreaterThan(0);
    await engine.dispose();
  }, 120_000);
});
