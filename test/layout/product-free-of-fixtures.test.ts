import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The product never depends on test fixtures: generated stand-in models, the bench's text adapters
 * and the scripted demo feed are development tools. Checked twice: on the source import graph of
 * the product's entry points, and (when `npm test` has built it) on the production build in out/.
 */

const root = path.resolve(import.meta.dirname, '..', '..');
const PRODUCT_ENTRIES = ['src-main/index.ts', 'src-main/engine/host/worker.ts', 'src-main/preload.ts'];
const DEV_ONLY = [/^src-main\/tools\//, /^test\//];
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package
  specifier = specifier.replace(/\?.*$/, ''); // vite query suffixes (?worker&url)
  const base = path.resolve(path.dirname(path.join(root, from)), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return path.relative(root, candidate).split(path.sep).join('/');
  }
  throw new Error(`${from}: cannot resolve import "${specifier}"`);
}

/** Every source file reachable from `entries` by static or dynamic imports, with who imports it. */
function importGraph(entries: string[]): Map<string, string> {
  const seen = new Map<string, string>(entries.map((e) => [e, '(entry)']));
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    const source = readFileSync(path.join(root, file), 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const target = resolveImport(file, match[1] ?? match[2] ?? match[3] ?? '');
      if (target && !seen.has(target)) {
        seen.set(target, file);
        queue.push(target);
      }
    }
  }
  return seen;
}

describe('the product is free of test fixtures', () => {
  it('no module reachable from main, the engine worker or preload imports dev-only code (static or dynamic)', () => {
    const graph = importGraph(PRODUCT_ENTRIES);
    expect(graph.has('src-main/engine/runtime.ts')).toBe(true); // the walk does reach the engine
    const offenders = [...graph].filter(([file]) => DEV_ONLY.some((pattern) => pattern.test(file))).map(([file, by]) => `${file} (imported by ${by})`);
    expect(offenders).toEqual([]);
  });

  it('the renderer loads the demo feed only through a DEV-guarded dynamic import', () => {
    const graph = importGraph(['src-renderer/src/main.tsx']);
    const importers = [...graph].filter(([, by]) => by !== '(entry)').filter(([file]) => file === 'src-renderer/src/demo-feed.ts').map(([, by]) => by);
    for (const importer of importers) {
      const source = readFileSync(path.join(root, importer), 'utf8');
      expect(source, `${importer} must not import the demo feed statically`).not.toMatch(/^import[^;]*from\s*['"]\.\/demo-feed['"]/m);
      expect(source).toMatch(/import\.meta\.env\.DEV[^\n]*\n[^\n]*import\(['"]\.\/demo-feed['"]\)/);
    }
    expect([...graph.keys()].filter((f) => DEV_ONLY.some((p) => p.test(f)))).toEqual([]);
  });

  it('the production build (out/, when built) contains no stand-in or demo code', () => {
    const out = path.join(root, 'out');
    if (!existsSync(out)) {
      // `npm test` builds before vitest; a bare `vitest run` of this file checks the sources only.
      expect(existsSync(path.join(root, 'package.json'))).toBe(true);
      return;
    }
    const markers = ['stories260K', 'ensureKokoroStandin', 'withRealisticText', 'boil an egg', 'rental cello', 'createDemoClient'];
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.(m?js|cjs|html)$/.test(name)) files.push(full);
      }
    };
    walk(out);
    expect(files.length).toBeGreaterThan(0);
    const hits = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return markers.filter((m) => text.includes(m)).map((m) => `${path.relative(root, file)}: ${m}`);
    });
    expect(hits).toEqual([]);
  });
});
