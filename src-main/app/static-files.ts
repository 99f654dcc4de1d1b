import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveAppAssetPath } from './security';

/** Content types of the files a Vite build of the renderer produces. Anything else is refused. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string | undefined {
  return CONTENT_TYPES[path.extname(file).toLowerCase()];
}

export type StaticResult =
  | { status: 200; body: Buffer; contentType: string }
  | { status: 404 | 403; reason: string };

/**
 * Reads one file of the built renderer for a URL path. Never lists a folder, never leaves `root`
 * (`..`, encoded separators and symlinks out of it are refused), serves only known content types.
 */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticResult> {
  const relative = resolveAppAssetPath(urlPath);
  if (relative === undefined) return { status: 403, reason: 'path not allowed' };
  const rootAbs = path.resolve(root);
  const file = path.resolve(rootAbs, relative);
  if (file !== rootAbs && !file.startsWith(rootAbs + path.sep)) return { status: 403, reason: 'path not allowed' };
  const contentType = contentTypeFor(file);
  if (!contentType) return { status: 404, reason: 'not found' };
  try {
    const [realRoot, realFile] = await Promise.all([realpath(rootAbs), realpath(file)]);
    if (!realFile.startsWith(realRoot + path.sep)) return { status: 403, reason: 'path not allowed' };
    const info = await stat(realFile);
    if (!info.isFile()) return { status: 404, reason: 'not found' };
    return { status: 200, body: await readFile(realFile), contentType };
  } catch {
    return { status: 404, reason: 'not found' };
  }
}
