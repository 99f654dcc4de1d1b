import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src-main/tools/dev/shared-data';

/**
 * A start that fails on a setting: web mode (the real server and engine process, stand-in models)
 * with saved settings that name a Kokoro precision the installed voice model lacks.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'murmur-serve-fallback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('web mode with settings the engine cannot start with', () => {
  it('starts the engine with the default settings, says so, and keeps the saved settings', async () => {
    const settings = path.join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ ttsDtype: 'fp16' })); // the stand-in voice model ships fp32 only
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/serve.ts', '--models', 'standin', '--port', '0', '--no-open', '--journal', path.join(dir, 'journal.jsonl'), '--settings', settings], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let log = '';
    child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
    try {
      await expect.poll(() => log, { timeout: 240_000, interval: 250 }).toMatch(/engine error \[settings_fallback\]/);
      expect(log).toMatch(/engine error \[load_failed\]/);
      expect(log).toMatch(/restarting it with the default settings/);
      // The restarted engine came up with the defaults...
      const afterFallback = log.slice(log.indexOf('restarting it with the default settings'));
      expect(afterFallback).toMatch(/engine: ready/);
      // ...and the user's choice is still saved, for them to change.
      expect(JSON.parse(readFileSync(settings, 'utf8'))).toMatchObject({ ttsDtype: 'fp16' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 300_000);
});
