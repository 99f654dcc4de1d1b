/**
 * The Electron app's security policy as pure functions (no electron import), so tests can inspect
 * every decision: the CSP, which permission requests are granted, where the window may navigate,
 * and which URLs may be opened in the user's browser.
 */

/** The renderer is served from this privileged custom scheme (see index.ts `protocol.handle`). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'murmur';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * Content-Security-Policy of the app window and the web-mode page. No remote content at all:
 * scripts, styles, workers and audio worklets only from our own origin; `connect-src` allows only
 * our own origin (the web mode's WebSocket is same-origin; 'self' covers ws: in CSP Level 3).
 * `style-src 'unsafe-inline'` is not granted: React sets styles through the CSSOM, which CSP allows.
 */
export function contentSecurityPolicy(options: { connectSrc?: readonly string[] } = {}): string {
  const connect = ["'self'", ...(options.connectSrc ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Origins whose pages are ours: the app scheme, plus the dev server while developing. */
export function trustedOrigins(devServerUrl?: string): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) {
    try {
      origins.push(new URL(devServerUrl).origin);
    } catch {
      // a malformed dev URL adds nothing
    }
  }
  return origins;
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    // blob: URLs carry the origin of the page that made them
    if (parsed.protocol === 'blob:') return parsed.pathname.startsWith('blob:') ? undefined : originOf(parsed.pathname);
    // Custom schemes registered as `standard` have a real origin; `new URL` in Node reports "null"
    // for non-special schemes, so build it from protocol and host.
    return parsed.origin !== 'null' ? parsed.origin : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return undefined;
  }
}

export function isTrustedOrigin(url: string, trusted: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== undefined && trusted.includes(origin);
}

/** The subset of Electron's permission-request details the policy looks at. */
export interface PermissionDetails {
  mediaTypes?: readonly string[];
  /** Permission *check* handlers report `mediaType` instead. */
  mediaType?: string;
  requestingUrl?: string;
  isMainFrame?: boolean;
}

/**
 * Grants only microphone access ('media' with audio only) to our own origin's main frame.
 * Everything else (camera, notifications, geolocation, clipboard, HID, …) is refused.
 */
export function isPermissionAllowed(
  permission: string,
  origin: string,
  details: PermissionDetails,
  trusted: readonly string[] = trustedOrigins(),
): boolean {
  if (permission !== 'media') return false;
  if (!isTrustedOrigin(origin, trusted)) return false;
  if (details.requestingUrl !== undefined && !isTrustedOrigin(details.requestingUrl, trusted)) return false;
  if (details.isMainFrame === false) return false;
  const types = details.mediaTypes ?? (details.mediaType !== undefined ? [details.mediaType] : []);
  if (types.length === 0) {
    // A check without a media type (Electron's `permissionCheckHandler` for device enumeration)
    // is allowed only when it names the audio type; an empty request grants nothing.
    return false;
  }
  return types.every((t) => t === 'audio');
}

/** The window never navigates away from the page it loaded (a reload of the same URL is fine). */
export function isNavigationAllowed(targetUrl: string, currentUrl: string): boolean {
  try {
    const target = new URL(targetUrl);
    const current = new URL(currentUrl);
    target.hash = '';
    current.hash = '';
    return target.href === current.href;
  } catch {
    return false;
  }
}

/** `window.open` and target=_blank never create a window. */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** Exact https pages the app may open in the user's browser (model licences and sources). */
export const EXTERNAL_URL_PREFIXES: readonly string[] = [
  'https://huggingface.co/',
  'https://github.com/ggerganov/whisper.cpp',
  'https://github.com/snakers4/silero-vad',
  'https://github.com/hexgrad/kokoro',
];

/**
 * Whether `url` may be handed to `shell.openExternal`: https only, no credentials, no port, and
 * starting with an allow-listed prefix after normalisation (so `https://huggingface.co.evil.com`
 * and `https://huggingface.co@evil.com` are refused).
 */
export function isExternalUrlAllowed(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > 2048) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return false;
  const normalised = parsed.href;
  return EXTERNAL_URL_PREFIXES.some((prefix) => {
    if (!normalised.startsWith(prefix)) return false;
    const rest = normalised.slice(prefix.length);
    // a prefix without a trailing slash must end at a path boundary
    return prefix.endsWith('/') || rest === '' || rest.startsWith('/') || rest.startsWith('?') || rest.startsWith('#');
  });
}

/**
 * Maps a request path under the app scheme to a file inside the renderer folder, or undefined for
 * anything that would leave it (`..`, encoded separators, NUL).
 */
export function resolveAppAssetPath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/').filter((p) => p.length > 0);
  if (parts.some((p) => p === '..' || p === '.')) return undefined;
  if (parts.length === 0) return 'index.html';
  return parts.join('/');
}
