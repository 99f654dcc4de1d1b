import fc from 'fast-check';
import { fuzzTargets, type FuzzTarget } from './targets';

/** One case taking longer than this is a hang. */
export const HANG_MS = 2000;

export interface TargetReport {
  cases: number;
  crashes: number;
  hangs: number;
  garbage: number;
  /** The first failing cases, to turn into regression tests. */
  failures: Array<{ kind: 'crash' | 'hang' | 'garbage'; detail: string; input: string }>;
}

export interface FuzzReport {
  seed: number;
  seconds: number;
  targets: Record<string, TargetReport>;
}

export interface FuzzOptions {
  /** Total time budget, shared equally by the targets. */
  seconds: number;
  seed: number;
  /** Each target runs at least this many cases, however long they take. */
  minCases?: number;
  /** Only these targets (default: all). */
  only?: readonly string[];
  log?: (line: string) => void;
}

const BATCH = 50;
const MAX_FAILURES_KEPT = 5;

/** Property-based and mutation fuzzing of every parser and schema at a process or file boundary. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const targets = fuzzTargets().filter((t) => !options.only || options.only.includes(t.name));
  const unknown = options.only?.filter((name) => !targets.some((t) => t.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown fuzz target(s): ${unknown.join(', ')}`);
  const report: FuzzReport = { seed: options.seed, seconds: options.seconds, targets: {} };
  const budgetMs = (options.seconds * 1000) / targets.length;
  try {
    for (const target of targets) {
      report.targets[target.name] = await fuzzOne(target, budgetMs, options);
      const r = report.targets[target.name] as TargetReport;
      options.log?.(`${target.name}: ${r.cases} cases, ${r.crashes} crashes, ${r.hangs} hangs, ${r.garbage} garbage`);
    }
  } finally {
    for (const target of targets) target.dispose?.();
  }
  return report;
}

async function fuzzOne(target: FuzzTarget, budgetMs: number, options: FuzzOptions): Promise<TargetReport> {
  const result: TargetReport = { cases: 0, crashes: 0, hangs: 0, garbage: 0, failures: [] };
  const started = performance.now();
  const minCases = options.minCases ?? 0;
  for (let batch = 0; performance.now() - started < budgetMs || result.cases < minCases; batch++) {
    const inputs = fc.sample(target.arbitrary, { numRuns: BATCH, seed: (options.seed + batch * 7919) | 0 });
    for (const input of inputs) {
      const t0 = performance.now();
      let verdict;
      try {
        verdict = await target.run(input);
      } catch (error) {
        verdict = { ok: false as const, kind: 'crash' as const, detail: `the target itself threw: ${String(error)}` };
      }
      const ms = performance.now() - t0;
      result.cases++;
      const failure = ms > HANG_MS ? { kind: 'hang' as const, detail: `${Math.round(ms)} ms` } : verdict.ok ? undefined : { kind: verdict.kind, detail: verdict.detail };
      if (!failure) continue;
      if (failure.kind === 'hang') result.hangs++;
      else if (failure.kind === 'crash') result.crashes++;
      else result.garbage++;
      if (result.failures.length < MAX_FAILURES_KEPT) result.failures.push({ ...failure, input: target.describe(input) });
    }
  }
  return result;
}
