import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test and stand-in data: the repository's own `test/fixtures/` (what `npm test` needs, so a fresh
 * clone passes with nothing beside it), then the larger benchmark-only folder `../shared` beside the
 * checkout (or `$MURMUR_SHARED_DIR`). Dev-only: nothing in the app proper imports this module.
 */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (no package.json above this file)');
    dir = parent;
  }
  return dir;
}

/** The in-repository test data (`test/fixtures/`), laid out like ../shared. */
export function fixturesDir(): string {
  return path.join(projectRoot(), 'test', 'fixtures');
}

/** The benchmark data folder beside the checkout: `$MURMUR_SHARED_DIR`, else `../shared`. */
export function sharedDir(): string {
  return process.env.MURMUR_SHARED_DIR ?? path.resolve(projectRoot(), '..', 'shared');
}

/**
 * Absolute path of a data file or folder: `test/fixtures/<relative>` when the repository carries it,
 * else `<sharedDir>/<relative>`; throws a message naming both places when neither has it.
 */
export function sharedPath(relative: string): string {
  const candidates = [path.join(fixturesDir(), relative), path.join(sharedDir(), relative)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `missing test data "${relative}": not in ${candidates[0]} (the repository's test/fixtures) nor in ` +
        `${candidates[1]} (benchmark data beside the checkout: ../shared, or set MURMUR_SHARED_DIR). See README "Tests".`,
    );
  }
  return found;
}

/** Cache folder for generated stand-in models and other test artefacts (gitignored). */
export function cacheDir(...parts: string[]): string {
  return path.join(process.env.MURMUR_CACHE_DIR ?? path.join(projectRoot(), '.cache'), ...parts);
}
