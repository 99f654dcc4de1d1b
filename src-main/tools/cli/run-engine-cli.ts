import { rerunWithEngineMallocEnv } from '../../engine/host/malloc-env';

/**
 * Entry for CLIs that host the engine in-process (talk, bench, soak): makes sure the process runs
 * with the engine's malloc settings, then exits with `main`'s code or prints its error.
 */
export function runEngineCli(name: string, main: () => Promise<number>): void {
  const rerun = rerunWithEngineMallocEnv();
  if (rerun !== undefined) process.exit(rerun);
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
