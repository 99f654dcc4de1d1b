import type { ReactElement } from 'react';
import { useUi, uiStore } from '../store';
import { CloseIcon } from './icons';

export function Notices(): ReactElement | null {
  const notices = useUi((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="assertive">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid={`notice-${n.key}`}>
          <span>{n.text}</span>
          <button type="button" className="icon-button small" aria-label="Dismiss" onClick={() => uiStore.getState().dismiss(n.key)}>
            <CloseIcon width={15} height={15} />
          </button>
        </div>
      ))}
    </div>
  );
}
