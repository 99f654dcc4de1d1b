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
import type { ListenMode } from '../../src-main/engine/events';

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
  endOfTurnSilenceMs: number;
  /** Threads for speech-to-text and the language model. */
  threads: number;
  gpu: boolean;
}

export type ShortcutAction = 'ptt-down' | 'ptt-up' | 'toggle-listen' | 'mute';

export interface ModelInfo {
  id: string;
  stage: 'vad' | 'stt' | 'llm' | 'tts';
  /** Human name, e.g. "Whisper base.en". */
  name: string;
  sizeBytes: number;
  installed: boolean;
  /** Needed before the assistant can run (drives the first-run screen). */
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

export interface MurmurBridge {
  platform: string;
  connectEngine(): Promise<void>;
  settings: {
    get(): Promise<AppSettings>;
    set(patch: Partial<AppSettings>): Promise<AppSettings>;
  };
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

export const DEFAULT_APP_SETTINGS: AppSettings = {
  theme: 'system',
  inputDeviceId: '',
  outputDeviceId: '',
  mode: 'always-listening',
  voice: 'af_heart',
  speed: 1,
  systemPrompt: '',
  endOfTurnSilenceMs: 300,
  threads: 2,
  gpu: true,
};
