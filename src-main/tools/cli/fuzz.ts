/**
 * npm run fuzz -- [--seconds N] [--seed N] [--min-cases N] [--target wav,gguf,...] [--json out.json]
 *
 * Fuzzes every parser and schema at a boundary (WAV, GGUF and ggml model files, the engine's
 * command protocol, settings.json, the chunker and markdown cleaner) with fast-check: generated
 * values and mutations of the real sample files in test/fixtures. Prints one line per target and
 * writes {"targets": {"<name>": {"cases", "crashes", "hangs", "garbage", "failures"}}}. A crash is an
 * exception other than the parser's own clear error, a hang one case over 2 s, garbage a result that
 * breaks the target's invariant. Exits 1 when any target found one.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runFuzz } from '../fuzz/run';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      'min-cases': { type: 'string', default: '0' },
      target: { type: 'string' },
      json: { type: 'string' },
    },
    strict: true,
  });
  const seconds = Number(values.seconds);
  const seed = Number(values.seed);
  const minCases = Number(values['min-cases']);
  for (const [name, value] of [['--seconds', seconds], ['--seed', seed], ['--min-cases', minCases]] as const) {
    if (!Number.isFinite(value) || value < 0) {
      console.error(`fuzz: ${name} must be a non-negative number`);
      return 2;
    }
  }
  const only = values.target?.split(',').map((s) => s.trim()).filter(Boolean);
  console.log(`fuzz: seed ${seed}, ${seconds} s`);
  const report = await runFuzz({ seconds, seed, minCases, only, log: (line) => console.log(line) });
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
  let failed = false;
  for (const [name, r] of Object.entries(report.targets)) {
    for (const f of r.failures) console.log(`  ${name} ${f.kind}: ${f.detail}\n    input: ${f.input}`);
    if (r.crashes + r.hangs + r.garbage > 0) failed = true;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`fuzz: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
