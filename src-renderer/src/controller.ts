import type { ListenMode } from '../../src-main/engine/events';
import type { HostEvent } from '../../src-main/engine/host/types';
import type { AppSettings, MurmurBridge, ShortcutAction } from './bridge-types';
import { createElectronClient, createWebSocketClient, webSocketUrl, type EngineClient } from './engine-client';
import { MicCapture, CAPTURE_SAMPLE_RATE } from './audio/capture';
import { Player } from './audio/playback';
import { bridgeSettings, localSettings, settingsToConfigPatch, type SettingsStore } from './settings';
import { uiStore } from './store';

export type AppEnvironment = 'electron' | 'web' | 'demo';

/**
 * Wires the engine client, the store, the mic and the player. Components call its methods;
 * nothing else talks to the engine.
 */
export class AppController {
  readonly environment: AppEnvironment;
  private client: EngineClient | undefined;
  private readonly settingsStore: SettingsStore;
  private readonly bridge: MurmurBridge | undefined;
  private capture: MicCapture | undefined;
  private player: Player | undefined;
  private audioStarting: Promise<void> | undefined;
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly params: URLSearchParams) {
    this.bridge = window.murmur;
    // The scripted demo feed exists only in development builds (the production bundle has no demo code).
    this.environment = import.meta.env.DEV && params.has('demo') ? 'demo' : this.bridge ? 'electron' : 'web';
    this.settingsStore = this.bridge && this.environment === 'electron' ? bridgeSettings(this.bridge) : localSettings(window.localStorage);
  }

  async start(): Promise<void> {
    const settings = await this.settingsStore.load().catch(() => uiStore.getState().settings);
    uiStore.getState().setSettings(settings);
    uiStore.setState({ mode: settings.mode });

    const client = await this.createClient();
    if (!client) return;
    this.client = client;
    this.disposers.push(client.onStatus((status, detail) => {
      uiStore.getState().setLink(status, detail);
      if (status === 'open') this.syncEngine();
    }));
    this.disposers.push(client.onEvent((event) => this.handle(event)));

    if (this.bridge && this.environment === 'electron') {
      this.disposers.push(this.bridge.onShortcut((action) => this.shortcut(action)));
      this.disposers.push(this.bridge.models.onProgress((p) => {
        uiStore.getState().setDownload(p);
        if (p.done) void this.refreshModels();
      }));
      await this.refreshModels();
    }
    if (this.environment !== 'demo') void this.startAudio();
  }

  private async createClient(): Promise<EngineClient | undefined> {
    if (import.meta.env.DEV && this.environment === 'demo') {
      const { createDemoClient } = await import('./demo-feed');
      return createDemoClient(this.params.get('demo') ?? '1');
    }
    if (this.environment === 'electron' && this.bridge) return createElectronClient(this.bridge);
    const url = webSocketUrl(window.location);
    if (!url) {
      uiStore.getState().setLink('closed');
      uiStore.getState().notify(
        'error',
        'link',
        'No access token in the address. Open the link that `npm run serve` printed (it ends with ?token=…).',
      );
      return undefined;
    }
    return createWebSocketClient(url);
  }

  /** After (re)connecting — including an engine restart — bring the engine up to date. */
  private syncEngine(): void {
    const { settings, muted } = uiStore.getState();
    this.send({ type: 'configure', patch: settingsToConfigPatch(settings) });
    this.send({ type: 'set_mode', mode: settings.mode });
    if (muted) this.send({ type: 'mute', muted: true });
    this.send({ type: 'get_history' });
  }

  private handle(event: HostEvent): void {
    switch (event.type) {
      case 'audio':
        this.player?.play(event.turn, event.unit, event.samples, event.sampleRate);
        return; // high-rate, not UI state
      case 'barge_in':
      case 'cancelled':
        this.player?.stop(event.turn);
        break;
      case 'answer_resumed':
        this.player?.resumeTurn(event.turn);
        break;
      case 'host':
        if (event.status === 'crashed') this.player?.stop();
        if (event.status === 'restarted') this.syncEngine();
        break;
    }
    uiStore.getState().dispatch(event);
  }

  private send(cmd: Parameters<EngineClient['send']>[0], transfer?: Transferable[]): void {
    this.client?.send(cmd, transfer);
  }

  /** Starts mic and player; safe to call repeatedly (e.g. on each user gesture). */
  startAudio(): Promise<void> {
    if (this.environment === 'demo') return Promise.resolve();
    if (this.capture && this.player) return this.player.resume();
    this.audioStarting ??= this.openAudio().finally(() => {
      this.audioStarting = undefined;
    });
    return this.audioStarting;
  }

  private async openAudio(): Promise<void> {
    const { settings } = uiStore.getState();
    const store = uiStore.getState();
    if (!this.player) {
      try {
        this.player = await Player.create({
          outputDeviceId: settings.outputDeviceId,
          onStarted: (turn) => this.send({ type: 'playback_started', turn }),
          onUnitPlayed: (turn, unit) => this.send({ type: 'unit_played', turn, unit }),
        });
        store.dismiss('speaker');
      } catch (err) {
        store.notify('error', 'speaker', `Audio output unavailable: ${message(err)}`);
      }
    }
    if (!this.capture) {
      try {
        this.capture = await MicCapture.start({
          deviceId: settings.inputDeviceId,
          onFrame: (samples) => {
            if (uiStore.getState().muted) return; // nothing leaves the page while muted
            this.send({ type: 'audio', sampleRate: CAPTURE_SAMPLE_RATE, samples }, [samples.buffer]);
          },
        });
        store.dismiss('mic');
      } catch (err) {
        store.notify('warning', 'mic', `Microphone unavailable: ${message(err)}. You can still type a message.`);
      }
    }
    await this.player?.resume();
  }

  setMode(mode: ListenMode): void {
    uiStore.setState({ mode });
    this.send({ type: 'set_mode', mode });
    void this.updateSettings({ mode }, false);
  }

  toggleMode(): void {
    this.setMode(uiStore.getState().mode === 'push-to-talk' ? 'always-listening' : 'push-to-talk');
  }

  toggleMute(): void {
    const muted = !uiStore.getState().muted;
    uiStore.setState({ muted });
    this.send({ type: 'mute', muted });
  }

  ptt(pressed: boolean): void {
    const state = uiStore.getState();
    if (state.pttPressed === pressed) return;
    state.setPttPressed(pressed);
    if (pressed) void this.startAudio();
    this.send({ type: 'ptt', pressed });
  }

  sendText(text: string): void {
    const trimmed = text.trim().slice(0, 4000);
    if (trimmed) this.send({ type: 'text_input', text: trimmed });
  }

  cancel(): void {
    this.send({ type: 'cancel' });
  }

  clearHistory(): void {
    this.send({ type: 'clear_history' });
    uiStore.getState().clearConversation();
  }

  async updateSettings(patch: Partial<AppSettings>, apply = true): Promise<void> {
    const previous = uiStore.getState().settings;
    const next = await this.settingsStore.save(patch);
    uiStore.getState().setSettings(next);
    if (apply) this.send({ type: 'configure', patch: settingsToConfigPatch(next) });
    if (next.outputDeviceId !== previous.outputDeviceId) await this.player?.setOutputDevice(next.outputDeviceId).catch(() => undefined);
    if (next.inputDeviceId !== previous.inputDeviceId && this.capture) {
      await this.capture.stop();
      this.capture = undefined;
      await this.startAudio();
    }
  }

  async refreshModels(): Promise<void> {
    if (!this.bridge) return;
    try {
      uiStore.getState().setModels(await this.bridge.models.list());
    } catch (err) {
      uiStore.getState().notify('warning', 'models', `Could not list models: ${message(err)}`);
    }
  }

  async downloadModels(ids?: string[]): Promise<void> {
    if (!this.bridge) return;
    uiStore.getState().setDownload({ files: [], totalBytes: 0, doneBytes: 0 });
    try {
      await this.bridge.models.download(ids);
    } catch (err) {
      uiStore.getState().setDownload({ ...(uiStore.getState().download ?? { files: [], totalBytes: 0, doneBytes: 0 }), error: message(err) });
    }
    await this.refreshModels();
  }

  async cancelDownload(): Promise<void> {
    await this.bridge?.models.cancelDownload();
  }

  async removeModel(id: string): Promise<void> {
    await this.bridge?.models.remove(id);
    await this.refreshModels();
  }

  get canManageModels(): boolean {
    return this.environment === 'electron';
  }

  private shortcut(action: ShortcutAction): void {
    if (action === 'ptt-down') this.ptt(true);
    else if (action === 'ptt-up') this.ptt(false);
    else if (action === 'toggle-listen') this.toggleMode();
    else this.toggleMute();
  }

  async dispose(): Promise<void> {
    for (const d of this.disposers.splice(0)) d();
    this.client?.close();
    await this.capture?.stop();
    await this.player?.dispose();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
