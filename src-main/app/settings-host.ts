import type { AppSettings, AppSocketReply, HardwareInfo } from '../shared/bridge-types';
import type { EngineConfigInput, EngineConfigPatch } from '../shared/config';
import { engineConfigFromSettings, modelSetFor, type HardwareProfile } from './engine-config';
import { AppSettingsPatchSchema } from './ipc-schemas';
import type { JsonStore } from './json-store';

export interface SettingsHostOptions {
  store: JsonStore<AppSettings>;
  hw: HardwareProfile;
  /** Sends `configure` to the engine; called only when a save changes what the engine runs. */
  configure(config: EngineConfigInput & EngineConfigPatch): void;
}

/**
 * The owner of the settings in a process that hosts the engine (the web server; main does the
 * same over IPC): validates and saves changes, and is the only place that sends the engine its
 * configuration. Answers the page's `app_settings_*` socket requests.
 */
export class SettingsHost {
  readonly hardware: HardwareInfo;

  constructor(private readonly options: SettingsHostOptions) {
    this.hardware = { ...options.hw, platform: process.platform, arch: process.arch, modelSet: modelSetFor(options.hw) };
  }

  get settings(): AppSettings {
    return this.options.store.get();
  }

  /** The engine configuration for the current settings (start-up, and after a restart). */
  engineConfig(): EngineConfigInput & EngineConfigPatch {
    return engineConfigFromSettings(this.settings, this.options.hw);
  }

  /** Validates and saves `patch`; sends `configure` when the engine-facing part changed. */
  update(patch: unknown): AppSettings {
    const parsed = AppSettingsPatchSchema.safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid settings${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'rejected'}`);
    }
    const previous = JSON.stringify(this.engineConfig());
    const next = this.options.store.set({ ...this.settings, ...parsed.data });
    const config = this.engineConfig();
    if (JSON.stringify(config) !== previous) this.options.configure(config);
    return next;
  }

  /** One page request → its reply. */
  handle(message: { type: string } & Record<string, unknown>): AppSocketReply {
    try {
      if (message.type === 'app_settings_get') return { type: 'app_settings', settings: this.settings, hardware: this.hardware };
      if (message.type === 'app_settings_set') return { type: 'app_settings', settings: this.update(message.patch), hardware: this.hardware };
      return { type: 'app_settings_error', error: `unknown request ${message.type}` };
    } catch (err) {
      return { type: 'app_settings_error', error: err instanceof Error ? err.message : String(err) };
    }
  }
}
