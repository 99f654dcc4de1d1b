import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { useUi } from '../store';
import type { AppSettings, TtsDtypeSetting } from '../../../src-main/shared/bridge-types';
import type { TtsDevice } from '../../../src-main/shared/tts-devices';
import { ttsDevicesFor } from '../../../src-main/shared/tts-devices';
import { VOICES } from '../settings';
import { useController } from './controller-context';
import { DownloadProgressView } from './Progress';
import { formatBytes } from './format';
import { CloseIcon, DownloadIcon, TrashIcon } from './icons';

function useDevices(kind: MediaDeviceKind, open: boolean): MediaDeviceInfo[] {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    if (!open || !navigator.mediaDevices?.enumerateDevices) return;
    let alive = true;
    const load = (): void =>
      void navigator.mediaDevices.enumerateDevices().then((all) => {
        if (alive) setDevices(all.filter((d) => d.kind === kind && d.deviceId !== 'default' && d.deviceId !== ''));
      });
    load();
    navigator.mediaDevices.addEventListener('devicechange', load);
    return () => {
      alive = false;
      navigator.mediaDevices.removeEventListener('devicechange', load);
    };
  }, [kind, open]);
  return devices;
}

function Field({ label, hint, children, htmlFor }: { label: string; hint?: string; children: ReactNode; htmlFor: string }): ReactElement {
  return (
    <div className="field">
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }): ReactElement {
  return (
    <section className="settings-section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function ModelsSection(): ReactElement {
  const controller = useController();
  const models = useUi((s) => s.models);
  const download = useUi((s) => s.download);
  const backends = useUi((s) => s.backends);
  const manage = controller.canManageModels;
  return (
    <Section title="Models">
      {backends && (
        <dl className="backends">
          {Object.entries(backends).map(([stage, b]) => (
            <div key={stage}>
              <dt>{stage.toUpperCase()}</dt>
              <dd>
                {b.detail}
                <span className="muted-text">
                  {' '}
                  · {b.device}
                  {b.threads ? ` · ${b.threads} threads` : ''}
                </span>
              </dd>
            </div>
          ))}
        </dl>
      )}
      {models.length > 0 ? (
        <ul className="model-list">
          {models.map((m) => (
            <li key={m.id}>
              <div>
                <div className="model-name">
                  {m.name} {m.active && <span className="badge ok">In use</span>}
                </div>
                <div className="muted-text">
                  {m.stage.toUpperCase()} · {formatBytes(m.sizeBytes)} · {m.installed ? 'Installed' : 'Not installed'}
                </div>
              </div>
              {manage &&
                (m.installed ? (
                  <button type="button" className="icon-button" aria-label={`Delete ${m.name}`} title="Delete" disabled={m.active} onClick={() => void controller.removeModel(m.id)}>
                    <TrashIcon />
                  </button>
                ) : (
                  <button type="button" className="icon-button" aria-label={`Download ${m.name}`} title="Download" onClick={() => void controller.downloadModels([m.id])}>
                    <DownloadIcon />
                  </button>
                ))}
            </li>
          ))}
        </ul>
      ) : (
        <p className="hint">
          {manage ? 'No model information from the app yet.' : 'In the browser, models are managed from the terminal: npm run models.'}
        </p>
      )}
      {download && !download.done && <DownloadProgressView progress={download} />}
    </Section>
  );
}

const DEVICE_LABEL: Record<TtsDevice, string> = {
  cpu: 'CPU',
  auto: 'Automatic (GPU if it starts, else CPU)',
  cuda: 'CUDA (NVIDIA)',
  dml: 'DirectML (any Windows GPU)',
  coreml: 'CoreML (Apple)',
};

const DTYPE_LABEL: Record<TtsDtypeSetting, string> = {
  auto: 'Automatic (fp32 when installed)',
  fp32: 'fp32 · 326 MB · fastest on CPUs',
  fp16: 'fp16 · 163 MB',
  q8: 'q8 · 92 MB · slower on CPUs',
};

/** The platform whose execution providers Settings offers: main's in Electron, else the browser's guess. */
function usePlatform(): { platform: string; arch: string } {
  const hardware = useUi((s) => s.hardware);
  if (hardware) return { platform: hardware.platform, arch: hardware.arch };
  const p = navigator.platform.toLowerCase();
  if (p.startsWith('win')) return { platform: 'win32', arch: 'x64' };
  if (p.startsWith('mac')) return { platform: 'darwin', arch: 'arm64' };
  return { platform: 'linux', arch: p.includes('aarch64') || p.includes('arm') ? 'arm64' : 'x64' };
}

/** A slider's value is saved when the pointer lets go of it, a key that moved it is released, or it loses focus. */
function commitOnRelease(commit: () => unknown): { onPointerUp(): void; onKeyUp(): void; onBlur(): void } {
  return { onPointerUp: () => void commit(), onKeyUp: () => void commit(), onBlur: () => void commit() };
}

/** A modal dialog keeps Tab and Shift+Tab inside it: from the last control to the first and back. */
function trapFocus(e: KeyboardEvent, dialog: HTMLElement | null): void {
  if (!dialog) return;
  const focusable = [...dialog.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')].filter(
    (el) => !el.hasAttribute('disabled') && el.offsetParent !== null,
  );
  const first = focusable[0];
  const last = focusable.at(-1);
  if (!first || !last) return;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !dialog.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !dialog.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

/** The engine's config paths as the controls that set them are labelled here. */
const PATH_LABELS: Readonly<Record<string, string>> = {
  'models.ttsDtype': 'Voice model precision',
  'tts.device': 'Voice engine device',
  'tts.voice': 'Voice',
  'tts.speed': 'Speaking speed',
  'llm.systemPrompt': 'System prompt',
  'vad.endOfTurnSilenceMs': 'End-of-turn silence',
  'turn.endOfTurn': 'End of turn',
  'echo.enabled': 'I use headphones',
  'turn.mode': 'Listening mode',
  'llm.gpu': 'Use the GPU',
  'stt.gpu': 'Use the GPU',
  'vad.threads': 'Threads',
  'stt.threads': 'Threads',
  'llm.threads': 'Threads',
  'tts.threads': 'Threads',
};
const labelsOf = (paths: readonly string[]): string => [...new Set(paths.map((p) => PATH_LABELS[p] ?? p))].join(', ');

/** What the engine did with the last change (its `config_applied` event). */
function ConfigStatus(): ReactElement | null {
  const status = useUi((s) => s.configApplied);
  if (!status) return null;
  const parts: string[] = [];
  if (status.applied.length) parts.push(`Applied now: ${labelsOf(status.applied)}.`);
  if (status.reloaded.length) parts.push(`Reloaded: ${status.reloaded.map((s) => s.toUpperCase()).join(', ')}.`);
  if (status.restartRequired.length) parts.push(`Restart Murmur (or, in a browser, npm run serve) to apply: ${labelsOf(status.restartRequired)}.`);
  for (const rejected of status.rejected ?? []) parts.push(`Not applied, kept as before: ${labelsOf(rejected.paths)} (${rejected.reason}).`);
  if (parts.length === 0) return null;
  const problem = status.restartRequired.length > 0 || (status.rejected?.length ?? 0) > 0;
  return (
    <p className={problem ? 'config-status restart' : 'config-status'} role="status" data-testid="config-status">
      {parts.join(' ')}
    </p>
  );
}

export function SettingsDrawer({ open, onClose }: { open: boolean; onClose(): void }): ReactElement | null {
  const controller = useController();
  const settings = useUi((s) => s.settings);
  const inputs = useDevices('audioinput', open);
  const outputs = useDevices('audiooutput', open);
  const hardware = useUi((s) => s.hardware);
  const ttsBackend = useUi((s) => s.backends?.tts);
  const { platform, arch } = usePlatform();
  const ttsDevices = ttsDevicesFor(platform, arch);
  const [prompt, setPrompt] = useState(settings.systemPrompt);
  const closeButton = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(null);

  useEffect(() => setPrompt(settings.systemPrompt), [settings.systemPrompt]);
  // Sliders show every step but save once, when let go (each save reconfigures the engine).
  const [speed, setSpeed] = useState(settings.speed);
  const [eot, setEot] = useState(settings.endOfTurnSilenceMs);
  useEffect(() => setSpeed(settings.speed), [settings.speed]);
  useEffect(() => setEot(settings.endOfTurnSilenceMs), [settings.endOfTurnSilenceMs]);
  useEffect(() => {
    if (!open) return;
    opener.current = document.activeElement;
    closeButton.current?.focus();
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') onClose();
      if (e.key === 'Tab') trapFocus(e, dialog.current);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (opener.current instanceof HTMLElement) opener.current.focus();
    };
  }, [open, onClose]);

  if (!open) return null;
  const save = (patch: Partial<AppSettings>): void => void controller.updateSettings(patch);

  return (
    <div className="drawer-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="drawer" role="dialog" aria-modal="true" aria-labelledby="settings-title" data-testid="settings-panel" ref={dialog}>
        <div className="drawer-header">
          <h2 id="settings-title">Settings</h2>
          <button type="button" className="icon-button" aria-label="Close settings" ref={closeButton} onClick={onClose}>
            <CloseIcon />
          </button>
        </div>
        <div className="drawer-body">
          <ConfigStatus />
          <Section title="Audio">
            <Field label="Microphone" htmlFor="set-input">
              <select id="set-input" value={settings.inputDeviceId} onChange={(e) => save({ inputDeviceId: e.target.value })}>
                <option value="">System default</option>
                {inputs.map((d) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || 'Microphone'}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Speaker" htmlFor="set-output">
              <select id="set-output" value={settings.outputDeviceId} onChange={(e) => save({ outputDeviceId: e.target.value })}>
                <option value="">System default</option>
                {outputs.map((d) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || 'Speaker'}
                  </option>
                ))}
              </select>
            </Field>
            <label className="checkbox">
              <input type="checkbox" data-testid="set-headphones" checked={settings.headphones} onChange={(e) => save({ headphones: e.target.checked })} />
              I use headphones (the assistant cannot hear itself, so its echo guard is off)
            </label>
          </Section>

          <Section title="Voice">
            <Field label="Voice" htmlFor="set-voice">
              <select id="set-voice" value={settings.voice} onChange={(e) => save({ voice: e.target.value })}>
                {VOICES.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.label}
                  </option>
                ))}
                {!VOICES.some((v) => v.id === settings.voice) && <option value={settings.voice}>{settings.voice}</option>}
              </select>
            </Field>
            <Field label={`Speaking speed · ${speed.toFixed(2)}×`} htmlFor="set-speed">
              <input
                id="set-speed"
                type="range"
                min={0.5}
                max={2}
                step={0.05}
                value={speed}
                onChange={(e) => setSpeed(Number(e.target.value))}
                {...commitOnRelease(() => speed !== settings.speed && save({ speed }))}
              />
            </Field>
          </Section>

          <Section title="Conversation">
            <Field label="System prompt" htmlFor="set-prompt" hint="Leave empty for Murmur's default.">
              <textarea
                id="set-prompt"
                rows={4}
                value={prompt}
                maxLength={4000}
                placeholder="You are a helpful voice assistant…"
                onChange={(e) => setPrompt(e.target.value)}
                onBlur={() => prompt !== settings.systemPrompt && save({ systemPrompt: prompt })}
              />
            </Field>
            <Field
              label="End of turn"
              htmlFor="set-end-of-turn"
              hint={
                settings.endOfTurn === 'fast'
                  ? 'Answers after the silence below. Quickest, but a pause mid-sentence ends your turn.'
                  : settings.endOfTurn === 'smart'
                    ? 'Listens to how you spoke: a pause mid-sentence does not end your turn; a finished sentence is answered at once. Up to 2 s of silence.'
                    : 'Like Smart, waiting longer (up to 3 s) and answering early only when it is sure you have finished.'
              }
            >
              <select id="set-end-of-turn" data-testid="set-end-of-turn" value={settings.endOfTurn} onChange={(e) => save({ endOfTurn: e.target.value as AppSettings['endOfTurn'] })}>
                <option value="fast">Fast (silence only)</option>
                <option value="smart">Smart</option>
                <option value="patient">Patient</option>
              </select>
            </Field>
            <Field
              label={`End-of-turn silence · ${eot} ms`}
              htmlFor="set-eot"
              hint={
                settings.endOfTurn === 'fast'
                  ? 'How long you pause before Murmur answers. Shorter is snappier; longer interrupts you less.'
                  : 'Used by Fast, and by Smart or Patient when the end-of-turn model is not installed.'
              }
            >
              <input
                id="set-eot"
                type="range"
                min={100}
                max={1500}
                step={50}
                value={eot}
                onChange={(e) => setEot(Number(e.target.value))}
                {...commitOnRelease(() => eot !== settings.endOfTurnSilenceMs && save({ endOfTurnSilenceMs: eot }))}
              />
            </Field>
          </Section>

          <Section title="Performance">
            <Field
              label="Threads"
              htmlFor="set-threads"
              hint={`CPU threads for speech recognition and the language model. Automatic uses the measured plan for ${hardware ? `this machine's ${hardware.cores} cores` : "this machine's cores"}.`}
            >
              <select
                id="set-threads"
                data-testid="set-threads"
                value={String(settings.threads)}
                onChange={(e) => save({ threads: e.target.value === 'auto' ? 'auto' : Number(e.target.value) })}
              >
                <option value="auto">Automatic</option>
                {Array.from({ length: Math.max(hardware?.cores ?? 16, typeof settings.threads === 'number' ? settings.threads : 1) }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <label className="checkbox">
              <input type="checkbox" checked={settings.gpu} disabled={hardware !== undefined && !hardware.gpu} onChange={(e) => save({ gpu: e.target.checked })} />
              Use the GPU when available{hardware ? ` (${hardware.gpuName ?? 'none detected'})` : ''}
            </label>
            <Field
              label="Voice engine device"
              htmlFor="set-tts-device"
              hint={`Where Kokoro runs. A GPU choice that cannot start falls back to the CPU.${ttsBackend ? ` In use: ${ttsBackend.device.toUpperCase()}.` : ''}`}
            >
              <select id="set-tts-device" data-testid="set-tts-device" value={settings.ttsDevice} onChange={(e) => save({ ttsDevice: e.target.value as TtsDevice })}>
                {[...new Set([...ttsDevices, settings.ttsDevice])].map((d) => (
                  <option key={d} value={d}>
                    {DEVICE_LABEL[d]}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Voice model precision" htmlFor="set-tts-dtype" hint="fp32 is the fastest on CPUs; q8 is the smallest download but measured about 2× slower on CPUs.">
              <select id="set-tts-dtype" data-testid="set-tts-dtype" value={settings.ttsDtype} onChange={(e) => save({ ttsDtype: e.target.value as TtsDtypeSetting })}>
                {(Object.keys(DTYPE_LABEL) as TtsDtypeSetting[]).map((d) => (
                  <option key={d} value={d}>
                    {DTYPE_LABEL[d]}
                  </option>
                ))}
              </select>
            </Field>
          </Section>

          <ModelsSection />

          <Section title="Appearance">
            <div className="radio-row" role="radiogroup" aria-label="Theme">
              {(['system', 'light', 'dark'] as const).map((t) => (
                <label key={t} className={settings.theme === t ? 'radio active' : 'radio'}>
                  <input type="radio" name="theme" value={t} checked={settings.theme === t} onChange={() => void controller.updateSettings({ theme: t })} />
                  {t[0]?.toUpperCase()}
                  {t.slice(1)}
                </label>
              ))}
            </div>
          </Section>

          <Section title="Conversation history">
            <ClearConversation />
          </Section>
        </div>
      </div>
    </div>
  );
}

/** Clearing the conversation cannot be undone: the first click asks, a second within 5 s clears. */
function ClearConversation(): ReactElement {
  const controller = useController();
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    if (!asking) return;
    const timer = setTimeout(() => setAsking(false), 5000);
    return () => clearTimeout(timer);
  }, [asking]);
  return (
    <button
      type="button"
      className="button danger-outline"
      data-testid="clear-conversation"
      onClick={() => {
        if (!asking) return setAsking(true);
        setAsking(false);
        controller.clearHistory();
      }}
    >
      {asking ? 'Click again to delete the whole conversation' : 'Clear conversation'}
    </button>
  );
}
