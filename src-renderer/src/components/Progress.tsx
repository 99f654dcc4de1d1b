import type { ReactElement } from 'react';
import type { DownloadProgress } from '../../../src-main/shared/bridge-types';
import { formatBytes, fraction } from './format';

export function ProgressBar({ value, label }: { value: number; label: string }): ReactElement {
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(value * 100)}>
      <span style={{ width: `${value * 100}%` }} />
    </div>
  );
}

export function DownloadProgressView({ progress }: { progress: DownloadProgress }): ReactElement {
  const total = fraction(progress.doneBytes, progress.totalBytes);
  return (
    <div className="download" data-testid="download-progress">
      <div className="download-total">
        <div className="row-between">
          <strong>{progress.done ? 'All models ready' : 'Downloading models'}</strong>
          <span className="muted-text">
            {formatBytes(progress.doneBytes)} of {formatBytes(progress.totalBytes)} · {Math.round(total * 100)}%
          </span>
        </div>
        <ProgressBar value={total} label="Total download progress" />
      </div>
      <ul className="download-files">
        {progress.files.map((f) => {
          const v = fraction(f.bytes, f.total);
          return (
            <li key={`${f.id}/${f.file}`}>
              <div className="row-between">
                <span className="file-name" title={f.file}>
                  {f.file}
                </span>
                <span className="muted-text">{v >= 1 ? 'Done' : `${formatBytes(f.bytes)} / ${formatBytes(f.total)}`}</span>
              </div>
              <ProgressBar value={v} label={`${f.file} progress`} />
            </li>
          );
        })}
      </ul>
      {progress.error && <p className="error-text">{progress.error}</p>}
    </div>
  );
}
