import { existsSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm, statfs, truncate, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FileFormat, ModelEntry } from './manifest';
import { urlProblem } from './manifest';
import { checkMagic, fileInModel, sha256File } from './store';

/**
 * Verified, resumable model downloads.
 *
 * Each file streams into `<dest>.part`. A dropped connection is retried (bounded, with exponential
 * backoff) with an HTTP Range request that continues the `.part`. When the body is complete the
 * file's size, sha256 (pinned in the manifest, else the one the host reports — Hugging Face sends
 * it as `x-linked-etag` on the LFS redirect) and magic bytes are checked, and only then is the
 * `.part` renamed into place (same folder, so the rename is atomic).
 *
 * Built on Node's fetch (undici) with redirects followed by hand, so every hop is checked against
 * the manifest's host allow-list and the host-reported sha256 on the redirect can be read.
 * node-llama-cpp's `createModelDownloader` (ipull) was evaluated and not used: it covers GGUF only
 * (whisper ggml and Kokoro ONNX would still need this code), it does not verify a pinned sha256,
 * cannot enforce the host allow-list on redirects, has no offline mode that guarantees no socket,
 * and would give two downloaders with different error and progress shapes.
 */

export type DownloadErrorCode =
  | 'OFFLINE'
  | 'URL_NOT_ALLOWED'
  | 'HTTP'
  | 'NETWORK'
  | 'INTEGRITY'
  | 'NO_SPACE'
  | 'ABORTED';

export class DownloadError extends Error {
  override name = 'DownloadError';
  readonly code: DownloadErrorCode;
  /** The destination file the error is about. */
  readonly file: string;
  readonly status: number | undefined;
  /** The `.part` kept for a later resume, if any. */
  readonly partPath: string | undefined;

  constructor(code: DownloadErrorCode, message: string, details: { file: string; status?: number; partPath?: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.file = details.file;
    this.status = details.status;
    this.partPath = details.partPath;
  }
}

export interface DownloadProgress {
  /** Destination file. */
  file: string;
  /** Bytes of this file on disk so far (including a resumed prefix). */
  bytes: number;
  total: number | undefined;
  /** Over the last few seconds, bytes per second. */
  rateBytesPerSec: number;
  etaSec: number | undefined;
  attempt: number;
  /** Where this attempt started (non-zero when it resumed a `.part`). */
  resumedFrom: number;
  done: boolean;
}

export interface DownloaderOptions {
  /** Host patterns from the manifest (`allowedHosts`); every URL and redirect must match. */
  allowedHosts: readonly string[];
  /** Never open a socket: anything that needs downloading throws DownloadError('OFFLINE'). */
  offline?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts per file, counting the first (default 6). */
  maxAttempts?: number;
  /** First retry delay, doubled each retry up to maxBackoffMs (defaults 1000 / 30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** No bytes for this long counts as a dropped connection (default 60 s). */
  stallTimeoutMs?: number;
  /** Minimum time between progress events (default 250 ms); a final event is always sent. */
  progressIntervalMs?: number;
  /** Extra free space required beyond the bytes still to download (default 64 MiB). */
  freeSpaceMarginBytes?: number;
  /** TEST ONLY: accept http://127.0.0.1 URLs (a local fixture server). */
  allowLoopbackHttpForTests?: boolean;
}

export interface FileDownloadRequest {
  url: string;
  dest: string;
  /** Expected size, when known (the manifest's `bytes`). */
  bytes?: number;
  sha256?: string;
  format: FileFormat;
}

export interface FileDownloadResult {
  dest: string;
  bytes: number;
  sha256: string;
  /** What the sha256 was checked against. */
  integrity: 'manifest-sha256' | 'host-sha256' | 'size-and-magic';
  /** Byte offset the successful attempt started from (non-zero when it resumed a `.part`). */
  resumedFrom: number;
  attempts: number;
  /** Already present and verified: nothing was downloaded. */
  skipped: boolean;
}

export interface ModelDownloadResult {
  id: string;
  dir: string;
  files: FileDownloadResult[];
}

const MiB = 1024 * 1024;
const MAX_REDIRECTS = 10;

/** Download every file of a manifest entry into `modelDir` (usually `store.modelDir(id)`). */
export async function downloadModel(entry: ModelEntry, modelDir: string, options: DownloaderOptions): Promise<ModelDownloadResult> {
  if (entry.bundled) return { id: entry.id, dir: modelDir, files: [] };
  const pending: FileDownloadRequest[] = [];
  const results: FileDownloadResult[] = [];
  for (const f of entry.files) {
    const req: FileDownloadRequest = { url: f.url, dest: fileInModel(modelDir, f.path), bytes: f.bytes, sha256: f.sha256, format: f.format };
    const present = await alreadyInstalled(req, options.signal);
    if (present) results.push(present);
    else pending.push(req);
  }
  if (pending.length > 0) {
    if (options.offline) {
      throw new DownloadError(
        'OFFLINE',
        `offline mode: model ${entry.id} needs ${pending.map((p) => path.basename(p.dest)).join(', ')} in ${modelDir}, ` +
          `and offline mode never downloads. Copy the files there, or run without --offline.`,
        { file: pending[0]?.dest ?? modelDir },
      );
    }
    const needed = pending.reduce((s, p) => s + Math.max(0, (p.bytes ?? 0) - partSize(`${p.dest}.part`)), 0);
    await ensureFreeSpace(modelDir, needed, options.freeSpaceMarginBytes ?? 64 * MiB, `model ${entry.id}`, modelDir);
    for (const req of pending) results.push(await downloadFile(req, options));
  }
  const order = new Map(entry.files.map((f, i) => [fileInModel(modelDir, f.path), i]));
  results.sort((a, b) => (order.get(a.dest) ?? 0) - (order.get(b.dest) ?? 0));
  return { id: entry.id, dir: modelDir, files: results };
}

/** Download one file (see the module comment). Resolves once it is verified and in place. */
export async function downloadFile(req: FileDownloadRequest, options: DownloaderOptions): Promise<FileDownloadResult> {
  const { dest } = req;
  const part = `${dest}.part`;
  const signal = options.signal;
  if (signal?.aborted) throw abortedError(dest, part);
  const present = await alreadyInstalled(req, signal);
  if (present) return present;
  if (options.offline) {
    throw new DownloadError('OFFLINE', `offline mode: ${dest} is not present and offline mode never downloads (${req.url})`, { file: dest });
  }
  const bad = urlProblem(req.url, options.allowedHosts, options);
  if (bad) throw new DownloadError('URL_NOT_ALLOWED', `refusing to download ${dest}: URL ${bad}`, { file: dest });

  await mkdir(path.dirname(dest), { recursive: true });
  if (req.bytes !== undefined) {
    await ensureFreeSpace(path.dirname(dest), req.bytes - partSize(part), options.freeSpaceMarginBytes ?? 64 * MiB, dest, part);
  }

  const maxAttempts = options.maxAttempts ?? 6;
  let hostSha: string | undefined;
  let resumedFrom = 0;
  let attempt = 0;
  let total = req.bytes;
  for (;;) {
    attempt++;
    try {
      const outcome = await attemptDownload(req, options, attempt, total);
      hostSha = outcome.hostSha ?? hostSha;
      total = outcome.total ?? total;
      resumedFrom = outcome.resumedFrom;
      break;
    } catch (e) {
      if (signal?.aborted) throw abortedError(dest, part, e);
      if (e instanceof DownloadError && e.code === 'INTEGRITY') await rm(part, { force: true });
      if (e instanceof DownloadError && !isRetryable(e)) throw e;
      if (attempt >= maxAttempts) {
        const kept = partSize(part);
        throw new DownloadError(
          'NETWORK',
          `download of ${dest} failed after ${attempt} attempts (${describe(e)}). ` +
            (kept > 0 ? `${kept} bytes are kept in ${part}; run the download again to resume.` : ''),
          { file: dest, partPath: kept > 0 ? part : undefined, cause: e },
        );
      }
      const delay = Math.min(options.maxBackoffMs ?? 30_000, (options.backoffMs ?? 1000) * 2 ** (attempt - 1));
      await sleep(delay * (0.75 + Math.random() * 0.5), signal).catch((err: unknown) => {
        throw abortedError(dest, part, err);
      });
    }
  }

  return finish(req, part, hostSha, total, attempt, resumedFrom, signal);
}

function isRetryable(e: DownloadError): boolean {
  return e.code === 'NETWORK' || (e.code === 'HTTP' && e.status !== undefined && (e.status >= 500 || e.status === 408 || e.status === 429));
}

interface AttemptOutcome {
  hostSha: string | undefined;
  total: number | undefined;
  resumedFrom: number;
}

async function attemptDownload(req: FileDownloadRequest, options: DownloaderOptions, attempt: number, knownTotal: number | undefined): Promise<AttemptOutcome> {
  const { dest } = req;
  const part = `${dest}.part`;
  let have = partSize(part);
  if (knownTotal !== undefined && have > knownTotal) {
    await truncate(part, 0);
    have = 0;
  }
  if (req.sha256 && knownTotal !== undefined && have === knownTotal && have > 0) {
    return { hostSha: undefined, total: knownTotal, resumedFrom: have };
  }

  const stall = new AbortController();
  const signals = [stall.signal, ...(options.signal ? [options.signal] : [])];
  const attemptSignal = AbortSignal.any(signals);
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs} ms`)), stallMs);
  const resetStall = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall.abort(new Error(`no data for ${stallMs} ms`)), stallMs);
  };

  let fh: FileHandle | undefined;
  try {
    const { response, hostSha, hostSize } = await openFollowingRedirects(req, options, have, attemptSignal);
    resetStall();
    if (hostSha && req.sha256 && hostSha !== req.sha256) {
      await response.body?.cancel();
      throw new DownloadError(
        'INTEGRITY',
        `integrity check failed for ${dest}: the host reports sha256 ${hostSha} but the manifest pins ${req.sha256}; ` +
          `the manifest entry or its pinned revision is wrong. Nothing was installed.`,
        { file: dest },
      );
    }
    if (response.status === 416 && have > 0) {
      await response.body?.cancel();
      const size = hostSize ?? parseContentRangeTotal(response.headers.get('content-range'));
      if (size === have) return { hostSha, total: have, resumedFrom: have };
      await truncate(part, 0);
      throw new DownloadError('NETWORK', `server refused to resume ${dest} (HTTP 416); starting over`, { file: dest, status: 416 });
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new DownloadError(
        'HTTP',
        `download of ${dest} failed: HTTP ${response.status} ${response.statusText} from ${response.url || req.url}` +
          (response.status === 404 ? ' (not found: the manifest URL or revision is wrong)' : ''),
        { file: dest, status: response.status },
      );
    }
    let start = 0;
    let total: number | undefined;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== have) {
        await response.body?.cancel();
        await truncate(part, 0);
        throw new DownloadError('NETWORK', `server answered the resume of ${dest} with an unexpected range; starting over`, { file: dest });
      }
      start = have;
      total = range.total;
    } else {
      const length = Number(response.headers.get('content-length'));
      total = Number.isFinite(length) && response.headers.has('content-length') ? length : undefined;
    }
    total ??= hostSize ?? req.bytes;
    if (req.bytes !== undefined && total !== undefined && total !== req.bytes) {
      await response.body?.cancel();
      throw new DownloadError(
        'INTEGRITY',
        `integrity check failed for ${dest}: the host serves ${total} bytes but the manifest says ${req.bytes}. Nothing was installed.`,
        { file: dest },
      );
    }
    if (total !== undefined) {
      await ensureFreeSpace(path.dirname(dest), total - start, options.freeSpaceMarginBytes ?? 64 * MiB, dest, part);
    }
    if (!response.body) throw new DownloadError('NETWORK', `empty response body for ${dest}`, { file: dest });

    fh = await open(part, start === 0 ? 'w' : 'r+');
    let position = start;
    const meter = new ProgressMeter(dest, total, attempt, start, options);
    meter.emit(position, false, true);
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      resetStall();
      position = await writeAll(fh, value, position, dest, part);
      meter.emit(position, false, false);
    }
    await fh.sync();
    if (total !== undefined && position < total) {
      throw new DownloadError('NETWORK', `connection closed early: ${position} of ${total} bytes of ${dest}`, { file: dest });
    }
    meter.emit(position, true, true);
    return { hostSha, total: total ?? position, resumedFrom: start };
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    if (options.signal?.aborted) throw e;
    throw new DownloadError('NETWORK', `network error downloading ${dest}: ${describe(e)}`, { file: dest, cause: e });
  } finally {
    clearTimeout(stallTimer);
    await fh?.close().catch(() => undefined);
  }
}

/** Write the whole chunk at `position`; on ENOSPC cut the `.part` back to the last complete byte and report. */
async function writeAll(fh: FileHandle, chunk: Uint8Array, position: number, dest: string, part: string): Promise<number> {
  let offset = 0;
  try {
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset, position + offset);
      offset += bytesWritten;
    }
    return position + offset;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      const kept = position + offset;
      await fh.truncate(kept).catch(() => undefined);
      throw new DownloadError(
        'NO_SPACE',
        `disk full while writing ${dest} (${code}): ${kept} bytes are kept in ${part}. ` +
          `Free some space and run the download again to resume, or delete ${part}.`,
        { file: dest, partPath: part, cause: e },
      );
    }
    throw e;
  }
}

async function finish(
  req: FileDownloadRequest,
  part: string,
  hostSha: string | undefined,
  total: number | undefined,
  attempts: number,
  resumedFrom: number,
  signal: AbortSignal | undefined,
): Promise<FileDownloadResult> {
  const { dest } = req;
  const fail = async (what: string): Promise<never> => {
    await rm(part, { force: true });
    throw new DownloadError('INTEGRITY', `integrity check failed for ${dest}: ${what}. The download was deleted; nothing was installed.`, { file: dest });
  };
  const size = partSize(part);
  const expectedSize = req.bytes ?? total;
  if (expectedSize !== undefined && size !== expectedSize) await fail(`size ${size} bytes, expected ${expectedSize}`);
  const magic = await checkMagic(part, req.format);
  if (magic) await fail(magic);
  let sha: string;
  try {
    sha = await sha256File(part, signal);
  } catch (e) {
    if (signal?.aborted) throw abortedError(dest, part, e);
    throw e;
  }
  const expectedSha = req.sha256 ?? hostSha;
  if (expectedSha && sha !== expectedSha) {
    await fail(`sha256 ${sha}, expected ${expectedSha} (${req.sha256 ? 'pinned in the manifest' : 'reported by the host'})`);
  }
  await rename(part, dest);
  return {
    dest,
    bytes: size,
    sha256: sha,
    integrity: req.sha256 ? 'manifest-sha256' : hostSha ? 'host-sha256' : 'size-and-magic',
    resumedFrom,
    attempts,
    skipped: false,
  };
}

/** A present file with the right size, magic and (pinned) sha256 needs no download. */
async function alreadyInstalled(req: FileDownloadRequest, signal?: AbortSignal): Promise<FileDownloadResult | undefined> {
  if (!existsSync(req.dest)) return undefined;
  const size = statSync(req.dest).size;
  if (req.bytes !== undefined && size !== req.bytes) return undefined;
  if (await checkMagic(req.dest, req.format)) return undefined;
  const sha = await sha256File(req.dest, signal);
  if (req.sha256 && sha !== req.sha256) return undefined;
  return { dest: req.dest, bytes: size, sha256: sha, integrity: req.sha256 ? 'manifest-sha256' : 'size-and-magic', resumedFrom: 0, attempts: 0, skipped: true };
}

/** GET with `Range: bytes=<have>-`, following redirects by hand and checking each hop against the allow-list. */
async function openFollowingRedirects(
  req: FileDownloadRequest,
  options: DownloaderOptions,
  have: number,
  signal: AbortSignal,
): Promise<{ response: Response; hostSha: string | undefined; hostSize: number | undefined }> {
  let url = req.url;
  let hostSha: string | undefined;
  let hostSize: number | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'murmur-model-downloader' };
    if (have > 0) headers.range = `bytes=${have}-`;
    const response = await fetch(url, { redirect: 'manual', headers, signal });
    hostSha ??= shaFromHeaders(response.headers);
    const linkedSize = Number(response.headers.get('x-linked-size'));
    if (response.headers.has('x-linked-size') && Number.isSafeInteger(linkedSize)) hostSize ??= linkedSize;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url).toString();
      const bad = urlProblem(next, options.allowedHosts, options);
      if (bad) throw new DownloadError('URL_NOT_ALLOWED', `refusing redirect while downloading ${req.dest}: ${bad}`, { file: req.dest });
      url = next;
      continue;
    }
    return { response, hostSha, hostSize };
  }
  throw new DownloadError('HTTP', `too many redirects downloading ${req.dest} from ${req.url}`, { file: req.dest });
}

/** Hugging Face puts the LFS sha256 in `x-linked-etag` (on the redirect) or `etag`; git blob sha1s are ignored. */
function shaFromHeaders(headers: Headers): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const raw = headers.get(name);
    if (!raw) continue;
    const value = raw.replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
    if (/^[0-9a-f]{64}$/.test(value)) return value;
  }
  return undefined;
}

function parseContentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const m = header ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

function parseContentRangeTotal(header: string | null): number | undefined {
  const m = header ? /\/(\d+)$/.exec(header.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

function partSize(part: string): number {
  try {
    const s = statSync(part);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

/** Free bytes for an unprivileged user on the filesystem holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number> {
  let probe = path.resolve(dir);
  while (!existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  const s = await statfs(probe);
  return s.bavail * s.bsize;
}

async function ensureFreeSpace(dir: string, neededBytes: number, marginBytes: number, what: string, partOrDir: string): Promise<void> {
  if (neededBytes <= 0) return;
  const free = await freeBytes(dir);
  if (free < neededBytes + marginBytes) {
    throw new DownloadError(
      'NO_SPACE',
      `not enough disk space for ${what}: ${formatBytes(neededBytes)} still to download (+${formatBytes(marginBytes)} margin), ` +
        `${formatBytes(free)} free in ${dir}. Free some space or set VOICE_MODELS_DIR to a larger disk.`,
      { file: partOrDir },
    );
  }
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

function abortedError(dest: string, part: string, cause?: unknown): DownloadError {
  const kept = partSize(part);
  return new DownloadError(
    'ABORTED',
    `download of ${dest} cancelled` + (kept > 0 ? `; ${kept} bytes are kept in ${part} and the next download resumes from there` : ''),
    { file: dest, partPath: kept > 0 ? part : undefined, cause },
  );
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

class ProgressMeter {
  private samples: Array<{ t: number; bytes: number }> = [];
  private lastEmit = 0;

  constructor(
    private readonly file: string,
    private readonly total: number | undefined,
    private readonly attempt: number,
    private readonly resumedFrom: number,
    private readonly options: DownloaderOptions,
  ) {}

  emit(bytes: number, done: boolean, force: boolean): void {
    if (!this.options.onProgress) return;
    const now = performance.now();
    this.samples.push({ t: now, bytes });
    while (this.samples.length > 2 && now - (this.samples[0] as { t: number }).t > 5000) this.samples.shift();
    if (!force && now - this.lastEmit < (this.options.progressIntervalMs ?? 250)) return;
    this.lastEmit = now;
    const first = this.samples[0] as { t: number; bytes: number };
    const seconds = (now - first.t) / 1000;
    const rate = seconds > 0 ? (bytes - first.bytes) / seconds : 0;
    const eta = this.total !== undefined && rate > 0 ? Math.max(0, (this.total - bytes) / rate) : undefined;
    this.options.onProgress({
      file: this.file,
      bytes,
      total: this.total,
      rateBytesPerSec: rate,
      etaSec: done ? 0 : eta,
      attempt: this.attempt,
      resumedFrom: this.resumedFrom,
      done,
    });
  }
}
