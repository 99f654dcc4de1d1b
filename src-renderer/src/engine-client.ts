import type { EngineCommand } from '../../src-main/shared/protocol';
import type { EngineEvent } from '../../src-main/shared/events';
import type { HostEvent } from '../../src-main/shared/host-types';
import { decodeAudioFrame, encodeMicFrame } from '../../src-main/shared/framing';
import { ENGINE_PORT_MESSAGE, type AppSocketReply, type AppSocketRequest, type MurmurBridge } from '../../src-main/shared/bridge-types';

/** Connection status of the transport itself (not the engine's own state). */
export type LinkStatus = 'connecting' | 'open' | 'closed';

/** The renderer's one way to talk to the engine, wherever it runs. */
export interface EngineClient {
  readonly kind: 'electron' | 'web' | 'demo';
  send(cmd: EngineCommand, transfer?: Transferable[]): void;
  onEvent(cb: (e: HostEvent) => void): () => void;
  onStatus(cb: (status: LinkStatus, detail?: string) => void): () => void;
  close(): void;
}

/** Small listener set shared by the implementations. */
export class Emitter<T extends unknown[]> {
  private readonly listeners = new Set<(...args: T) => void>();
  on(cb: (...args: T) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
  emit(...args: T): void {
    for (const cb of this.listeners) cb(...args);
  }
}

/** Accepts a bare event/notice or the `{ kind: 'event', event }` envelope. */
export function unwrapHostEvent(data: unknown): HostEvent | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as { kind?: unknown; event?: unknown; type?: unknown };
  if (record.kind === 'event' && record.event && typeof record.event === 'object') {
    return unwrapHostEvent(record.event);
  }
  return typeof record.type === 'string' ? (data as HostEvent) : undefined;
}

/** Electron: commands/events over the MessagePort that preload posts into the page. */
export function createElectronClient(bridge: MurmurBridge): EngineClient {
  const events = new Emitter<[HostEvent]>();
  const status = new Emitter<[LinkStatus, string | undefined]>();
  let port: MessagePort | undefined;
  let closed = false;

  const onWindowMessage = (message: MessageEvent): void => {
    if (message.source !== window) return;
    const data = message.data as { type?: unknown } | null;
    if (!data || data.type !== ENGINE_PORT_MESSAGE) return;
    const next = message.ports[0];
    if (!next) return;
    port?.close();
    port = next;
    port.onmessage = (m: MessageEvent) => {
      const event = unwrapHostEvent(m.data);
      if (event) events.emit(event);
    };
    port.start();
    status.emit('open', undefined);
  };
  window.addEventListener('message', onWindowMessage);

  status.emit('connecting', undefined);
  bridge.connectEngine().catch((err: unknown) => {
    status.emit('closed', `Could not start the speech engine: ${err instanceof Error ? err.message : String(err)}`);
  });

  return {
    kind: 'electron',
    send(cmd, transfer) {
      if (closed || !port) return;
      port.postMessage(cmd, transfer ?? []);
    },
    onEvent: (cb) => events.on(cb),
    onStatus: (cb) => status.on(cb),
    close() {
      closed = true;
      window.removeEventListener('message', onWindowMessage);
      port?.close();
      port = undefined;
    },
  };
}

/** The engine WebSocket URL for web mode: same host as the page, token from the page's `?token=`. */
export function webSocketUrl(location: { hostname: string; port: string; search: string }): string | undefined {
  const token = new URLSearchParams(location.search).get('token');
  if (!token) return undefined;
  const host = location.hostname === 'localhost' ? '127.0.0.1' : location.hostname;
  return `ws://${host}:${location.port}/engine?token=${encodeURIComponent(token)}`;
}

export interface WebEngineClient extends EngineClient {
  /** An app-level request to the server (settings); sent once the socket is open, answered in order. */
  request(message: AppSocketRequest): Promise<AppSocketReply>;
}

function isAppReply(value: unknown): value is AppSocketReply {
  const type = value && typeof value === 'object' && 'type' in value ? value.type : undefined;
  return type === 'app_settings' || type === 'app_settings_error';
}

/**
 * Web mode: JSON text messages for commands/events, binary messages for audio both ways
 * (framing in src-main/web/framing.ts). Reconnects with backoff until closed.
 */
export function createWebSocketClient(url: string): WebEngineClient {
  const events = new Emitter<[HostEvent]>();
  const status = new Emitter<[LinkStatus, string | undefined]>();
  let socket: WebSocket | undefined;
  let closed = false;
  let retryMs = 500;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** App requests in order; `sent` is cleared when a connection drops so they go again on the next. */
  const requests: { message: AppSocketRequest; sent: boolean; resolve(reply: AppSocketReply): void }[] = [];
  const flushRequests = (): void => {
    for (const r of requests) {
      if (r.sent || !socket || socket.readyState !== WebSocket.OPEN) continue;
      socket.send(JSON.stringify(r.message));
      r.sent = true;
    }
  };

  const connect = (): void => {
    status.emit('connecting', undefined);
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
      flushRequests();
      status.emit('open', undefined);
    };
    ws.onmessage = (m: MessageEvent) => {
      if (m.data instanceof ArrayBuffer) {
        try {
          const frame = decodeAudioFrame(m.data);
          const event: EngineEvent = { ...frame };
          events.emit(event);
        } catch (err) {
          console.warn('[murmur] dropped a malformed audio frame:', err);
        }
        return;
      }
      if (typeof m.data !== 'string') return;
      try {
        const data: unknown = JSON.parse(m.data);
        if (isAppReply(data)) {
          const index = requests.findIndex((r) => r.sent);
          if (index >= 0) requests.splice(index, 1)[0]?.resolve(data);
          return;
        }
        const event = unwrapHostEvent(data);
        if (event) events.emit(event);
      } catch {
        console.warn('[murmur] dropped a malformed event message');
      }
    };
    ws.onclose = (e: CloseEvent) => {
      if (socket !== ws) return;
      socket = undefined;
      for (const r of requests) r.sent = false;
      if (closed) return;
      const detail =
        e.code === 1008 || e.code === 4401
          ? 'The server refused the access token. Open the link printed by `npm run serve` again.'
          : `Lost the connection to the engine server; retrying in ${Math.round(retryMs / 1000)} s…`;
      status.emit('closed', detail);
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 8000);
    };
  };
  connect();

  return {
    kind: 'web',
    send(cmd) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      if (cmd.type === 'audio') {
        if (cmd.sampleRate !== 16000) throw new Error(`web mode sends 16 kHz mic audio, got ${cmd.sampleRate} Hz`);
        socket.send(encodeMicFrame(cmd.samples));
      } else {
        socket.send(JSON.stringify(cmd));
      }
    },
    request(message) {
      return new Promise<AppSocketReply>((resolve) => {
        requests.push({ message, sent: false, resolve });
        flushRequests();
      });
    },
    onEvent: (cb) => events.on(cb),
    onStatus: (cb) => status.on(cb),
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
      socket = undefined;
    },
  };
}
