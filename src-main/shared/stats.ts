/** Milliseconds rounded to 0.1 ms (how every reported time is written). */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** Nearest-rank percentile of a sample (p in 0..100); undefined for an empty sample. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
