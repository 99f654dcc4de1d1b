import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineCommand } from '../../src-main/shared/protocol';
import type { EngineLink, HostEvent } from '../../src-main/shared/host-types';
import { decodeAudioFrame, encodeMicFrame } from '../../src-main/shared/framing';
import { createWebServer, TOKEN_COOKIE, WebServerConfigError, type WebServer } from '../../src-main/web/server';

/**
 * TEST DOUBLE for the engine link: records the commands the server forwards and lets a test emit
 * engine events. The HTTP/WebSocket security checked here does not depend on what the engine does;
 * the real engine behind this server is exercised by test/e2e-web.test.ts.
 */
class EngineLinkDouble implements EngineLink {
  readonly commands: EngineCommand[] = [];
  private readonly listeners = new Set<(event: HostEvent) => void>();
  send(command: EngineCommand): void {
    this.commands.push(command);
  }
  onEvent(listener: (event: HostEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: HostEvent): void {
    for (const l of this.listeners) l(event);
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function rawGet(port: number, pathAndQuery: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathAndQuery, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket; resolves with the HTTP status of a refused upgrade, or the open socket. */
function connect(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; inbox?: Inbox; refusedStatus?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.binaryType = 'arraybuffer';
    // listen before 'open': the server may send its replayed state in the same packet as the handshake
    const inbox = new Inbox(ws);
    ws.once('open', () => resolve({ ws, inbox }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refusedStatus: res.statusCode });
      res.resume();
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Collects messages; `next(pred)` waits for the first (past or future) message matching pred. */
class Inbox {
  readonly messages: Array<{ text?: unknown; binary?: ArrayBuffer }> = [];
  private waiters: Array<() => void> = [];
  constructor(ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) this.messages.push({ binary: data as ArrayBuffer });
      else this.messages.push({ text: JSON.parse(String(data)) as unknown });
      for (const w of this.waiters) w();
    });
  }
  async next<T>(pick: (m: { text?: unknown; binary?: ArrayBuffer }) => T | undefined, timeoutMs = 3000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const m of this.messages) {
        const v = pick(m);
        if (v !== undefined) return v;
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for a socket message');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
      this.waiters = [];
    }
  }
}

const errorWith = (fragment: string) => (m: { text?: unknown }) => {
  const e = m.text as { type?: string; message?: string } | undefined;
  return e?.type === 'error' && e.message?.includes(fragment) ? e : undefined;
};

describe('web mode server', () => {
  let dir: string;
  let engine: EngineLinkDouble;
  let server: WebServer;
  let wsBase: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'murmur-web-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Murmur</title>');
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets', 'notes.unknownext'), 'x');
    writeFileSync(path.join(tmpdir(), 'murmur-outside.html'), 'secret');
    engine = new EngineLinkDouble();
    server = await createWebServer({ engine, rendererDir: dir, port: 0 });
    wsBase = `ws://127.0.0.1:${server.port}/engine`;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(createWebServer({ engine, rendererDir: dir, host: '0.0.0.0' })).rejects.toBeInstanceOf(WebServerConfigError);
    await expect(createWebServer({ engine, rendererDir: dir, host: '192.168.1.10' })).rejects.toThrow(/loopback/);
  });

  it('prints a 127.0.0.1 URL with a 32-character random token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{32}$`));
    expect(server.token).toHaveLength(32);
  });

  it('requires the token on every request', async () => {
    expect((await rawGet(server.port, '/')).status).toBe(401);
    expect((await rawGet(server.port, '/?token=wrong')).status).toBe(401);
    expect((await rawGet(server.port, '/assets/app.js')).status).toBe(401);
    expect((await rawGet(server.port, '/', { cookie: `${TOKEN_COOKIE}=nope` })).status).toBe(401);

    const page = await rawGet(server.port, `/?token=${server.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>Murmur</title>');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`${TOKEN_COOKIE}=${server.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    const asset = await rawGet(server.port, '/assets/app.js', { cookie: `${TOKEN_COOKIE}=${server.token}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('blocks DNS rebinding: a foreign Host header is refused even with the token', async () => {
    const res = await rawGet(server.port, `/?token=${server.token}`, { host: `evil.example:${server.port}` });
    expect(res.status).toBe(421);
  });

  it('sends no CORS headers, lists no folders, never leaves the renderer folder', async () => {
    const auth = { cookie: `${TOKEN_COOKIE}=${server.token}`, origin: 'https://evil.example' };
    const page = await rawGet(server.port, '/', auth);
    expect(page.status).toBe(200);
    expect(Object.keys(page.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect((await rawGet(server.port, '/assets/', auth)).status).toBe(404);
    expect((await rawGet(server.port, '/assets', auth)).status).toBe(404);
    // dot segments are resolved by the URL parser (to /murmur-outside.html inside the folder: 404) …
    const dotted = await rawGet(server.port, '/../murmur-outside.html', auth);
    expect(dotted.status).toBe(404);
    expect(dotted.body).not.toContain('secret');
    // … and encoded separators that would climb out after decoding are refused outright
    const encoded = await rawGet(server.port, '/assets%2f..%2f..%2fmurmur-outside.html', auth);
    expect(encoded.status).toBe(403);
    expect(encoded.body).not.toContain('secret');
    expect((await rawGet(server.port, '/assets/notes.unknownext', auth)).status).toBe(404);
    expect((await rawGet(server.port, '/', auth, 'POST')).status).toBe(405);
  });

  it('requires the token and our own origin on the WebSocket upgrade', async () => {
    expect((await connect(wsBase)).refusedStatus).toBe(401);
    expect((await connect(`${wsBase}?token=wrong`)).refusedStatus).toBe(401);
    expect((await connect(`${wsBase}?token=${server.token}`, { origin: 'https://evil.example' })).refusedStatus).toBe(403);
    expect((await connect(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).refusedStatus).toBe(404);
    const ok = await connect(`${wsBase}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    expect(ok.ws?.readyState).toBe(WebSocket.OPEN);
    ok.ws?.close();
  });

  it('answers malformed and oversized messages with an error event and keeps the connection', async () => {
    const { ws, inbox } = await connect(`${wsBase}?token=${server.token}`);
    if (!ws || !inbox) throw new Error('socket did not open');
    const before = engine.commands.length;

    ws.send('{not json');
    await inbox.next(errorWith('not valid JSON'));
    ws.send(JSON.stringify({ type: 'text_input', text: 'x'.repeat(70 * 1024) }));
    await inbox.next(errorWith('too large'));
    ws.send(JSON.stringify({ type: 'launch_missiles' }));
    await inbox.next(errorWith('invalid engine command'));
    ws.send(JSON.stringify({ type: 'audio', sampleRate: 16000, samples: [0, 1] }));
    await inbox.next(errorWith('Float32Array'));
    ws.send(new Uint8Array([1, 2, 3]));
    await inbox.next(errorWith('whole number of Float32 samples'));
    ws.send(new Float32Array(20000));
    await inbox.next(errorWith('exceeds the limit'));
    expect(engine.commands.length).toBe(before);
    expect(inbox.messages.every((m) => (m.text as { fatal?: boolean }).fatal === false)).toBe(true);

    // still open and working
    ws.send(JSON.stringify({ type: 'mute', muted: true }));
    const frame = new Float32Array(320).map((_, i) => Math.sin(i / 10));
    ws.send(encodeMicFrame(frame));
    await expect.poll(() => engine.commands.length, { timeout: 3000 }).toBe(before + 2);
    expect(engine.commands[before]).toEqual({ type: 'mute', muted: true });
    const audio = engine.commands[before + 1];
    expect(audio?.type).toBe('audio');
    if (audio?.type === 'audio') {
      expect(audio.sampleRate).toBe(16000);
      expect(Array.from(audio.samples)).toEqual(Array.from(frame));
    }
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('broadcasts events to every client (audio as binary frames) and replays state to late joiners', async () => {
    const { ws: a, inbox: inboxA } = await connect(`${wsBase}?token=${server.token}`);
    const { ws: b, inbox: inboxB } = await connect(`${wsBase}?token=${server.token}`);
    if (!a || !b || !inboxA || !inboxB) throw new Error('sockets did not open');
    await expect.poll(() => server.clients()).toBe(2);

    engine.emit({ type: 'state', state: 'ready' });
    engine.emit({ type: 'stt_final', turn: 1, t: 100, text: 'hello there' });
    const samples = new Float32Array([0.25, -0.5, 0.75]);
    engine.emit({ type: 'audio', turn: 1, unit: 0, t: 120, sampleRate: 24000, samples });
    for (const inbox of [inboxA, inboxB]) {
      const final = await inbox.next((m) => ((m.text as { type?: string })?.type === 'stt_final' ? m.text : undefined));
      expect(final).toEqual({ type: 'stt_final', turn: 1, t: 100, text: 'hello there' });
      const bin = await inbox.next((m) => m.binary);
      const decoded = decodeAudioFrame(bin);
      expect(decoded).toMatchObject({ type: 'audio', turn: 1, unit: 0, t: 120, sampleRate: 24000 });
      expect(Array.from(decoded.samples)).toEqual([0.25, -0.5, 0.75]);
    }

    const { ws: late, inbox: inboxLate } = await connect(`${wsBase}?token=${server.token}`);
    if (!late || !inboxLate) throw new Error('socket did not open');
    expect(await inboxLate.next((m) => ((m.text as { type?: string })?.type === 'state' ? m.text : undefined))).toEqual({ type: 'state', state: 'ready' });
    for (const ws of [a, b, late]) ws.close();
  });

  it('binds to 127.0.0.1 only', async () => {
    const viaLoopback = await rawGet(server.port, `/?token=${server.token}`);
    expect(viaLoopback.status).toBe(200);
    const os = await import('node:os');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) {
      // No non-loopback interface on this machine: the bind address is checked through the URL instead.
      expect(server.url.startsWith('http://127.0.0.1:')).toBe(true);
      return;
    }
    const refused = await new Promise<string>((resolve) => {
      const req = request({ host: external.address, port: server.port, path: '/' }, () => resolve('connected'));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      req.end();
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
