/**
 * npm run bench -- --clips <dir> [--models standin-real|standin|default] [--baseline sequential]
 *                  [--runs N] [--limit N] [--json out.json] [--md out.md] [--svg out.svg]
 *
 * Plays every clip into the headless engine at real-time pace (plus 1.5 s of silence), all in one
 * conversation, and measures voice-to-voice from the last voiced input sample to the first reply
 * sample ready for output.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBench } from '../bench/run';
import { toJson, toMarkdown, toSvg } from '../bench/report';
import { engineInitFromFlags, ENGINE_FLAG_OPTIONS } from './engine-args';
import { runEngineCli } from './run-engine-cli';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_FLAG_OPTIONS,
      models: { type: 'string', default: 'standin-real' },
      clips: { type: 'string' },
      baseline: { type: 'string' },
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
  if (values.baseline !== undefined && values.baseline !== 'sequential') {
    console.error('bench: --baseline takes one value: sequential');
    return 2;
  }
  const init = engineInitFromFlags(values);
  const run = await runBench({
    clipsDir: values.clips,
    models: init.modelSet,
    baseline: values.baseline === 'sequential',
    runs: Number(values.runs),
    limit: values.limit ? Number(values.limit) : undefined,
    config: init.config,
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
