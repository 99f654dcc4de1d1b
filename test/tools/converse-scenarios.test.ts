import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src-main/engine/runtime';
import { engineInitFromFlags } from '../../src-main/tools/cli/engine-args';
import { resolveInit } from '../../src-main/tools/cli/model-sets';
import { buildReport, formatTimeline, type ScenarioReport } from '../../src-main/tools/converse/report';
import { MicTimeline, runScenario } from '../../src-main/tools/converse/runner';
import { loadScenario } from '../../src-main/tools/converse/scenario';
import { scenarioStages } from '../../src-main/tools/converse/standin-adapters';
import { fixturesDir } from '../../src-main/tools/dev/shared-data';

/**
 * The shared conversation scenarios (test/fixtures/scenarios, copied from ../shared/scenarios),
 * each played in real time through the engine the app runs, on the fast stand-in set (real
 * Silero VAD, whisper tiny.en shapes, the tiny llama, the light Kokoro-format graph): the user's
 * clips where the scenario puts them, the room's echo of the answer in the microphone, a player
 * reporting as the app's does. The stand-in STT hears the words of the audio it is given (see
 * converse/standin-adapters.ts), so a word the engine drops is missing from the report.
 */
async function converse(name: string): Promise<ScenarioReport> {
  const scenario = loadScenario(path.join(fixturesDir(), 'scenarios', `${name}.json`));
  const init = engineInitFromFlags({ models: 'standin', 'max-tokens': '40' }, { turn: { mode: scenario.mode, endOfTurn: 'smart' } });
  const mic = new MicTimeline();
  const { engine, ready } = createEngine(await resolveInit(init, { turnOracle: true }), {
    wrapStages: (stages) => scenarioStages(stages, 'standin', mic, scenario.assistantVoice),
  });
  await ready;
  try {
    const record = await runScenario(engine, scenario, { mic });
    const report = buildReport(record);
    console.log(formatTimeline(record, report));
    return report;
  } finally {
    await engine.dispose();
  }
}

/** What every scenario must hold: nothing lost, nothing cut by the assistant's own voice. */
function expectClean(report: ScenarioReport): void {
  expect(report.errors).toEqual([]);
  expect(report.unplayed_parts).toBe(0);
  expect(report.words_lost).toBe(0);
  expect(report.self_interruptions).toBe(0);
  for (const clip of report.user) expect(clip.words_heard).toBe(clip.words);
}

const TIMEOUT = 240_000;

describe('conversation scenarios (real time, stand-in models)', () => {
  it('pause-then-continue: the first sentence and the continuation both reach an answer', async () => {
    const report = await converse('pause-then-continue');
    // When the fast stand-ins' first answer is already playing on headphones, the echo guard
    // presumes an echo path for its first second and removes the continuation as possible echo;
    // once it finds none, the turn starts where the voice began in the microphone itself.
    expectClean(report);
    // Merged into one turn when the answer had not been heard yet; else the first answer was cut.
    if (report.turns.length === 1) expect(report.turns[0]!.transcript.split(' ')).toHaveLength(15);
    else expect(report.turns[0]!.interrupted).toBe(true);
  }, TIMEOUT);

  it('push-to-talk-pauses: one press over two sentences and a pause is one turn with every word', async () => {
    const report = await converse('push-to-talk-pauses');
    expectClean(report);
    expect(report.turns).toHaveLength(1);
    expect(report.turns[0]!.transcript.split(' ')).toHaveLength(15);
  }, TIMEOUT);

  it('talk-over-answer-headphones: the talk-over is heard within 600 ms and cuts the answer', async () => {
    const report = await converse('talk-over-answer-headphones');
    expectClean(report);
    const over = report.user[1]!;
    expect(over.during_answer).toBe(true);
    expect(over.barge_in_ms).not.toBeNull();
    expect(over.barge_in_ms!).toBeLessThanOrEqual(600);
    expect(report.turns[0]!.interrupted).toBe(true);
  }, TIMEOUT);

  it('barge-in-measured-room: the user is heard over an echo 3 dB louder than them, before the guard knows the room', async () => {
    const report = await converse('barge-in-measured-room');
    expectClean(report);
    const over = report.user[1]!;
    expect(over.during_answer).toBe(true);
    expect(over.barge_in_ms).not.toBeNull();
    expect(over.barge_in_ms!).toBeLessThanOrEqual(600);
  }, TIMEOUT);

  it('echo-only-loud: an answer 10 dB louder than the user through a clipping speaker never interrupts itself', async () => {
    const report = await converse('echo-only-loud');
    expectClean(report);
    expect(report.turns).toHaveLength(1);
    expect(report.turns[0]!.interrupted).toBe(false);
  }, TIMEOUT);

  it('three-turns-study: three turns in a reverberant room, three answers heard to the end', async () => {
    const report = await converse('three-turns-study');
    expectClean(report);
    expect(report.turns.filter((t) => t.transcript && !t.interrupted)).toHaveLength(3);
  }, TIMEOUT);
});
