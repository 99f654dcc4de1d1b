/**
 * npm run soak -- --turns 200 [--models standin] [--clips ../shared/speech] [--json soak.json] [--turn-timeout ms]
 *
 * Drives many turns through one engine (see soak-run.ts) and prints/writes the report, with
 * `per_turn: [{ turn, prompt_tokens_evaluated, first_token_ms, rss_mb }]`.
 * `--llm-only`: the same conversation at the LLM stage alone (the clips' reference transcripts as
 * the user's words), to measure a long conversation's prompt evaluation quickly.
 * Exit code 1 when memory grew more than --max-growth percent (default 5).
 * `--kill-every K`: the engine in its own process as the app hosts it, typed turns, SIGKILLed at a
 * random moment inside every K-th turn and restarted by the app's restart policy (soak-kill.ts):
 * `{ lost_turns, recoveries_ms, per_turn }`; exit code 1 when a turn announced done was lost.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadClips } from '../bench/run';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { runEngineCli } from './run-engine-cli';
import { resolveInit } from './model-sets';
import { runKillSoak } from './soak-kill';
import { runLlmSoak, runSoak } from './soak-run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      models: { type: 'string', default: 'standin' },
      turns: { type: 'string', default: '200' },
      clips: { type: 'string', default: '../shared/speech' },
      warmup: { type: 'string', default: '10' },
      'max-growth': { type: 'string', default: '5' },
      'turn-timeout': { type: 'string', default: '180000' },
      json: { type: 'string' },
      'llm-only': { type: 'boolean', default: false },
      'kill-every': { type: 'string' },
      seed: { type: 'string', default: '1' },
      'no-standby': { type: 'boolean', default: false },
      'think-ms': { type: 'string', default: '1000' },
    },
    strict: true,
  });
  const turns = Number(values.turns);
  if (values['kill-every'] !== undefined) {
    const killEvery = Number(values['kill-every']);
    if (!Number.isInteger(killEvery) || killEvery < 1) {
      console.error(`soak: --kill-every must be a whole number ≥ 1, got "${values['kill-every']}"`);
      return 2;
    }
    const report = await runKillSoak({
      init: await resolveInit(engineInitFromFlags(values, { llm: { maxTokens: 48 } })),
      texts: loadClips(values.clips).map((clip) => clip.reference),
      turns,
      killEvery,
      seed: Number(values.seed),
      standby: !values['no-standby'],
      thinkMs: Number(values['think-ms']),
      turnTimeoutMs: Number(values['turn-timeout']),
      log: (line) => console.log(line),
    });
    const { per_turn: _perTurn, ...summary } = report;
    console.log(JSON.stringify(summary, null, 2));
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    return report.lost_turns > 0 ? 1 : 0;
  }
  if (values['llm-only']) {
    const report = await runLlmSoak({
      init: engineInitFromFlags(values, { llm: { maxTokens: 48 } }),
      userTexts: loadClips(values.clips).map((clip) => clip.reference),
      turns,
      log: (line) => console.log(line),
    });
    console.log(JSON.stringify(report.llm, null, 2));
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const report = await runSoak({
    init: engineInitFromFlags(values, { llm: { maxTokens: 48 } }),
    clips: loadClips(values.clips),
    turns,
    warmupTurns: Math.min(Number(values.warmup), Math.max(1, turns - 1)),
    turnTimeoutMs: Number(values['turn-timeout']),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(report, null, 2));
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  return report.rss_mb.growthPercent > Number(values['max-growth']) ? 1 : 0;
}

runEngineCli('soak', main);
