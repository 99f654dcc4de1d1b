import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../src-main/tools/fuzz/run';

/**
 * The CI-length fuzz run: a fixed seed, at least 1000 cases per target (WAV, GGUF, ggml, the
 * command protocol, settings.json, the chunker and markdown cleaner). Every crash, hang or garbage
 * result it ever finds becomes a case in that parser's own tests.
 */
describe('fuzz (fixed seed, ≥ 1000 cases per target)', () => {
  it('finds no crash, no hang and no garbage in any parser or schema', async () => {
    const report = await runFuzz({ seconds: 0, seed: 20261204, minCases: 1000 });
    expect(Object.keys(report.targets).sort()).toEqual(['chunker', 'ggml', 'gguf', 'protocol', 'settings', 'wav']);
    for (const [name, r] of Object.entries(report.targets)) {
      expect(r.cases, name).toBeGreaterThanOrEqual(1000);
      expect({ name, crashes: r.crashes, hangs: r.hangs, garbage: r.garbage, failures: r.failures }).toEqual({ name, crashes: 0, hangs: 0, garbage: 0, failures: [] });
    }
  }, 600_000);
});
