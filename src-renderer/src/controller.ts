import type { ListenMode } from '../../src-main/shared/events';
import type { HostEvent } from '../../src-main/shared/host-types';
import type { AppSettings, MurmurBridge, ShortcutAction } from '../../src-main/shared/bridge-types';
import { createElectronClient, createWebSocketClient, webSocketUrl, type EngineClient } from './engine-client';
import { MicCapture, CAPTURE_SAMPLE_RATE } from './audio/capture';
import { isAutoplayRefusal } from './audio/echo-loopback';
import { Player } from './audio/playback';
import { bridgeSettings, localSettings, serverSettings, type SettingsStore } from './settings';
import { uiStore, type AudioStatus } from './store';

export type AppEnvironment = 'electron' | 'web' | 'demo';

/**
 * Wires the engine client, the store, the mic and the player. Components call its methods;
 * nothing else talks to the engine.
 */
export class AppController {
  readonly environment: AppEnvironment;
  private client: EngineClient | undefined;
  private settingsStore: SettingsStore;
  private readonly bridge: MurmurBridge | undefined;
  private capture: MicCapture | undefined;
  private player: Player | undefined;
  private outputProblem: AudioStatus['output'] | undefined;
  private inputProblem: AudioStatus['input'] | undefined;
  private micStarting = false;
  /** startAudio was called (a gesture in a browser; at once in Electron): the mic may open. */
  private audioRequested = false;
  private playerOpening: Promise<void> | undefined;
  private audioStarting: Promise<void> | undefined;
  private readonly disposers: (() => void)[] = [];

  constructor(private readonly params: URLSearchParams) {
    this.bridge = window.murmur;
    // The scripted demo feed exists only in development builds (the production bundle has no demo code).
    this.environment = import.meta.env.DEV && params.has('demo') ? 'demo' : this.bridge ? 'electron' : 'web';
    this.settingsStore = this.bridge && this.environment === 'electron' ? bridgeSettings(this.bridge) : localSettings(window.localStorage);
  }

  async start(): Promise<void> {
    const client = await this.createClient();
    // Listen before anything else awaits: the server replays the engine's state as soon as it connects.
    let settingsLoaded: () => void = () => {};
    const loaded = new Promise<void>((resolve) => (settingsLoaded = resolve));
    if (client) {
      this.client = client;
      this.disposers.push(client.onStatus((status, detail) => {
        uiStore.getState().setLink(status, detail);
        if (status === 'open') void loaded.then(() => this.syncEngine());
      }));
      this.disposers.push(client.onEvent((event) => this.handle(event)));
    }
    try {
      const settings = await Promise.race([
        this.settingsStore.load(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000)),
      ]);
      uiStore.getState().setSettings(settings);
      uiStore.setState({ mode: settings.mode });
      uiStore.getState().setHardware(await this.settingsStore.hardware());
    } catch (err) {
      uiStore.getState().notify('warning', 'settings', `Could not load your settings (${message(err)}); using the defaults.`);
    } finally {
      settingsLoaded();
    }
    if (!client) return;

    if (this.bridge && this.environment === 'electron') {
      this.disposers.push(this.bridge.onShortcut((action) => this.shortcut(action)));
      this.disposers.push(this.bridge.models.onProgress((p) => {
        uiStore.getState().setDownload(p);
        if (p.done) void this.refreshModels();
      }));
      await this.refreshModels();
    }
    // The desktop app may start audio at once. A browser page waits for the first click: it holds
    // audio output back until then anyway, and asking for the microphone on page load would pop
    // a permission prompt nobody asked for. Until then the page says "Click to start audio".
    if (this.environment === 'electron') void this.startAudio();
    else if (this.environment === 'web') void this.openPlayer().finally(() => this.reportAudio());
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
    const webClient = createWebSocketClient(url);
    this.settingsStore = serverSettings((request) => webClient.request(request));
    return webClient;
  }

  /**
   * After (re)connecting — including an engine restart — bring the engine up to date with what
   * only the page knows. Configuration is not among it: main (Electron) or the server (web mode)
   * starts the engine from the saved settings and sends every change.
   */
  private syncEngine(): void {
    const { settings, muted } = uiStore.getState();
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
      case 'config_applied':
        // The engine refused part of the change and its owner rolled the setting back: show what is saved.
        if (event.rejected?.length) void this.reloadSettings();
        break;
    }
    uiStore.getState().dispatch(event);
  }

  private send(cmd: Parameters<EngineClient['send']>[0], transfer?: Transferable[]): void {
    this.client?.send(cmd, transfer);
  }

  /**
   * Starts mic and player; safe to call repeatedly. Call it from every user gesture: browsers hold
   * audio output (and the capture context) until the page is clicked, and the first gesture is what
   * lets the echo-cancelling playback route and the AudioContexts run.
   */
  startAudio(): Promise<void> {
    if (this.environment === 'demo') return Promise.resolve();
    this.audioRequested = true;
    // Synchronously inside the gesture, before anything awaits.
    this.capture?.resume();
    if (this.capture && this.player) return this.player.resume().finally(() => this.reportAudio());
    this.audioStarting ??= this.openAudio().finally(() => {
      this.audioStarting = undefined;
      this.reportAudio();
    });
    return this.audioStarting;
  }

  /** The reply player and its echo-cancelling route (no gesture needed to set them up). */
  private openPlayer(): Promise<void> {
    this.playerOpening ??= this.createPlayer().finally(() => {
      this.playerOpening = undefined;
    });
    return this.playerOpening;
  }

  private async createPlayer(): Promise<void> {
    if (this.player) return;
    const { settings } = uiStore.getState();
    const store = uiStore.getState();
    {
      try {
        this.player = await Player.create({
          outputDeviceId: settings.outputDeviceId,
          onStarted: (turn) => this.send({ type: 'playback_started', turn }),
          onUnitPlayed: (turn, unit) => this.send({ type: 'unit_played', turn, unit }),
          onStateChange: () => this.reportAudio(),
        });
        this.outputProblem = undefined;
        store.dismiss('speaker');
      } catch (err) {
        this.outputProblem = 'failed';
        store.notify('error', 'speaker', `Audio output unavailable: ${message(err)}`);
      }
      this.reportAudio();
    }
  }

  private async openAudio(): Promise<void> {
    const { settings } = uiStore.getState();
    const store = uiStore.getState();
    this.reportAudio();
    await this.openPlayer();
    if (!this.capture) {
      this.micStarting = true;
      this.reportAudio();
      try {
        this.capture = await MicCapture.start({
          deviceId: settings.inputDeviceId,
          onFrame: (samples) => {
            if (uiStore.getState().muted) return; // nothing leaves the page while muted
            this.send({ type: 'audio', sampleRate: CAPTURE_SAMPLE_RATE, samples }, [samples.buffer]);
          },
          onStateChange: () => this.reportAudio(),
        });
        this.inputProblem = undefined;
        store.dismiss('mic');
      } catch (err) {
        this.inputProblem = isAutoplayRefusal(err) ? 'denied' : 'failed';
        store.notify(
          'warning',
          'mic',
          this.inputProblem === 'denied'
            ? 'Microphone access is blocked. Allow it for this page (the icon in the address bar), then reload. You can still type a message.'
            : `Microphone unavailable: ${message(err)}. You can still type a message.`,
        );
      } finally {
        this.micStarting = false;
      }
    }
    await this.player?.resume();
  }

  /** Publishes what the browser lets audio do right now (the header and the echo chip read it). */
  private reportAudio(): void {
    if (this.environment === 'demo') return;
    const player = this.player;
    const output: AudioStatus['output'] = player ? (player.blocked ? 'blocked' : 'running') : (this.outputProblem ?? 'starting');
    const capture = this.capture;
    const input: AudioStatus['input'] = capture
      ? capture.blocked
        ? 'blocked'
        : 'running'
      : this.micStarting
        ? 'starting'
        : (this.inputProblem ?? (this.audioRequested ? 'starting' : 'blocked'));
    let echo: AudioStatus['echo'] = 'pending';
    let echoDetail: string | undefined;
    if (player && capture) {
      if (player.route !== 'echo-loopback') {
        echo = 'unprotected';
        echoDetail = `replies cannot reach the echo canceller (${player.routeProblem ?? 'direct output'})`;
      } else if (!capture.echoCancellation) {
        echo = 'unprotected';
        echoDetail = 'this microphone runs without echo cancellation';
      } else echo = output === 'running' ? 'protected' : 'pending';
    } else if (player && player.route !== 'echo-loopback') {
      echo = 'unprotected';
      echoDetail = `replies cannot reach the echo canceller (${player.routeProblem ?? 'direct output'})`;
    }
    const next: AudioStatus = { output, input, echo, ...(echoDetail ? { echoDetail } : {}) };
    const current = uiStore.getState().audio;
    if (JSON.stringify(current) === JSON.stringify(next)) return;
    uiStore.getState().setAudio(next);
    console.info(`[murmur] audio: output ${output}, input ${input}, echo ${echo}${echoDetail ? ` (${echoDetail})` : ''}`);
  }

  setMode(mode: ListenMode): void {
    uiStore.setState({ mode });
    this.send({ type: 'set_mode', mode });
    void this.updateSettings({ mode });
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

  private async reloadSettings(): Promise<void> {
    try {
      uiStore.getState().setSettings(await this.settingsStore.load());
    } catch {
      // The next save or start loads them again.
    }
  }

  /** Saves settings; their owner (main, or the server in web mode) tells the engine what changed. */
  async updateSettings(patch: Partial<AppSettings>): Promise<void> {
    const previous = uiStore.getState().settings;
    uiStore.getState().setSettings({ ...previous, ...patch }); // the control follows at once
    let next: AppSettings;
    try {
      next = await this.settingsStore.save(patch);
    } catch (err) {
      uiStore.getState().setSettings(previous);
      uiStore.getState().notify('error', 'settings', `Could not save the setting: ${message(err)}`);
      return;
    }
    uiStore.getState().setSettings(next);
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
