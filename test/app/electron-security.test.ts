import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src-main/tools/dev/shared-data';
import { IPC, IpcValidationError, parseIpc } from '../../src-main/app/ipc-schemas';
import {
  APP_ORIGIN,
  contentSecurityPolicy,
  isExternalUrlAllowed,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedOrigin,
  resolveAppAssetPath,
  trustedOrigins,
  windowOpenDecision,
} from '../../src-main/app/security';
import { defaultAppSettings } from '../../src-main/shared/bridge-types';
import { windowOptions } from '../../src-main/window-options';

/*
 * The Electron binary cannot run here, so the security policy lives in pure functions that main
 * wires in (index.ts); these tests check the decisions themselves and that main uses them.
 */

describe('window options', () => {
  const prefs = windowOptions('/app/out/preload/preload.cjs').webPreferences ?? {};

  it('isolates and sandboxes the renderer without Node', () => {
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/out/preload/preload.cjs');
  });

  it('keeps the remembered bounds', () => {
    const o = windowOptions('/p.cjs', { x: 10, y: 20, width: 900, height: 700 });
    expect([o.x, o.y, o.width, o.height]).toEqual([10, 20, 900, 700]);
  });
});

describe('content security policy', () => {
  const csp = contentSecurityPolicy();
  const directive = (name: string): string[] =>
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .find((d) => d[0] === name)
      ?.slice(1) ?? [];

  it('loads nothing remote and runs no inline or eval script', () => {
    expect(directive('default-src')).toEqual(["'none'"]);
    expect(directive('script-src')).toEqual(["'self'"]);
    expect(directive('object-src')).toEqual(["'none'"]);
    expect(directive('base-uri')).toEqual(["'none'"]);
    expect(directive('frame-ancestors')).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(directive('connect-src')).toEqual(["'self'"]);
  });

  it('allows the dev server socket only when asked', () => {
    expect(contentSecurityPolicy({ connectSrc: ['ws://localhost:5173'] })).toContain("connect-src 'self' ws://localhost:5173");
  });
});

describe('permissions', () => {
  const trusted = trustedOrigins();

  it('grants microphone (audio only) to our own origin', () => {
    expect(isPermissionAllowed('media', `${APP_ORIGIN}/index.html`, { mediaTypes: ['audio'], requestingUrl: `${APP_ORIGIN}/index.html` }, trusted)).toBe(true);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaType: 'audio' }, trusted)).toBe(true);
  });

  it('refuses camera, screen, anything else, and other origins', () => {
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaTypes: ['audio', 'video'] }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaTypes: ['video'] }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaTypes: [] }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaType: 'unknown' }, trusted)).toBe(false);
    for (const p of ['notifications', 'geolocation', 'clipboard-read', 'display-capture', 'hid', 'serial', 'openExternal', 'fullscreen']) {
      expect(isPermissionAllowed(p, APP_ORIGIN, { mediaTypes: ['audio'] }, trusted)).toBe(false);
    }
    expect(isPermissionAllowed('media', 'https://evil.example', { mediaTypes: ['audio'] }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', 'file:///etc/passwd', { mediaTypes: ['audio'] }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaTypes: ['audio'], requestingUrl: 'https://evil.example/' }, trusted)).toBe(false);
    expect(isPermissionAllowed('media', APP_ORIGIN, { mediaTypes: ['audio'], isMainFrame: false }, trusted)).toBe(false);
  });

  it('treats blob: URLs as the origin that created them', () => {
    expect(isTrustedOrigin(`blob:${APP_ORIGIN}/6c1f0a52-0000-4000-8000-000000000000`, trusted)).toBe(true);
    expect(isTrustedOrigin('blob:https://evil.example/6c1f0a52', trusted)).toBe(false);
    expect(isTrustedOrigin('blob:blob:app://murmur/x', trusted)).toBe(false);
  });

  it('trusts the dev server only when one is configured', () => {
    expect(trustedOrigins()).toEqual([APP_ORIGIN]);
    expect(trustedOrigins('http://localhost:5173/')).toEqual([APP_ORIGIN, 'http://localhost:5173']);
    expect(trustedOrigins('not a url')).toEqual([APP_ORIGIN]);
  });
});

describe('navigation, new windows, external links', () => {
  it('never navigates away from the loaded page', () => {
    const here = `${APP_ORIGIN}/index.html`;
    expect(isNavigationAllowed(`${here}#settings`, here)).toBe(true);
    expect(isNavigationAllowed('https://evil.example/', here)).toBe(false);
    expect(isNavigationAllowed(`${APP_ORIGIN}/other.html`, here)).toBe(false);
    expect(isNavigationAllowed('file:///etc/passwd', here)).toBe(false);
    expect(isNavigationAllowed('javascript:alert(1)', here)).toBe(false);
    expect(isNavigationAllowed('garbage', here)).toBe(false);
  });

  it('denies every window.open', () => {
    expect(windowOpenDecision()).toEqual({ action: 'deny' });
  });

  it('opens only allow-listed https pages in the browser', () => {
    expect(isExternalUrlAllowed('https://huggingface.co/ggerganov/whisper.cpp')).toBe(true);
    expect(isExternalUrlAllowed('https://github.com/ggerganov/whisper.cpp/blob/master/LICENSE')).toBe(true);
    for (const bad of [
      'http://huggingface.co/x',
      'https://huggingface.co.evil.example/x',
      'https://huggingface.co@evil.example/x',
      'https://user:pw@huggingface.co/x',
      'https://huggingface.co:8443/x',
      'https://github.com/ggerganov/whisper.cpp.evil/x',
      'https://github.com/attacker/repo',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'not a url',
      42,
      undefined,
      `https://huggingface.co/${'a'.repeat(3000)}`,
    ]) {
      expect(isExternalUrlAllowed(bad), String(bad).slice(0, 60)).toBe(false);
    }
  });

  it('maps app:// paths into the renderer folder only', () => {
    expect(resolveAppAssetPath('/')).toBe('index.html');
    expect(resolveAppAssetPath('/assets/index-abc.js')).toBe('assets/index-abc.js');
    expect(resolveAppAssetPath('/assets/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(resolveAppAssetPath('/..%2f..%2fetc/passwd')).toBeUndefined();
    expect(resolveAppAssetPath('/a%5c..%5cb')).toBeUndefined();
    expect(resolveAppAssetPath('/a%00b')).toBeUndefined();
    expect(resolveAppAssetPath('/%E0%A4%A')).toBeUndefined();
  });
});

describe('IPC validation', () => {
  it('accepts well-formed payloads', () => {
    expect(parseIpc(IPC.settingsGet, [])).toEqual([]);
    expect(parseIpc(IPC.settingsSet, [{ voice: 'af_bella', speed: 1.2 }])).toEqual([{ voice: 'af_bella', speed: 1.2 }]);
    for (const gpu of [false, true]) expect(parseIpc(IPC.settingsSet, [defaultAppSettings({ gpu })])).toEqual([defaultAppSettings({ gpu })]);
    expect(parseIpc(IPC.settingsSet, [{ threads: 'auto', ttsDevice: 'cuda', ttsDtype: 'fp16', headphones: true }])).toEqual([
      { threads: 'auto', ttsDevice: 'cuda', ttsDtype: 'fp16', headphones: true },
    ]);
    expect(parseIpc(IPC.hardware, [])).toEqual([]);
    expect(parseIpc(IPC.modelsDownload, [])).toEqual([]);
    expect(parseIpc(IPC.modelsDownload, [['whisper-base.en']])).toEqual([['whisper-base.en']]);
    expect(parseIpc(IPC.modelsRemove, ['kokoro-82m-q8'])).toEqual(['kokoro-82m-q8']);
  });

  it('rejects malformed payloads, naming the channel', () => {
    const bad: Array<[string, unknown[]]> = [
      [IPC.settingsSet, []],
      [IPC.settingsSet, ['{"voice":"x"}']],
      [IPC.settingsSet, [{ voice: 'af_heart', nodeIntegration: true }]],
      [IPC.settingsSet, [{ speed: 50 }]],
      [IPC.settingsSet, [{ threads: 1.5 }]],
      [IPC.settingsSet, [{ threads: 'many' }]],
      [IPC.settingsSet, [{ ttsDevice: 'tpu' }]],
      [IPC.settingsSet, [{ ttsDtype: 'int4' }]],
      [IPC.settingsSet, [{ mode: 'spy' }]],
      [IPC.settingsSet, [{ systemPrompt: 'x'.repeat(5000) }]],
      [IPC.settingsSet, [{ voice: '../../etc/passwd' }]],
      [IPC.settingsSet, [{ __proto__: { polluted: true }, gpu: 'yes' }]],
      [IPC.settingsGet, ['extra']],
      [IPC.modelsRemove, ['../../home']],
      [IPC.modelsRemove, [7]],
      [IPC.modelsDownload, [['ok-id', 'Bad Id']]],
      [IPC.modelsDownload, [Array.from({ length: 40 }, (_, i) => `m${i}`)]],
      ['murmur:shell-exec', ['rm -rf /']],
    ];
    for (const [channel, args] of bad) {
      expect(() => parseIpc(channel as typeof IPC.settingsSet, args), `${channel} ${JSON.stringify(args)}`).toThrow(IpcValidationError);
      expect(() => parseIpc(channel as typeof IPC.settingsSet, args)).toThrow(channel);
    }
  });
});

describe('main process wiring', () => {
  const source = readFileSync(path.join(projectRoot(), 'src-main', 'index.ts'), 'utf8');

  it('installs every policy function', () => {
    expect(source).toContain('requestSingleInstanceLock');
    expect(source).toMatch(/setPermissionRequestHandler\([\s\S]{0,200}isPermissionAllowed/);
    expect(source).toMatch(/setPermissionCheckHandler\([\s\S]{0,200}isPermissionAllowed/);
    expect(source).toMatch(/'will-navigate'[\s\S]{0,200}isNavigationAllowed/);
    expect(source).toMatch(/setWindowOpenHandler\([\s\S]{0,300}windowOpenDecision/);
    expect(source).toMatch(/isExternalUrlAllowed\(url\)\) void shell\.openExternal\(url\)/);
    expect(source).toMatch(/onHeadersReceived[\s\S]{0,400}Content-Security-Policy/);
    expect(source).toContain('parseIpc(channel, raw)');
    // no handler bypasses validation
    expect(source.match(/ipcMain\.(handle|on)\(/g)).toHaveLength(1);
  });
});
