import type { AppSettings, AppSocketReply, HardwareInfo } from '../shared/bridge-types';
import type { EngineConfigInput, EngineConfigPatch } from '../shared/config';
import type { HostEvent } from '../shared/host-types';
import { defaultAppSettings, engineConfigFromSettings, modelSetFor, type HardwareProfile } from './engine-config';
import { AppSettingsPatchSchema } from './ipc-schemas';
import type { JsonStore } from './json-store';

export interface SettingsHostOptions {
  store: JsonStore<AppSettings>;
  hw: HardwareProfile;
  /** Sends `configure` to the engine; called only when a save changes what the engine runs. */
  configure(config: EngineConfigInput & EngineConfigPatch): void;
  /** The settings were rolled back (the engine refused a change): what a restarted engine starts with. */
  reverted?(config: EngineConfigInput & EngineConfigPatch): void;
}

/**
 * The owner of the settings in a process that hosts the engine (the web server; main does the
 * same over IPC): validates and saves changes, and is the only place that sends the engine its
 * configuration. Answers the page's `app_settings_*` socket requests.
 */
export class SettingsHost {
  readonly hardware: HardwareInfo;
  /** The engine could not start with the saved settings: it runs with the defaults until the next change. */
  private startedWithDefaults = false;
  /** The settings before each save the engine has not answered yet (a config_applied), oldest first. */
  private readonly unanswered: Array<{ before: AppSettings; keys: (keyof AppSettings)[] }> = [];

  constructor(private readonly options: SettingsHostOptions) {
    this.hardware = { ...options.hw, platform: process.platform, arch: process.arch, modelSet: modelSetFor(options.hw) };
  }

  get settings(): AppSettings {
    return this.options.store.get();
  }

  /** The engine configuration for the current settings (start-up, and after a restart). */
  engineConfig(): EngineConfigInput & EngineConfigPatch {
    return engineConfigFromSettings(this.startedWithDefaults ? defaultAppSettings(this.options.hw) : this.settings, this.options.hw);
  }

  /**
   * The engine could not start with the saved settings (a model they name is missing, a device
   * fails…): the next start uses the default settings. The saved ones stay, for the user to change
   * (the next change applies them again, transactionally). False when there is nothing to fall
   * back to: the settings are the defaults, or the defaults failed too.
   */
  fallBackToDefaults(): boolean {
    if (this.startedWithDefaults) return false;
    const defaults = engineConfigFromSettings(defaultAppSettings(this.options.hw), this.options.hw);
    if (JSON.stringify(defaults) === JSON.stringify(this.engineConfig())) return false;
    this.startedWithDefaults = true;
    return true;
  }

  /** Validates and saves `patch`; sends `configure` when the engine-facing part changed. */
  update(patch: unknown): AppSettings {
    const parsed = AppSettingsPatchSchema.safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`invalid settings${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'rejected'}`);
    }
    const before = this.settings;
    const previous = JSON.stringify(this.engineConfig());
    this.startedWithDefaults = false;
    const next = this.options.store.set({ ...before, ...parsed.data });
    const config = this.engineConfig();
    if (JSON.stringify(config) !== previous) {
      this.unanswered.push({ before, keys: Object.keys(parsed.data) as (keyof AppSettings)[] });
      if (this.unanswered.length > 16) this.unanswered.shift();
      this.options.configure(config);
    }
    return next;
  }

  /**
   * Settings are transactional: when the engine refuses a change (`config_applied` with
   * `rejected`: a stage would not load with it, and the engine rolled it back), the saved setting
   * that asked for it goes back too, so the next start does not fail on it. Returns the settings
   * when they changed.
   */
  engineEvent(event: HostEvent): AppSettings | undefined {
    if (event.type !== 'config_applied') return undefined;
    // One notice may answer several saves (reloads wait for the end of a turn and are reported together).
    const answered = this.unanswered.splice(0).reverse();
    const rejectedPaths = (event.rejected ?? []).flatMap((r) => r.paths);
    if (answered.length === 0 || rejectedPaths.length === 0) return undefined;
    const valueAt = (config: EngineConfigInput, dotted: string): unknown => {
      const [section, key] = dotted.split('.') as [string, string];
      return (config as Record<string, Record<string, unknown> | undefined>)[section]?.[key];
    };
    const current = this.engineConfig();
    let settings = this.settings;
    // Newest save first: the oldest value a refused key had is the one the engine still runs with.
    for (const { before, keys } of answered) {
      for (const key of keys) {
        const without = engineConfigFromSettings({ ...settings, [key]: before[key] }, this.options.hw);
        if (rejectedPaths.some((p) => JSON.stringify(valueAt(without, p)) !== JSON.stringify(valueAt(current, p)))) {
          settings = { ...settings, [key]: before[key] };
        }
      }
    }
    if (settings === this.settings) return undefined;
    const saved = this.options.store.set(settings);
    this.options.reverted?.(this.engineConfig());
    return saved;
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
