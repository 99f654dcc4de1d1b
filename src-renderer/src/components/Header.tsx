import type { ReactElement } from 'react';
import { useUi } from '../store';
import type { TurnPhase } from '../../../src-main/engine/events';
import { useController } from './controller-context';
import { GearIcon, LogoMark, MicIcon, MicOffIcon, MonitorIcon, MoonIcon, SunIcon } from './icons';

const PHASE_LABEL: Record<TurnPhase, string> = {
  listening: 'Listening',
  hearing: 'Hearing you',
  thinking: 'Thinking',
  speaking: 'Speaking',
  muted: 'Muted',
};

/** What the status pill says: the transport and engine state win over the turn phase. */
export function useStatus(): { key: string; label: string } {
  const link = useUi((s) => s.link);
  const engineState = useUi((s) => s.engineState);
  const phase = useUi((s) => s.phase);
  const muted = useUi((s) => s.muted);
  const mode = useUi((s) => s.mode);
  const ptt = useUi((s) => s.pttPressed);
  if (link === 'connecting') return { key: 'connecting', label: 'Connecting…' };
  if (link === 'closed') return { key: 'offline', label: 'Engine offline' };
  if (engineState === 'loading' || engineState === 'idle') return { key: 'loading', label: 'Loading models…' };
  if (engineState === 'warming') return { key: 'loading', label: 'Warming up…' };
  if (engineState === 'error') return { key: 'offline', label: 'Engine error' };
  if (muted) return { key: 'muted', label: 'Muted' };
  if (phase === 'listening' && mode === 'push-to-talk') {
    return ptt ? { key: 'hearing', label: 'Recording' } : { key: 'idle', label: 'Hold Space to talk' };
  }
  return { key: phase, label: PHASE_LABEL[phase] };
}

export function StatePill(): ReactElement {
  const status = useStatus();
  return (
    <div className={`state-pill state-${status.key}`} role="status" aria-live="polite" data-testid="state-indicator">
      <span className="state-dot" aria-hidden="true" />
      <span className="state-label">{status.label}</span>
    </div>
  );
}

export function LevelMeter(): ReactElement {
  const rms = useUi((s) => s.level.rms);
  const peak = useUi((s) => s.level.peak);
  const muted = useUi((s) => s.muted);
  // Perceptual scale: dBFS -60..0 → 0..1.
  const toUnit = (v: number): number => Math.max(0, Math.min(1, (20 * Math.log10(Math.max(v, 1e-6)) + 60) / 60));
  const level = muted ? 0 : toUnit(rms * 2);
  const bars = 10;
  const lit = Math.round(level * bars);
  return (
    <div
      className="level-meter"
      role="meter"
      aria-label="Microphone level"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(level * 100)}
      data-testid="mic-level"
      title={`Mic level ${Math.round(level * 100)}% (peak ${Math.round(toUnit(peak) * 100)}%)`}
    >
      {Array.from({ length: bars }, (_, i) => (
        <span key={i} className={i < lit ? (i >= 8 ? 'on hot' : 'on') : ''} />
      ))}
    </div>
  );
}

export function ModeToggle(): ReactElement {
  const controller = useController();
  const mode = useUi((s) => s.mode);
  const always = mode === 'always-listening';
  return (
    <button
      type="button"
      role="switch"
      aria-checked={always}
      aria-label="Always listening"
      className="segmented"
      data-testid="mode-toggle"
      data-mode={mode}
      onClick={() => controller.toggleMode()}
      title="Switch between push-to-talk and always listening"
    >
      <span className={!always ? 'seg active' : 'seg'}>Push to talk</span>
      <span className={always ? 'seg active' : 'seg'}>Always listening</span>
    </button>
  );
}

export function MuteButton(): ReactElement {
  const controller = useController();
  const muted = useUi((s) => s.muted);
  return (
    <button
      type="button"
      className={muted ? 'icon-button danger' : 'icon-button'}
      aria-pressed={muted}
      aria-label={muted ? 'Unmute microphone' : 'Mute microphone'}
      title={muted ? 'Unmute microphone' : 'Mute microphone'}
      data-testid="mute-toggle"
      onClick={() => controller.toggleMute()}
    >
      {muted ? <MicOffIcon /> : <MicIcon />}
    </button>
  );
}

export function ThemeToggle(): ReactElement {
  const controller = useController();
  const theme = useUi((s) => s.settings.theme);
  const next = theme === 'system' ? 'light' : theme === 'light' ? 'dark' : 'system';
  const Icon = theme === 'light' ? SunIcon : theme === 'dark' ? MoonIcon : MonitorIcon;
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={`Theme: ${theme}. Switch to ${next}`}
      title={`Theme: ${theme}`}
      data-testid="theme-toggle"
      onClick={() => void controller.updateSettings({ theme: next }, false)}
    >
      <Icon />
    </button>
  );
}

export function Header({ onOpenSettings }: { onOpenSettings(): void }): ReactElement {
  return (
    <header className="app-header">
      <div className="brand">
        <LogoMark />
        <span className="brand-name">Murmur</span>
      </div>
      <StatePill />
      <div className="header-actions">
        <LevelMeter />
        <ModeToggle />
        <MuteButton />
        <span className="divider" aria-hidden="true" />
        <ThemeToggle />
        <button type="button" className="icon-button" aria-label="Settings" title="Settings" data-testid="settings-open" onClick={onOpenSettings}>
          <GearIcon />
        </button>
      </div>
    </header>
  );
}
