import path from 'node:path';
import { z } from 'zod';
import type { AppSettings } from '../shared/bridge-types';
import type { WindowBounds } from '../window-options';
import { DEFAULT_WINDOW_BOUNDS } from '../window-options';
import { defaultAppSettings, type HardwareProfile } from './engine-config';
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

/**
 * A settings.json from before the hardware-aware defaults (it has no `ttsDevice`) stored the old
 * default of 2 threads whether or not the user chose it; that number overrode the measured plan,
 * so it becomes "automatic". Any other number was a choice and stays.
 */
export function upgradeSettings(stored: Record<string, unknown>): Record<string, unknown> {
  if (!('ttsDevice' in stored) && stored.threads === 2) return { ...stored, threads: 'auto' };
  return stored;
}

/** settings.json; a missing file or missing keys take the defaults for `hw`. */
export function openSettingsStore(file: string, hw: HardwareProfile, onProblem?: (message: string) => void): JsonStore<AppSettings> {
  return new JsonStore<AppSettings>(file, AppSettingsSchema, defaultAppSettings(hw), onProblem, upgradeSettings);
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
