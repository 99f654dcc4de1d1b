import { useCallback, useEffect, useState, type ReactElement } from 'react';
import { useUi } from './store';
import type { AppController } from './controller';
import { ControllerContext } from './components/controller-context';
import { AudioGate, Header } from './components/Header';
import { Notices } from './components/Notices';
import { Composer, Conversation, useSpaceToTalk } from './components/Conversation';
import { LatencyPanel } from './components/LatencyPanel';
import { SettingsDrawer } from './components/Settings';
import { FirstRun, useNeedsFirstRun } from './components/FirstRun';

/** Applies the theme setting (system follows prefers-color-scheme live). */
function useTheme(): void {
  const theme = useUi((s) => s.settings.theme);
  useEffect(() => {
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const apply = (): void => {
      const dark = theme === 'dark' || (theme === 'system' && media.matches);
      document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    };
    apply();
    media.addEventListener('change', apply);
    return () => media.removeEventListener('change', apply);
  }, [theme]);
}

function Shell(): ReactElement {
  const [settingsOpen, setSettingsOpen] = useState(false);
  const closeSettings = useCallback(() => setSettingsOpen(false), []);
  const firstRun = useNeedsFirstRun();
  useTheme();
  useSpaceToTalk();
  return (
    <div className="app">
      <Header onOpenSettings={() => setSettingsOpen(true)} />
      <AudioGate />
      <Notices />
      {firstRun ? (
        <FirstRun />
      ) : (
        <main className="layout">
          <section className="card conversation-card" aria-label="Conversation">
            <Conversation />
            <Composer />
          </section>
          <LatencyPanel />
        </main>
      )}
      <SettingsDrawer open={settingsOpen} onClose={closeSettings} />
    </div>
  );
}

export function App({ controller }: { controller: AppController }): ReactElement {
  useEffect(() => {
    // Audio may only start after a user gesture in browsers; retry on each until it runs.
    const gesture = (): void => void controller.startAudio();
    window.addEventListener('pointerdown', gesture);
    window.addEventListener('keydown', gesture);
    return () => {
      window.removeEventListener('pointerdown', gesture);
      window.removeEventListener('keydown', gesture);
    };
  }, [controller]);
  return (
    <ControllerContext.Provider value={controller}>
      <Shell />
    </ControllerContext.Provider>
  );
}
