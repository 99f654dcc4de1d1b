import type { EngineConfigInput } from '../engine/config';
import { planThreads } from '../engine/threads';
import { DEFAULT_APP_SETTINGS, type AppSettings } from '../../src-renderer/src/bridge-types';

/**
 * What the app runs on a given machine: its default settings and the engine configuration built
 * from settings. The app and the benchmark both go through here, so the bench measures what a
 * user's machine runs. No electron import: the engine hosts and the CLIs use it too.
 */
export interface HardwareProfile {
  gpu: boolean;
  /** Logical cores the engine may use. */
  cores: number;
}

/** Settings a fresh install starts with on this hardware. */
export function defaultAppSettings(hw: HardwareProfile): AppSettings {
  return { ...DEFAULT_APP_SETTINGS, gpu: hw.gpu, threads: planThreads(hw.cores).stt };
}

/**
 * The engine configuration sections the settings control. Threads come from the per-stage thread
 * plan for `hw.cores` unless the user changed the "Threads" setting from its default, which then
 * applies to speech-to-text and the language model.
 */
export function engineConfigFromSettings(settings: AppSettings, hw: HardwareProfile): EngineConfigInput {
  const plan = planThreads(hw.cores);
  const userThreads = settings.threads !== defaultAppSettings(hw).threads ? settings.threads : undefined;
  return {
    turn: { mode: settings.mode },
    tts: { voice: settings.voice, speed: settings.speed, threads: plan.tts },
    vad: { endOfTurnSilenceMs: settings.endOfTurnSilenceMs, threads: plan.vad },
    stt: { threads: userThreads ?? plan.stt, gpu: settings.gpu },
    llm: {
      threads: userThreads ?? plan.llm,
      gpu: settings.gpu ? 'auto' : 'off',
      ...(settings.systemPrompt.trim() ? { systemPrompt: settings.systemPrompt } : {}),
    },
  };
}
