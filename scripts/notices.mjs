// Third-party notices for the package: every production dependency (walked from package.json's
// `dependencies`, as installed) with its licence text, and the licences of the models the
// first-run screen downloads (models/manifest.json).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Finds `name` as Node would from `fromDir` (node_modules folders up the tree). */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function licenceText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying|notice)(\..*)?$/i.test(f));
  return file ? readFileSync(path.join(dir, file), 'utf8').trim() : undefined;
}

/** @returns {{ packages: number, models: number }} */
export function writeNotices(root, outFile) {
  const rootPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const seen = new Map();
  const queue = Object.keys(rootPackage.dependencies ?? {}).map((name) => [name, root]);
  while (queue.length > 0) {
    const [name, from] = queue.shift();
    const dir = packageDir(name, from);
    if (!dir || seen.has(dir)) continue;
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? (pkg.licenses ?? []).map((l) => l.type).join(' OR ')) || 'UNKNOWN';
    seen.set(dir, { name: pkg.name ?? name, version: pkg.version ?? '?', license, text: licenceText(dir) });
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) queue.push([dep, dir]);
  }
  const packages = [...seen.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  const manifest = JSON.parse(readFileSync(path.join(root, 'models', 'manifest.json'), 'utf8'));
  const models = manifest.models.map((m) => ({ id: m.id, name: m.displayName ?? m.id, license: m.license ?? 'see its source' }));
  const lines = [
    `${rootPackage.productName ?? rootPackage.name} ${rootPackage.version}: third-party notices`,
    '',
    'Models (downloaded on first run, or bundled where marked; not part of this package otherwise):',
    ...models.map((m) => `  ${m.name} (${m.id}): ${m.license}`),
    '',
    `Software (${packages.length} packages):`,
    ...packages.map((p) => `  ${p.name} ${p.version}: ${p.license}`),
    '',
  ];
  for (const p of packages) {
    lines.push('='.repeat(78), `${p.name} ${p.version} (${p.license})`, '', p.text ?? `(no licence file in the package; its package.json says ${p.license})`, '');
  }
  writeFileSync(outFile, lines.join('\n'));
  return { packages: packages.length, models: models.length };
}
