import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AppSocketReply } from '../../src-main/shared/bridge-types';
import { engineConfigFromSettings, type HardwareProfile } from '../../src-main/app/engine-config';
import { openSettingsStore } from '../../src-main/app/settings';
import { SettingsHost } from '../../src-main/app/settings-host';
import type { EngineCommand } from '../../src-main/shared/protocol';
import type { EngineLink, HostEvent } from '../../src-main/shared/host-types';
import { createWebServer, type WebServer } from '../../src-main/web/server';

/**
 * TEST DOUBLE for the engine link (records what reaches the engine): this checks who sends
 * `configure` and when, not what the engine does with it.
 */
class EngineLinkDouble implements EngineLink {
  readonly commands: EngineCommand[] = [];
  send(command: EngineCommand): void {
    this.commands.push(command);
  }
  onEvent(_listener: (event: HostEvent) => void): () => void {
    return () => undefined;
  }
}

const hw: HardwareProfile = { gpu: false, cores: 4 };

describe('web mode: the server owns the settings and is the only configure sender', () => {
  let dir: string;
  let server: WebServer;
  let engine: EngineLinkDouble;
  let host: SettingsHost;
  let socket: WebSocket;
  const replies: AppSocketReply[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'murmur-settings-host-'));
    mkdirSync(path.join(dir, 'renderer'));
    writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><title>t</title>');
    engine = new EngineLinkDouble();
    host = new SettingsHost({ store: openSettingsStore(path.join(dir, 'settings.json'), hw), hw, configure: (patch) => engine.send({ type: 'configure', patch }) });
    server = await createWebServer({ engine, rendererDir: path.join(dir, 'renderer'), port: 0, onAppMessage: (m, reply) => reply(host.handle(m)) });
    socket = new WebSocket(`ws://127.0.0.1:${server.port}/engine?token=${server.token}`);
    socket.on('message', (data, binary) => {
      if (!binary) replies.push(JSON.parse(String(data)) as AppSocketReply);
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  });
  afterAll(async () => {
    socket?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ask(message: object): Promise<AppSocketReply> {
    const before = replies.length;
    socket.send(JSON.stringify(message));
    await expect.poll(() => replies.length, { timeout: 5000 }).toBeGreaterThan(before);
    return replies[before] as AppSocketReply;
  }

  it('answers with the hardware defaults and what it detected', async () => {
    const reply = await ask({ type: 'app_settings_get' });
    expect(reply).toMatchObject({ type: 'app_settings', settings: { gpu: false, threads: 'auto' }, hardware: { gpu: false, cores: 4, modelSet: { gpu: false } } });
    expect(engine.commands).toEqual([]);
  });

  it('saves a change, sends the engine one configure with the mapped config, and persists it', async () => {
    const reply = await ask({ type: 'app_settings_set', patch: { voice: 'am_adam', headphones: true } });
    expect(reply).toMatchObject({ type: 'app_settings', settings: { voice: 'am_adam', headphones: true } });
    expect(engine.commands).toHaveLength(1);
    const settings = JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(settings).toMatchObject({ voice: 'am_adam', headphones: true });
    expect(engine.commands[0]).toEqual({ type: 'configure', patch: engineConfigFromSettings(host.settings, hw) });
    expect(engine.commands[0]).toMatchObject({ patch: { tts: { voice: 'am_adam' }, echo: { enabled: false } } });
  });

  it('sends nothing to the engine for settings it does not run (theme), and rejects bad values without saving them', async () => {
    await ask({ type: 'app_settings_set', patch: { theme: 'dark' } });
    expect(engine.commands).toHaveLength(1);
    const bad = await ask({ type: 'app_settings_set', patch: { threads: 0 } });
    expect(bad).toMatchObject({ type: 'app_settings_error', error: expect.stringMatching(/invalid settings at threads/) as string });
    expect(host.settings.threads).toBe('auto');
    expect(engine.commands).toHaveLength(1);
  });

  it('still forwards engine commands to the engine', async () => {
    socket.send(JSON.stringify({ type: 'get_history' }));
    await expect.poll(() => engine.commands.some((c) => c.type === 'get_history'), { timeout: 5000 }).toBe(true);
  });
});

describe('settings are transactional', () => {
  it('a change the engine refused (its stage would not load) is rolled back in settings.json; the rest stays', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'murmur-settings-revert-'));
    try {
      const file = path.join(dir, 'settings.json');
      const store = openSettingsStore(file, hw);
      const sent: unknown[] = [];
      const reverted: unknown[] = [];
      const host = new SettingsHost({ store, hw, configure: (c) => sent.push(c), reverted: (c) => reverted.push(c) });
      const before = host.settings.ttsDtype;
      host.update({ ttsDtype: 'fp16', speed: 1.3 });
      expect(sent).toHaveLength(1);
      const changed = host.engineEvent({
        type: 'config_applied',
        applied: ['tts.speed'],
        reloaded: [],
        restartRequired: [],
        rejected: [{ paths: ['models.ttsDtype'], reason: 'could not reload the tts stage: model_fp16.onnx is missing' }],
      });
      expect(changed?.ttsDtype).toBe(before);
      expect(changed?.speed).toBe(1.3);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ ttsDtype: before, speed: 1.3 });
      expect(reverted).toHaveLength(1); // a restarted engine starts with what works
      // A notice without a rejection changes nothing.
      host.update({ speed: 1.1 });
      expect(host.engineEvent({ type: 'config_applied', applied: ['tts.speed'], reloaded: [], restartRequired: [] })).toBeUndefined();
      expect(host.settings.speed).toBe(1.1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a start that fails on a setting', () => {
  it('falls back to the default settings once, keeps the saved ones, and the next change applies them again', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'murmur-settings-fallback-'));
    try {
      const store = openSettingsStore(path.join(dir, 'settings.json'), hw);
      const host = new SettingsHost({ store, hw, configure: () => undefined });
      expect(host.fallBackToDefaults()).toBe(false); // already the defaults: nothing to fall back to
      host.update({ ttsDtype: 'fp16' });
      expect(host.engineConfig().models?.ttsDtype).toBe('fp16');
      expect(host.fallBackToDefaults()).toBe(true);
      expect(host.engineConfig().models?.ttsDtype).toBe(engineConfigFromSettings(openSettingsStore(path.join(dir, 'fresh.json'), hw).get(), hw).models?.ttsDtype);
      expect(host.settings.ttsDtype).toBe('fp16'); // the user's choice is kept to change
      expect(host.fallBackToDefaults()).toBe(false); // the defaults failed too: no loop
      host.update({ speed: 1.2 });
      expect(host.engineConfig().models?.ttsDtype).toBe('fp16');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
