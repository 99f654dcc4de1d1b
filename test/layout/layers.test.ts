import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules of the source tree (docs/ARCHITECTURE.md, "Folders"):
 * - src-main/shared/ imports nothing of the project outside itself, and no runtime but zod
 *   (both processes load it: no node:, no DOM, no electron);
 * - src-main/engine/ imports neither electron, src-main/app/, the Electron entry points, the
 *   renderer, nor src-main/tools/;
 * - src-renderer/ imports from src-main/ only src-main/shared/;
 * - nothing under src-main/ imports src-renderer/;
 * - the product (everything under src-main/ but tools/) never imports src-main/tools/.
 */
const root = path.resolve(import.meta.dirname, '..', '..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

export interface ImportEdge {
  from: string;
  /** A project path (relative to the root) for a relative import, else the package specifier. */
  to: string;
  isPackage: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

function edgesOf(file: string): ImportEdge[] {
  const source = readFileSync(path.join(root, file), 'utf8');
  const edges: ImportEdge[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2] ?? match[3] ?? '').replace(/\?.*$/, '');
    if (specifier.startsWith('.')) {
      const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier)).split(path.sep).join('/');
      edges.push({ from: file, to: target, isPackage: false });
    } else {
      edges.push({ from: file, to: specifier, isPackage: true });
    }
  }
  return edges;
}

const under = (file: string, folder: string): boolean => file === folder || file.startsWith(`${folder}/`);
const ELECTRON_ENTRIES = ['src-main/index', 'src-main/preload', 'src-main/window-options'];

/** Every broken rule, as "from → to: rule". */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const broken: string[] = [];
  const fail = (edge: ImportEdge, rule: string): void => void broken.push(`${edge.from} → ${edge.to}: ${rule}`);
  for (const edge of edges) {
    const { from, to, isPackage } = edge;
    if (under(from, 'src-main/shared')) {
      if (isPackage ? to !== 'zod' : !under(to, 'src-main/shared')) fail(edge, 'shared/ imports only shared/ and zod');
    }
    if (under(from, 'src-main/engine')) {
      if (isPackage && (to === 'electron' || to.startsWith('electron/'))) fail(edge, 'the engine never imports electron');
      if (!isPackage && (under(to, 'src-main/app') || under(to, 'src-main/tools') || under(to, 'src-renderer') || ELECTRON_ENTRIES.some((e) => to.startsWith(e)))) {
        fail(edge, 'the engine imports neither app/, the Electron entries, the renderer nor tools/');
      }
    }
    if (under(from, 'src-renderer') && !isPackage && under(to, 'src-main') && !under(to, 'src-main/shared')) {
      fail(edge, 'the renderer imports from src-main only shared/');
    }
    if (under(from, 'src-main') && !isPackage && under(to, 'src-renderer')) fail(edge, 'src-main never imports the renderer');
    if (under(from, 'src-main') && !under(from, 'src-main/tools') && !isPackage && under(to, 'src-main/tools')) {
      fail(edge, 'the product never imports tools/');
    }
  }
  return broken;
}

describe('layers', () => {
  const files = [...sourceFiles('src-main'), ...sourceFiles('src-renderer')];
  const edges = files.flatMap(edgesOf);

  it('reads the whole tree (shared/, engine/, app/, tools/, the renderer)', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const folder of ['src-main/shared', 'src-main/engine', 'src-main/app', 'src-main/tools', 'src-renderer/src']) {
      expect(files.some((f) => under(f, folder)), folder).toBe(true);
    }
    expect(edges.some((e) => under(e.from, 'src-renderer') && under(e.to, 'src-main/shared'))).toBe(true);
  });

  it('every import follows the layer rules', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it('the rules catch each kind of violation', () => {
    const bad: ImportEdge[] = [
      { from: 'src-main/shared/events.ts', to: 'src-main/engine/core/trace', isPackage: false },
      { from: 'src-main/shared/framing.ts', to: 'node:buffer', isPackage: true },
      { from: 'src-main/engine/core/voice-engine.ts', to: 'electron', isPackage: true },
      { from: 'src-main/engine/runtime.ts', to: 'src-main/tools/cli/model-sets', isPackage: false },
      { from: 'src-renderer/src/store.ts', to: 'src-main/engine/core/trace', isPackage: false },
      { from: 'src-main/app/settings.ts', to: 'src-renderer/src/store', isPackage: false },
      { from: 'src-main/web/server.ts', to: 'src-main/tools/dev/shared-data', isPackage: false },
    ];
    for (const edge of bad) expect(layerViolations([edge]), `${edge.from} → ${edge.to}`).not.toEqual([]);
    expect(layerViolations([{ from: 'src-main/tools/bench/run.ts', to: 'src-main/tools/cli/model-sets', isPackage: false }])).toEqual([]);
  });
});

describe('the engine folder', () => {
  const engineFiles = sourceFiles('src-main/engine');
  const lines = (file: string): number => readFileSync(path.join(root, file), 'utf8').split('\n').length;

  it('no source file over 450 lines but the turn controller; the voice engine class ≤ 350', () => {
    const long = engineFiles.filter((f) => !f.endsWith('/turn-controller.ts') && lines(f) > 450).map((f) => `${f}: ${lines(f)}`);
    expect(long).toEqual([]);
    expect(lines('src-main/engine/core/voice-engine.ts')).toBeLessThanOrEqual(350);
  });

  it('at most 3 files directly in src-main/engine/', () => {
    expect(engineFiles.filter((f) => path.dirname(f) === 'src-main/engine').length).toBeLessThanOrEqual(3);
  });

  it('one `new BargeInDetector` in the product source', () => {
    const product = sourceFiles('src-main').filter((f) => !under(f, 'src-main/tools'));
    const count = product.reduce((n, f) => n + (readFileSync(path.join(root, f), 'utf8').match(/new BargeInDetector\b/g)?.length ?? 0), 0);
    expect(count).toBe(1);
  });
});
