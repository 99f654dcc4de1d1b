import { spawnSync } from 'node:child_process';

/**
 * glibc raises its mmap threshold each time a large block is freed, so the ~100 MB scratch buffers
 * that whisper.cpp and onnxruntime allocate per call end up on the heap and are never returned:
 * a 200-turn soak held 570–630 MB RSS (and kept growing) with the default, 305 MB with a fixed
 * threshold (docs/RELIABILITY.md). These variables fix the thresholds; they are read at process
 * start, so hosts set them on the engine process they spawn. Other C libraries ignore them.
 */
export const ENGINE_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/**
 * For CLIs that host the engine in-process: re-runs this process once with the malloc settings
 * when they are missing (Linux only) and returns its exit code; returns undefined when this
 * process already has them (or is not on glibc), and the caller goes on.
 */
export function rerunWithEngineMallocEnv(): number | undefined {
  if (process.platform !== 'linux' || process.env.MALLOC_MMAP_THRESHOLD_ !== undefined) return undefined;
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...ENGINE_MALLOC_ENV },
  });
  return result.status ?? 1;
}
