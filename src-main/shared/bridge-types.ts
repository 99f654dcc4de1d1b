/**
 * The contract between the Electron preload (contextBridge) and the renderer: `window.murmur`.
 * No DOM or Electron types here, so preload, main and tests can import it.
 *
 * Engine connection: `connectEngine()` asks main for a MessagePort to the engine process; preload
 * posts it into the page with `window.postMessage({ type: 'murmur:engine-port' }, '*', [port])`.
 * Whenever the engine process is restarted, preload posts a fresh port the same way.
 * On the port: renderer → engine = `EngineCommand` objects (audio samples transferred);
 * engine → renderer = `EngineEvent` or `HostNotice` objects, bare or wrapped as `{ kind: 'event', event }`.
 */
import type { ListenMode } from './events';
import type { TtsDevice } from './tts-devices';

export type ThemeSetting = 'system' | 'light' | 'dark';

export interface AppSettings {
  theme: ThemeSetting;
  /** '' = system default. */
  inputDeviceId: string;
  outputDeviceId: string;
  mode: ListenMode;
  /** Kokoro voice id, e.g. "af_heart". */
  voice: string;
  speed: number;
  systemPrompt: string;
  /**
   * How Murmur knows you have finished: `smart` listens to how you spoke (the Smart Turn model) and
   * waits through a mid-sentence pause; `patient` waits longer still; `fast` answers after
   * `endOfTurnSilenceMs` of silence.
   */
  endOfTurn: EndOfTurnSetting;
  endOfTurnSilenceMs: number;
  /** Threads for speech-to-text and the language model; 'auto' = the measured plan for this machine's cores. */
  threads: ThreadsSetting;
  /** Let the chat model and Whisper use a GPU; defaults to whether one was detected. */
  gpu: boolean;
  /** onnxruntime execution provider for Kokoro; anything but the CPU falls back to it when it cannot start. */
  ttsDevice: TtsDevice;
  /** Kokoro ONNX precision; 'auto' = the CPU-friendliest installed file (fp32 first). */
  ttsDtype: TtsDtypeSetting;
  /** The user listens on headphones: no echo to guard against, so the engine's echo guard is off. */
  headphones: boolean;
}

export type ThreadsSetting = 'auto' | number;
export type EndOfTurnSetting = 'fast' | 'smart' | 'patient';
export type TtsDtypeSetting = 'auto' | 'fp32' | 'fp16' | 'q8';

export type ShortcutAction = 'ptt-down' | 'ptt-up' | 'toggle-listen' | 'mute';

export interface ModelInfo {
  id: string;
  stage: 'vad' | 'stt' | 'llm' | 'tts' | 'turn';
  /** Human name, e.g. "Whisper base.en". */
  name: string;
  sizeBytes: number;
  installed: boolean;
  /** Needed before the assistant can run (drives the first-run screen). The end-of-turn model is wanted, not required: without it turns end on silence. */
  required: boolean;
  /** Currently selected for its stage. */
  active?: boolean;
}

export interface DownloadFileProgress {
  id: string;
  file: string;
  bytes: number;
  total: number;
}

export interface DownloadProgress {
  files: DownloadFileProgress[];
  totalBytes: number;
  doneBytes: number;
  /** Set once every file is complete. */
  done?: boolean;
  /** Set when the download failed; a message the user can act on. */
  error?: string;
}

/** What main detected about this machine, and the model set it chose from that (first-run screen). */
export interface HardwareInfo {
  gpu: boolean;
  cores: number;
  gpuName?: string;
  platform: string;
  arch: string;
  modelSet: { gpu: boolean; reason: string };
}

export interface MurmurBridge {
  platform: string;
  connectEngine(): Promise<void>;
  settings: {
    get(): Promise<AppSettings>;
    set(patch: Partial<AppSettings>): Promise<AppSettings>;
  };
  hardware(): Promise<HardwareInfo>;
  onShortcut(cb: (action: ShortcutAction) => void): () => void;
  models: {
    list(): Promise<ModelInfo[]>;
    /** Downloads the given models (all missing required ones when omitted); progress via onProgress. */
    download(ids?: string[]): Promise<void>;
    cancelDownload(): Promise<void>;
    remove(id: string): Promise<void>;
    onProgress(cb: (progress: DownloadProgress) => void): () => void;
  };
}

export const ENGINE_PORT_MESSAGE = 'murmur:engine-port';

/**
 * Web mode: the page asks the server (`npm run serve`), which owns the settings and is the only
 * sender of engine configuration there, as main is in the desktop app.
 */
export type AppSocketRequest = { type: 'app_settings_get' } | { type: 'app_settings_set'; patch: Partial<AppSettings> };
export type AppSocketReply = { type: 'app_settings'; settings: AppSettings; hardware: HardwareInfo } | { type: 'app_settings_error'; error: string };

/**
 * The settings a new user starts with. Hardware decides the GPU default (main detects it; see
 * src-main/app/engine-config.ts, which re-exports this as the one definition); threads start on
 * the measured automatic plan and Kokoro on the CPU, where it always works.
 */
export function defaultAppSettings(hw: { gpu: boolean }): AppSettings {
  return {
    theme: 'system',
    inputDeviceId: '',
    outputDeviceId: '',
    mode: 'always-listening',
    voice: 'af_heart',
    speed: 1,
    systemPrompt: '',
    endOfTurn: 'smart',
    endOfTurnSilenceMs: 300,
    threads: 'auto',
    gpu: hw.gpu,
    ttsDevice: 'cpu',
    ttsDtype: 'auto',
    headphones: false,
  };
}
