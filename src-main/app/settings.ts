import path from 'node:path';
import { z } from 'zod';
import type { EngineConfigInput, EngineConfigPatch } from '../engine/config';
import { DEFAULT_APP_SETTINGS, type AppSettings } from '../../src-renderer/src/bridge-types';
import type { WindowBounds } from '../window-options';
import { DEFAULT_WINDOW_BOUNDS } from '../window-options';
import { AppSettingsSchema } from './ipc-schemas';
import { JsonStore } from './json-store';

/** Files the app keeps in its user-data folder. */
export function userDataPaths(userData: string) {
  return {
    settings: path.join(userData, 'settings.json'),
    windowState: path.join(userData, 'window-state.json'),
    journal: path.join(userData, 'conversation.jsonl'),
    models: path.join(userData, 'models'),
  };
}

export function openSettingsStore(file: string, onProblem?: (message: string) => void): JsonStore<AppSettings> {
  return new JsonStore<AppSettings>(file, AppSettingsSchema, DEFAULT_APP_SETTINGS, onProblem);
}

const WindowBoundsSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(200).max(16384),
  height: z.number().int().min(200).max(16384),
}) satisfies z.ZodType<WindowBounds>;

export function openWindowStateStore(file: string): JsonStore<WindowBounds> {
  return new JsonStore<WindowBounds>(file, WindowBoundsSchema, DEFAULT_WINDOW_BOUNDS);
}

/** The engine configuration sections that the app settings control. */
export function engineConfigFromSettings(settings: AppSettings): EngineConfigPatch & EngineConfigInput {
  return {
    turn: { mode: settings.mode },
    tts: { voice: settings.voice, speed: settings.speed },
    vad: { endOfTurnSilenceMs: settings.endOfTurnSilenceMs },
    stt: { threads: settings.threads, gpu: settings.gpu },
    llm: {
      threads: settings.threads,
      gpu: settings.gpu ? 'auto' : 'off',
      ...(settings.systemPrompt.trim() ? { systemPrompt: settings.systemPrompt } : {}),
    },
  };
}
