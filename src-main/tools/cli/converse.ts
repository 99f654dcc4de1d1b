/**
 * npm run converse -- --scenario <file.json> [--models standin|standin-real|default] [--json out.json]
 *
 * A conversation as a person has it, in real time, through the engine the app runs: the user's
 * clips placed as the scenario says (also relative to the answer), the room's echo of what the
 * player plays added to the microphone, the player reporting as the app's does. Prints a timeline
 * and the figures; `--json` writes the report (format: ../shared/scenarios/README.md).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine } from '../../engine/runtime';
import { buildReport, formatTimeline } from '../converse/report';
import { MicTimeline, runScenario } from '../converse/runner';
import { loadScenario } from '../converse/scenario';
import { scenarioStages } from '../converse/standin-adapters';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { resolveInit } from './model-sets';
import { runEngineCli } from './run-engine-cli';

const USAGE = `usage: npm run converse -- --scenario <file.json> [--models standin|standin-real|default] [--json out.json]
       [--stt-model <file>] [--llm-model <file>] [--tts-model <dir>] [--eot <ms>] [--threads stt,llm,tts] [--max-tokens n]`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { ...ENGINE_FLAG_OPTIONS, scenario: { type: 'string' }, json: { type: 'string' }, events: { type: 'string' }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.scenario) {
    console.error(`converse: --scenario <file.json> is required\n${USAGE}`);
    return 2;
  }
  const scenario = loadScenario(values.scenario);
  // Smart end of turn unless the flags say otherwise (stand-in sets: with the scenario's oracle).
  const init = engineInitFromFlags(values, { turn: { mode: scenario.mode, endOfTurn: 'smart' } });
  if (init.modelSet === 'default' && scenario.assistantVoice) {
    console.log('note: assistant_voice applies to stand-in models only; the real Kokoro speaks for itself');
  }
  const mic = new MicTimeline();
  const { engine, ready } = createEngine(await resolveInit(init, { turnOracle: true }), {
    wrapStages: (stages) => scenarioStages(stages, init.modelSet, mic, scenario.assistantVoice),
  });
  engine.on((event) => {
    if (event.type === 'error' && event.fatal) console.error(`error: ${event.message}`);
  });
  try {
    await ready;
  } catch {
    return 1;
  }
  console.log(`${scenario.name}: ${scenario.mode}, ${scenario.room ? `room (echo ${-scenario.room.serDb} dB over the user)` : 'headphones'}, models ${init.modelSet}`);
  const record = await runScenario(engine, scenario, { mic, log: (line) => console.log(`  ${line}`) });
  await engine.dispose();
  const report = buildReport(record);
  console.log(formatTimeline(record, report));
  if (values.events) writeFileSync(values.events, record.events.map((e) => JSON.stringify({ at: Math.round(e.at), ...e.event, ...(e.samples !== undefined ? { samples: e.samples } : {}) })).join('\n') + '\n');
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  return 0;
}

runEngineCli('converse', main);
