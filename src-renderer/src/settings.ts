import type { EngineConfigPatch } from '../../src-main/engine/config';
import { DEFAULT_APP_SETTINGS, type AppSettings, type MurmurBridge } from './bridge-types';

/** Settings persistence: the bridge in Electron, localStorage in web/demo mode. */
export interface SettingsStore {
  load(): Promise<AppSettings>;
  save(patch: Partial<AppSettings>): Promise<AppSettings>;
}

const STORAGE_KEY = 'murmur.settings.v1';

export function normalizeSettings(value: unknown): AppSettings {
  const input = value && typeof value === 'object' ? (value as Partial<AppSettings>) : {};
  const s = { ...DEFAULT_APP_SETTINGS, ...input };
  return {
    theme: s.theme === 'light' || s.theme === 'dark' ? s.theme : 'system',
    inputDeviceId: typeof s.inputDeviceId === 'string' ? s.inputDeviceId : '',
    outputDeviceId: typeof s.outputDeviceId === 'string' ? s.outputDeviceId : '',
    mode: s.mode === 'push-to-talk' ? 'push-to-talk' : 'always-listening',
    voice: typeof s.voice === 'string' && s.voice ? s.voice : DEFAULT_APP_SETTINGS.voice,
    speed: clamp(Number(s.speed), 0.5, 2, DEFAULT_APP_SETTINGS.speed),
    systemPrompt: typeof s.systemPrompt === 'string' ? s.systemPrompt.slice(0, 4000) : '',
    endOfTurnSilenceMs: Math.round(clamp(Number(s.endOfTurnSilenceMs), 100, 5000, DEFAULT_APP_SETTINGS.endOfTurnSilenceMs)),
    threads: Math.round(clamp(Number(s.threads), 1, 64, DEFAULT_APP_SETTINGS.threads)),
    gpu: typeof s.gpu === 'boolean' ? s.gpu : DEFAULT_APP_SETTINGS.gpu,
  };
}

function clamp(v: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

/** The engine part of the settings as a `configure` patch (an empty system prompt keeps the engine's default). */
export function settingsToConfigPatch(s: AppSettings): EngineConfigPatch {
  return {
    tts: { voice: s.voice, speed: s.speed },
    vad: { endOfTurnSilenceMs: s.endOfTurnSilenceMs },
    stt: { threads: s.threads, gpu: s.gpu },
    llm: { threads: s.threads, gpu: s.gpu ? 'auto' : 'off', ...(s.systemPrompt.trim() ? { systemPrompt: s.systemPrompt } : {}) },
    turn: { mode: s.mode },
  };
}

export function bridgeSettings(bridge: MurmurBridge): SettingsStore {
  return {
    load: async () => normalizeSettings(await bridge.settings.get()),
    save: async (patch) => normalizeSettings(await bridge.settings.set(patch)),
  };
}

export function localSettings(storage: Storage): SettingsStore {
  const read = (): AppSettings => {
    try {
      return normalizeSettings(JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}'));
    } catch {
      return normalizeSettings({});
    }
  };
  return {
    load: async () => read(),
    save: async (patch) => {
      const next = normalizeSettings({ ...read(), ...patch });
      storage.setItem(STORAGE_KEY, JSON.stringify(next));
      return next;
    },
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
