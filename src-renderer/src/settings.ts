import { defaultAppSettings, type AppSettings, type AppSocketReply, type HardwareInfo, type MurmurBridge } from '../../src-main/shared/bridge-types';

/**
 * Settings persistence. The app's settings have one owner that also turns them into engine
 * configuration: main in Electron, the `npm run serve` server in web mode. The page only reads and
 * saves them; it never configures the engine itself. The scripted demo keeps them in localStorage.
 */
export interface SettingsStore {
  load(): Promise<AppSettings>;
  save(patch: Partial<AppSettings>): Promise<AppSettings>;
  /** What the owner detected about the machine (none in the demo). */
  hardware(): Promise<HardwareInfo | undefined>;
}

const STORAGE_KEY = 'murmur.settings.v2';

export function bridgeSettings(bridge: MurmurBridge): SettingsStore {
  return {
    load: () => bridge.settings.get(),
    save: (patch) => bridge.settings.set(patch),
    hardware: () => bridge.hardware(),
  };
}

/** Web mode: request/reply over the engine socket (`app_settings_*` messages, answered in order). */
export function serverSettings(request: (message: { type: 'app_settings_get' } | { type: 'app_settings_set'; patch: Partial<AppSettings> }) => Promise<AppSocketReply>): SettingsStore {
  let hardware: HardwareInfo | undefined;
  const settingsOf = (reply: AppSocketReply): AppSettings => {
    if (reply.type === 'app_settings_error') throw new Error(reply.error);
    hardware = reply.hardware;
    return reply.settings;
  };
  return {
    load: async () => settingsOf(await request({ type: 'app_settings_get' })),
    save: async (patch) => settingsOf(await request({ type: 'app_settings_set', patch })),
    hardware: async () => hardware,
  };
}

/** The scripted demo (no engine, no server): settings live in localStorage. */
export function localSettings(storage: Storage): SettingsStore {
  const defaults = defaultAppSettings({ gpu: false });
  const read = (): AppSettings => {
    try {
      return { ...defaults, ...(JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}') as Partial<AppSettings>) };
    } catch {
      return defaults;
    }
  };
  return {
    load: async () => read(),
    save: async (patch) => {
      const next = { ...read(), ...patch };
      storage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    },
    hardware: async () => undefined,
  };
}

/** Kokoro v1.0 voices offered in the settings (id → label). */
export const VOICES: readonly { id: string; label: string }[] = [
  { id: 'af_heart', label: 'Heart (US, female)' },
  { id: 'af_bella', label: 'Bella (US, female)' },
  { id: 'af_nicole', label: 'Nicole (US, female)' },
  { id: 'af_sarah', label: 'Sarah (US, female)' },
  { id: 'af_sky', label: 'Sky (US, female)' },
  { id: 'am_adam', label: 'Adam (US, male)' },
  { id: 'am_michael', label: 'Michael (US, male)' },
  { id: 'am_fenrir', label: 'Fenrir (US, male)' },
  { id: 'bf_emma', label: 'Emma (UK, female)' },
  { id: 'bf_isabella', label: 'Isabella (UK, female)' },
  { id: 'bm_george', label: 'George (UK, male)' },
  { id: 'bm_lewis', label: 'Lewis (UK, male)' },
];
