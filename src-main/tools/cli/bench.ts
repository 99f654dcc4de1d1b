/**
 * npm run bench -- --clips <dir> [--models standin-real|standin|default] [--replies <file.jsonl>]
 *                  [--baseline peer,peer-hot,sequential (any of them)] [--cores N]
 *                  [--runs N] [--limit N] [--json out.json] [--md out.md] [--svg out.svg]
 *
 * Plays every clip into the headless engine at real-time pace (plus 1.5 s of silence), all in one
 * conversation, and measures voice-to-voice from the last voiced input sample to the first reply
 * sample ready for output. The engine runs the app's configuration for a CPU-only machine
 * (src-main/app/engine-config.ts); engine flags override it and the report lists what they changed.
 * `--cores N` plans threads as the app would on an N-core machine (a simulation on this one).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultAppSettings, engineConfigFromSettings } from '../../app/engine-config';
import { resolveConfig, type EngineConfigInput } from '../../shared/config';
import { runBench, type BaselineName } from '../bench/run';
import { toJson, toMarkdown, toSvg } from '../bench/report';
import { sharedPath } from '../dev/shared-data';
import { DEFAULT_REPLIES_FILE } from '../dev/standins/text-adapters';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { runEngineCli } from './run-engine-cli';

const BASELINES: readonly BaselineName[] = ['peer', 'peer-hot', 'sequential'];

/** "section.key: app → bench" for every setting the flags changed. */
function configOverrides(app: EngineConfigInput, effective: EngineConfigInput): string[] {
  const a = resolveConfig(app) as unknown as Record<string, Record<string, unknown>>;
  const b = resolveConfig(effective) as unknown as Record<string, Record<string, unknown>>;
  const out: string[] = [];
  for (const section of Object.keys(b)) {
    for (const key of Object.keys(b[section] ?? {})) {
      const before = JSON.stringify(a[section]?.[key]);
      const after = JSON.stringify(b[section]?.[key]);
      if (before !== after) out.push(`${section}.${key}: ${before ?? 'unset'} → ${after} (flag)`);
    }
  }
  return out;
}

function parseBaselines(value: string | undefined): BaselineName[] {
  if (value === undefined) return [];
  const names = value.split(',').map((v) => v.trim());
  for (const name of names) {
    if (!BASELINES.includes(name as BaselineName)) throw new Error(`--baseline takes a comma-separated list of peer, peer-hot and sequential (got "${value}")`);
  }
  return [...new Set(names as BaselineName[])];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      models: { type: 'string', default: 'standin-real' },
      clips: { type: 'string' },
      replies: { type: 'string' },
      baseline: { type: 'string' },
      cores: { type: 'string' },
      runs: { type: 'string', default: '1' },
      limit: { type: 'string' },
      json: { type: 'string' },
      md: { type: 'string' },
      svg: { type: 'string' },
      'full-replies': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.clips) {
    console.error('bench: --clips <dir> is required (a folder of 16 kHz WAVs with transcripts.tsv, e.g. ../shared/speech)');
    return 2;
  }
  const cores = values.cores === undefined ? availableParallelism() : Number(values.cores);
  if (!Number.isInteger(cores) || cores < 1) throw new Error(`--cores expects a positive integer (got "${values.cores}")`);
  // What the app runs on a CPU-only machine with this many cores; the flags override it.
  const hw = { gpu: false, cores };
  const appConfig = engineConfigFromSettings(defaultAppSettings(hw), hw);
  const init = engineInitFromFlags(values, appConfig);
  const overrides = configOverrides(appConfig, init.config);
  if (values.cores !== undefined) overrides.push(`thread plan for ${cores} cores on a ${availableParallelism()}-core machine (--cores, a simulation)`);
  const repliesFile = init.modelSet === 'standin-real' ? (values.replies ?? sharedPath(DEFAULT_REPLIES_FILE)) : values.replies;
  const run = await runBench({
    clipsDir: values.clips,
    models: init.modelSet,
    baselines: parseBaselines(values.baseline),
    runs: Number(values.runs),
    limit: values.limit ? Number(values.limit) : undefined,
    config: init.config,
    overrides,
    cores,
    repliesFile,
    fullReplies: values['full-replies'],
    log: (line) => console.log(line),
  });
  const json = toJson(run);
  const md = toMarkdown(json);
  console.log('\n' + md);
  if (values.json) writeFileSync(values.json, JSON.stringify(json, null, 2) + '\n');
  if (values.md) writeFileSync(values.md, md);
  if (values.svg) writeFileSync(values.svg, toSvg(json));
  return json.voice_to_voice_ms.p50 === null ? 1 : 0;
}

runEngineCli('bench', main);
