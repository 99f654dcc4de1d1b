import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { AppController } from './controller';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html is missing <div id="root">');

const controller = new AppController(new URLSearchParams(window.location.search));
createRoot(root).render(
  <StrictMode>
    <App controller={controller} />
  </StrictMode>,
);
controller.start().catch((err: unknown) => {
  console.error('[murmur] failed to start', err);
});
window.addEventListener('beforeunload', () => void controller.dispose());
