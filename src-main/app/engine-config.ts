import { defaultAppSettings as defaultAppSettingsFor, type AppSettings } from '../shared/bridge-types';
import { resolveConfig, type EngineConfigInput, type EngineConfigPatch } from '../shared/config';
import { planThreads } from '../engine/stages/threads';

/**
 * The one place where app settings become engine configuration. Pure (no electron, no I/O), so
 * the desktop app, web mode, the CLIs and the bench all run exactly what a user's settings say.
 */

export interface HardwareProfile {
  /** A GPU that node-llama-cpp can use (CUDA, Metal or Vulkan) was found. */
  gpu: boolean;
  /** Logical cores. */
  cores: number;
  /** What was found, for people: e.g. "CUDA", "Metal", "Vulkan". */
  gpuName?: string;
}

/** The settings a new user starts with on this hardware (defined beside the AppSettings type, which the page shares). */
export function defaultAppSettings(hw: HardwareProfile): AppSettings {
  return defaultAppSettingsFor(hw);
}

const DEFAULT_SYSTEM_PROMPT = resolveConfig().llm.systemPrompt;

/**
 * Engine configuration for `settings` on `hw`. Threads "automatic" is the measured per-stage plan
 * for `hw.cores` (threads.ts); a number the user typed sets speech recognition and the language
 * model, the TTS keeps its planned share. Every key the settings control is always present, so
 * the result works both as a start-up config and as a `configure` patch (an emptied system prompt
 * restores the default instead of keeping the old one).
 */
export function engineConfigFromSettings(settings: AppSettings, hw: HardwareProfile): EngineConfigInput & EngineConfigPatch {
  const plan = planThreads(hw.cores);
  const typed = settings.threads === 'auto' ? undefined : settings.threads;
  return {
    models: { ttsDtype: settings.ttsDtype },
    turn: { mode: settings.mode, endOfTurn: settings.endOfTurn },
    vad: { endOfTurnSilenceMs: settings.endOfTurnSilenceMs },
    stt: { threads: typed ?? plan.stt, gpu: settings.gpu },
    llm: {
      threads: typed ?? plan.llm,
      gpu: settings.gpu ? 'auto' : 'off',
      systemPrompt: settings.systemPrompt.trim() ? settings.systemPrompt : DEFAULT_SYSTEM_PROMPT,
    },
    tts: { voice: settings.voice, speed: settings.speed, device: settings.ttsDevice, threads: plan.tts },
    echo: { enabled: !settings.headphones },
  };
}

/** Which model set (models/manifest.json `defaultFor`) fits `hw`, and why, in words for the first-run screen. */
export function modelSetFor(hw: HardwareProfile): { gpu: boolean; reason: string } {
  if (hw.gpu) {
    return {
      gpu: true,
      reason: `${hw.gpuName ?? 'A supported GPU'} found: the GPU set, with the larger chat model (Qwen2.5 1.5B) running on it.`,
    };
  }
  return {
    gpu: false,
    reason: `No supported GPU found (CUDA, Metal or Vulkan): the CPU set, with the smaller chat model (Qwen2.5 0.5B) that answers quickly on ${hw.cores} CPU cores.`,
  };
}
