import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { EngineEvent } from '../shared/events';
import type { EngineLink, HostEvent } from '../shared/host-types';
import { MAX_AUDIO_FRAME_SAMPLES, MAX_CONTROL_MESSAGE_BYTES, parseJsonControl } from '../shared/protocol';
import { contentSecurityPolicy } from '../app/security';
import { readStaticFile } from '../app/static-files';
import { decodeMicFrame, encodeAudioFrame } from '../shared/framing';

/**
 * Web mode: serves the built renderer and bridges one engine to browser tabs over a WebSocket.
 *
 * Security: listens on 127.0.0.1 only; the Host header must name that address (blocks DNS
 * rebinding); a random per-launch token is required on every request (`?token=` on the first page
 * load, then an HttpOnly SameSite=Strict cookie) and on the WebSocket upgrade (plus a same-origin
 * Origin check); no CORS headers, no directory listing, a strict CSP.
 *
 * Socket protocol: JSON text = EngineCommand in / engine events and host notices out; binary =
 * audio (framing.ts): raw Float32 16 kHz mic frames in, framed `audio` events out. A malformed or
 * oversized message gets an `error` event back on that socket and the connection stays open.
 */
export interface WebServerOptions {
  engine: EngineLink;
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string;
  /** 0 = pick a free port. */
  port?: number;
  /** Must be a loopback address; anything else is refused. */
  host?: string;
  /** Fixed token (tests); default: 24 random bytes, base64url. */
  token?: string;
  maxClients?: number;
  log?: (message: string) => void;
  /**
   * App-level requests from the page (`{ type: "app_…" }`: settings), handled by the host instead
   * of the engine; `reply` answers on the asking socket. Without it they are refused as commands.
   */
  onAppMessage?: (message: { type: string } & Record<string, unknown>, reply: (message: object) => void) => void;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  /** Number of connected WebSocket clients. */
  clients(): number;
  close(): Promise<void>;
}

export const TOKEN_COOKIE = 'murmur_token';
export const SOCKET_PATH = '/engine';
/** ws closes a connection whose single message exceeds this; smaller oversize messages get an error event. */
const MAX_SOCKET_PAYLOAD = 1024 * 1024;
/** Skip meter updates for a client whose send buffer is this full (slow tab); never skip audio or turn events. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
/** Events a freshly connected tab needs to show the current state. */
const REPLAYED_EVENTS = new Set<string>(['state', 'backends', 'phase', 'history']);

/** The message if `text` is an app-level request (`type` starting with "app_"). */
function appMessage(text: string): ({ type: string } & Record<string, unknown>) | undefined {
  if (!text.startsWith('{') || !text.includes('"app_')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && 'type' in value && typeof value.type === 'string' && value.type.startsWith('app_')) {
      return value as { type: string } & Record<string, unknown>;
    }
  } catch {
    // not JSON: the command parser reports it
  }
  return undefined;
}

export class WebServerConfigError extends Error {
  override name = 'WebServerConfigError';
}

export function isLoopbackAddress(host: string): boolean {
  return host === '127.0.0.1' || host === '::1';
}

export function createToken(): string {
  return randomBytes(24).toString('base64url');
}

function tokensEqual(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host)) {
    throw new WebServerConfigError(`web mode listens on the loopback interface only (127.0.0.1 or ::1); refusing host "${host}"`);
  }
  const token = options.token ?? createToken();
  const maxClients = options.maxClients ?? 8;
  const log = options.log ?? (() => {});
  const csp = contentSecurityPolicy();
  let port = 0;

  const allowedHosts = (): string[] => (host === '::1' ? [`[::1]:${port}`, `localhost:${port}`] : [`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`);
  const hostOk = (req: IncomingMessage): boolean => allowedHosts().includes((req.headers.host ?? '').toLowerCase());
  const requestToken = (req: IncomingMessage, url: URL): string | undefined =>
    url.searchParams.get('token') ?? cookieValue(req.headers.cookie, TOKEN_COOKIE);

  const baseHeaders = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };

  const reply = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void => {
    res.writeHead(status, { ...baseHeaders, 'content-type': 'text/plain; charset=utf-8', ...extra });
    res.end(text);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostOk(req)) return reply(res, 421, 'wrong Host header: open the URL printed by `npm run serve`');
    const url = new URL(req.url ?? '/', `http://${allowedHosts()[0]}`);
    const given = requestToken(req, url);
    if (!tokensEqual(given, token)) return reply(res, 401, 'missing or wrong access token: open the URL printed by `npm run serve`');
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    const result = await readStaticFile(options.rendererDir, url.pathname);
    if (result.status !== 200) return reply(res, result.status, result.reason);
    const headers: Record<string, string> = { ...baseHeaders, 'content-type': result.contentType, 'content-length': String(result.body.length) };
    if (url.searchParams.has('token')) {
      headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : result.body);
  };

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      log(`request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_PAYLOAD, perMessageDeflate: false });
  const sockets = new Set<WebSocket>();
  const replay = new Map<string, string>();

  const refuseUpgrade = (socket: Duplex, status: number, reason: string): void => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!hostOk(req)) return refuseUpgrade(socket, 421, 'Misdirected Request');
    const url = new URL(req.url ?? '/', `http://${allowedHosts()[0]}`);
    if (url.pathname !== SOCKET_PATH) return refuseUpgrade(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin.toLowerCase())) return refuseUpgrade(socket, 403, 'Forbidden');
    if (!tokensEqual(requestToken(req, url), token)) return refuseUpgrade(socket, 401, 'Unauthorized');
    if (sockets.size >= maxClients) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  const sendError = (ws: WebSocket, code: string, message: string): void => {
    const event: EngineEvent = { type: 'error', code, message, fatal: false };
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  };

  const onConnection = (ws: WebSocket): void => {
    sockets.add(ws);
    log(`client connected (${sockets.size} open)`);
    for (const message of replay.values()) ws.send(message);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        let samples: Float32Array;
        try {
          samples = decodeMicFrame(bytes, MAX_AUDIO_FRAME_SAMPLES);
        } catch (err) {
          return sendError(ws, 'bad_audio_frame', err instanceof Error ? err.message : String(err));
        }
        options.engine.send({ type: 'audio', sampleRate: 16000, samples });
        return;
      }
      if (bytes.length > MAX_CONTROL_MESSAGE_BYTES) {
        return sendError(ws, 'bad_command', `control message too large (${bytes.length} bytes > ${MAX_CONTROL_MESSAGE_BYTES})`);
      }
      const text = bytes.toString('utf8');
      const app = options.onAppMessage ? appMessage(text) : undefined;
      if (app && options.onAppMessage) {
        return options.onAppMessage(app, (message) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
        });
      }
      const parsed = parseJsonControl(text);
      if (!parsed.ok) return sendError(ws, 'bad_command', parsed.error);
      options.engine.send(parsed.value);
    });
    ws.on('close', () => {
      sockets.delete(ws);
      log(`client disconnected (${sockets.size} open)`);
    });
    ws.on('error', (err) => log(`socket error: ${err.message}`));
  };

  const offEngine = options.engine.onEvent((event: HostEvent) => {
    if (event.type === 'audio') {
      const frame = encodeAudioFrame(event);
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(frame);
      return;
    }
    const text = JSON.stringify(event);
    if (REPLAYED_EVENTS.has(event.type)) replay.set(event.type, text);
    for (const ws of sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      if (event.type === 'level' && ws.bufferedAmount > SLOW_CLIENT_BYTES) continue;
      ws.send(text);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host === '::1' ? '[::1]' : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    clients: () => sockets.size,
    async close() {
      offEngine();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
