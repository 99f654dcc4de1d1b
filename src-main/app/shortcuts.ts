import { globalShortcut } from 'electron';
import { z } from 'zod';
import type { ShortcutAction } from '../shared/bridge-types';
import { JsonStore } from './json-store';

/**
 * Global shortcuts (work while another app has focus). Electron's globalShortcut reports key
 * presses only, never releases, so the global push-to-talk key is a toggle: press to start a
 * turn, press again to end it. Hold-to-talk (key down = talk, key up = end of turn) works inside
 * the window through the renderer's keydown/keyup. A system-wide hold-to-talk needs a key hook
 * such as uiohook-napi, which is not part of this build.
 */
export const ShortcutSettingsSchema = z.object({
  /** Toggle push-to-talk (first press = ptt-down, second = ptt-up) / always-listening start-stop. */
  toggleListen: z.string().min(1).max(64),
  mute: z.string().min(1).max(64),
});
export type ShortcutSettings = z.output<typeof ShortcutSettingsSchema>;

export const DEFAULT_SHORTCUTS: ShortcutSettings = {
  toggleListen: 'CommandOrControl+Shift+Space',
  mute: 'CommandOrControl+Shift+M',
};

export function openShortcutStore(file: string, onProblem?: (message: string) => void): JsonStore<ShortcutSettings> {
  return new JsonStore(file, ShortcutSettingsSchema, DEFAULT_SHORTCUTS, onProblem);
}

/** Turns global key presses into shortcut actions; push-to-talk alternates down/up. */
export class PushToTalkToggle {
  private held = false;
  press(): ShortcutAction {
    this.held = !this.held;
    return this.held ? 'ptt-down' : 'ptt-up';
  }
  reset(): void {
    this.held = false;
  }
}

/** Registers the shortcuts; returns the accelerators that could not be registered (taken by another app). */
export function registerShortcuts(
  settings: ShortcutSettings,
  dispatch: (action: ShortcutAction | 'toggle-ptt') => void,
): string[] {
  const failed: string[] = [];
  const bind = (accelerator: string, action: ShortcutAction | 'toggle-ptt'): void => {
    try {
      if (!globalShortcut.register(accelerator, () => dispatch(action))) failed.push(accelerator);
    } catch {
      failed.push(accelerator);
    }
  };
  bind(settings.toggleListen, 'toggle-ptt');
  bind(settings.mute, 'mute');
  return failed;
}

export function unregisterShortcuts(): void {
  globalShortcut.unregisterAll();
}
