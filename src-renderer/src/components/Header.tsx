import type { ReactElement } from 'react';
import { useUi, type AudioStatus } from '../store';
import type { TurnPhase } from '../../../src-main/shared/events';
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
  const audio = useUi((s) => s.audio);
  if (link === 'connecting') return { key: 'connecting', label: 'Connecting…' };
  if (link === 'closed') return { key: 'offline', label: 'Engine offline' };
  if (engineState === 'loading' || engineState === 'idle') return { key: 'loading', label: 'Loading models…' };
  // A standby engine taking over after a crash passes through `standby` on its way to ready.
  if (engineState === 'warming' || engineState === 'standby') return { key: 'loading', label: 'Warming up…' };
  if (engineState === 'error') return { key: 'offline', label: 'Engine error' };
  if (muted) return { key: 'muted', label: 'Muted' };
  // Never "Listening" while the browser keeps the microphone or the speaker from working; but a
  // typed turn is still answered without a microphone, and the pill says so while it is.
  const blocked = audioBlock(audio);
  const answering = phase === 'thinking' || phase === 'speaking';
  if (blocked && !(answering && audio?.output !== 'blocked')) return blocked;
  if (phase === 'listening' && mode === 'push-to-talk') {
    return ptt ? { key: 'hearing', label: 'Recording' } : { key: 'idle', label: 'Hold Space to talk' };
  }
  return { key: phase, label: PHASE_LABEL[phase] };
}

/** The status when the browser holds audio back, if it does. */
export function audioBlock(audio: AudioStatus | undefined): { key: string; label: string } | undefined {
  if (!audio) return undefined;
  if (audio.output === 'blocked' || audio.input === 'blocked') return { key: 'blocked', label: 'Click to start audio' };
  if (audio.input === 'starting') return { key: 'blocked', label: 'Waiting for microphone access…' };
  if (audio.input === 'denied') return { key: 'offline', label: 'Microphone blocked' };
  if (audio.input === 'failed') return { key: 'offline', label: 'No microphone' };
  return undefined;
}

/**
 * A full-width call to action while the browser holds audio back: one click anywhere starts it
 * (App listens for the gesture); the button makes that obvious.
 */
export function AudioGate(): ReactElement | null {
  const controller = useController();
  const audio = useUi((s) => s.audio);
  if (!audio || (audio.output !== 'blocked' && audio.input !== 'blocked')) return null;
  return (
    <div className="audio-gate" role="alert" data-testid="audio-gate">
      <span>Your browser keeps the microphone and the speaker off until you interact with the page.</span>
      <button type="button" className="button primary" data-testid="start-audio" onClick={() => void controller.startAudio()}>
        Click to start audio
      </button>
    </div>
  );
}

/** Whether the assistant can hear itself: the echo-protection state, in the header. */
export function EchoStatus(): ReactElement | null {
  const audio = useUi((s) => s.audio);
  const headphones = useUi((s) => s.settings.headphones);
  if (headphones) {
    return (
      <span className="echo-chip" data-testid="echo-status" data-state="headphones" title="You use headphones: the echo guard is off (Settings → Audio).">
        Headphones
      </span>
    );
  }
  if (!audio || audio.echo === 'pending') return null;
  const ok = audio.echo === 'protected';
  return (
    <span
      className={ok ? 'echo-chip ok' : 'echo-chip warn'}
      data-testid="echo-status"
      data-state={audio.echo}
      title={
        ok
          ? 'Replies play through the echo-cancelling route, so the assistant does not hear itself on speakers.'
          : `Echo cancellation is not active: ${audio.echoDetail ?? 'unknown reason'}. On speakers the assistant may hear itself; headphones avoid that.`
      }
    >
      {ok ? 'Speaker mode: protected' : 'Use headphones'}
    </span>
  );
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
      onClick={() => void controller.updateSettings({ theme: next })}
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
        <EchoStatus />
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
