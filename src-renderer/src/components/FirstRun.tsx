import type { ReactElement } from 'react';
import { useUi } from '../store';
import { useController } from './controller-context';
import { DownloadProgressView } from './Progress';
import { formatBytes } from './format';
import { LogoMark } from './icons';

/** True when required models are missing (or being fetched): the app shows the first-run screen. */
export function useNeedsFirstRun(): boolean {
  const models = useUi((s) => s.models);
  return models.some((m) => m.required && !m.installed);
}

export function FirstRun(): ReactElement {
  const controller = useController();
  const models = useUi((s) => s.models);
  const download = useUi((s) => s.download);
  const hardware = useUi((s) => s.hardware);
  const missing = models.filter((m) => m.required && !m.installed);
  const bytes = missing.reduce((a, m) => a + m.sizeBytes, 0);
  const active = download && !download.done && !download.error;
  return (
    <main className="first-run" data-testid="first-run">
      <div className="first-run-card card">
        <LogoMark width={44} height={44} />
        <h1>Welcome to Murmur</h1>
        <p className="lead">
          Murmur listens, thinks and speaks entirely on this computer. It needs a few models first
          ({formatBytes(bytes)}). They are downloaded once and never leave your machine.
        </p>
        {hardware && (
          <p className="model-set-reason" data-testid="model-set-reason">
            {hardware.modelSet.reason}
          </p>
        )}
        <ul className="model-chips">
          {missing.map((m) => (
            <li key={m.id}>
              <span className="chip-stage">{m.stage.toUpperCase()}</span> {m.name}
              <span className="muted-text"> · {formatBytes(m.sizeBytes)}</span>
            </li>
          ))}
        </ul>
        <p className="fine" data-testid="offline-copy">
          No internet on this computer? On one that has it, run <code>npm run models -- download default</code> (or
          download here), then copy its <code>models</code> folder into Murmur's models folder on this one and restart
          Murmur.
        </p>
                {download && <DownloadProgressView progress={download} />}
        <div className="first-run-actions">
          {active ? (
            <button type="button" className="button" onClick={() => void controller.cancelDownload()}>
              Cancel
            </button>
          ) : (
            <button type="button" className="button primary" data-testid="download-models" onClick={() => void controller.downloadModels()}>
              {download?.error ? 'Retry download' : 'Download models'}
            </button>
          )}
        </div>
      </div>
    </main>
  );
}
