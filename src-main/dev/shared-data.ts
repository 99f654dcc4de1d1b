import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test, benchmark and stand-in data lives in `../shared` beside the checkout (never shipped).
 * Nothing in the app proper imports this module.
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

export function sharedDir(): string {
  return process.env.MURMUR_SHARED_DIR ?? path.resolve(projectRoot(), '..', 'shared');
}

/** Absolute path of a file under ../shared; throws a message naming what is missing. */
export function sharedPath(relative: string): string {
  const full = path.join(sharedDir(), relative);
  if (!existsSync(full)) {
    throw new Error(
      `missing test data: ${full}. The tests, stand-in generators and benchmark need the shared data ` +
        `folder beside the checkout (../shared, or set MURMUR_SHARED_DIR). See README "Tests".`,
    );
  }
  return full;
}

/** Cache folder for generated stand-in models and other test artefacts (gitignored). */
export function cacheDir(...parts: string[]): string {
  return path.join(process.env.MURMUR_CACHE_DIR ?? path.join(projectRoot(), '.cache'), ...parts);
}
