import { useMemo, type ReactElement } from 'react';
import { tracesOf, useUi } from '../store';
import type { TurnTrace } from '../../../src-main/shared/events';
import {
  axisDomain,
  barGeometry,
  formatMs,
  markOffsets,
  positionPct,
  sessionSummary,
  toChromeTrace,
  voiceToVoiceMs,
  HELD_STAGE,
  TURN_MODEL_STAGE,
  WATERFALL_STAGES,
  type AxisDomain,
} from '../latency-math';
import { DownloadIcon } from './icons';

/** Most recent turns shown in the waterfall. */
const MAX_ROWS = 14;

function download(filename: string, value: unknown): void {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

function WaterfallRow({ trace, domain }: { trace: TurnTrace; domain: AxisDomain }): ReactElement {
  const bars = barGeometry(trace, domain);
  const v2v = voiceToVoiceMs(trace);
  const details = [
    `Turn ${trace.turn}${trace.interrupted ? ' (interrupted)' : ''}`,
    trace.user ? `“${trace.user.slice(0, 80)}”` : '',
    ...bars.map((b) => `${b.label}: ${formatMs(b.durationMs)} (${formatMs(b.startMs)} → ${formatMs(b.endMs)})`),
    '— marks (ms from end of speech) —',
    ...markOffsets(trace).map((m) => `${m.mark}: ${Math.round(m.ms)}`),
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <li className="wf-row" data-testid="waterfall-turn" data-turn={trace.turn} data-v2v={v2v?.toFixed(1)} title={details} tabIndex={0} aria-label={details}>
      <div className="wf-label">
        <span className="wf-turn">#{trace.turn}</span>
        <span className={trace.interrupted ? 'wf-v2v interrupted' : 'wf-v2v'}>{formatMs(v2v)}</span>
      </div>
      <div className="wf-track">
        {bars.map((b, i) => (
          <span
            key={`${b.key}-${i}`}
            data-duration={b.durationMs.toFixed(1)}
            className={`wf-bar stage-${b.key}${b.beforeOrigin ? ' early' : ''}`}
            style={{ left: `${b.leftPct}%`, width: `max(${b.widthPct}%, 2px)` }}
            title={`${b.label}: ${formatMs(b.durationMs)}\nfrom ${formatMs(b.startMs)} to ${formatMs(b.endMs)} after end of speech`}
          />
        ))}
      </div>
    </li>
  );
}

function Waterfall({ traces }: { traces: TurnTrace[] }): ReactElement {
  const rows = traces.slice(-MAX_ROWS);
  const domain = useMemo(() => axisDomain(rows), [rows]);
  return (
    <div className="waterfall">
      <div className="wf-axis" aria-hidden="true">
        <div className="wf-label" />
        <div className="wf-track">
          {domain.ticks.map((t) => (
            <span key={t} className="wf-tick" style={{ left: `${positionPct(t, domain)}%` }}>
              {t === 0 ? '0' : t < 0 ? `−${Math.abs(t)}` : t}
            </span>
          ))}
        </div>
      </div>
      <div className="wf-body">
        <div className="wf-grid" aria-hidden="true">
          {domain.ticks.map((t) => (
            <span key={t} className={t === 0 ? 'wf-gridline zero' : 'wf-gridline'} style={{ left: `${positionPct(t, domain)}%` }} />
          ))}
        </div>
        <ol className="wf-rows">
          {rows.map((trace) => (
            <WaterfallRow key={trace.turn} trace={trace} domain={domain} />
          ))}
        </ol>
      </div>
      <div className="wf-axis-caption">
        ms after the end of your speech (typed: after the send). Each row is what you waited for, in order: its parts add up to the time before you heard the reply.
      </div>
      <ul className="wf-legend">
        {[...WATERFALL_STAGES, HELD_STAGE, TURN_MODEL_STAGE].map((s) => (
          <li key={s.key}>
            <span className={`swatch stage-${s.key}`} aria-hidden="true" />
            {s.label}
          </li>
        ))}
        <li>
          <span className="swatch interrupted" aria-hidden="true" />
          Interrupted turn (its time in orange)
        </li>
      </ul>
    </div>
  );
}

function Summary({ traces }: { traces: TurnTrace[] }): ReactElement {
  const rows = useMemo(() => sessionSummary(traces), [traces]);
  const v2v = rows[0];
  return (
    <div className="summary">
      <div className="headline">
        <div className="headline-main">
          <span className="headline-label">Voice-to-voice · median</span>
          <span className="headline-value">
            <span data-testid="voice-to-voice-p50">{v2v?.p50 !== undefined ? Math.round(v2v.p50) : '—'}</span>
            <span className="unit">ms</span>
          </span>
        </div>
        <dl className="headline-side">
          <div>
            <dt>p95</dt>
            <dd>{formatMs(v2v?.p95)}</dd>
          </div>
          <div>
            <dt>p99</dt>
            <dd>{formatMs(v2v?.p99)}</dd>
          </div>
          <div>
            <dt>turns</dt>
            <dd>{v2v?.n ?? 0}</dd>
          </div>
        </dl>
      </div>
      <table className="stage-table">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">p50</th>
            <th scope="col">p95</th>
            <th scope="col">p99</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(1).map((r) => (
            <tr key={r.key}>
              <th scope="row">
                <span className={`swatch stage-${r.key}`} aria-hidden="true" />
                {r.label}
              </th>
              <td>{formatMs(r.p50)}</td>
              <td>{formatMs(r.p95)}</td>
              <td>{formatMs(r.p99)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LatencyPanel(): ReactElement {
  const turns = useUi((s) => s.turns);
  const backends = useUi((s) => s.backends);
  const traces = useMemo(() => tracesOf({ turns }), [turns]);
  return (
    <section className="card latency-card" aria-labelledby="latency-title">
      <div className="card-header">
        <h2 id="latency-title">Latency</h2>
        <div className="card-actions">
          <button
            type="button"
            className="button subtle small"
            disabled={traces.length === 0}
            data-testid="export-json"
            title="Downloads the latency traces, with what you and Murmur said in each turn"
            onClick={() => download(`murmur-trace-${stamp()}.json`, { app: 'Murmur', exportedAt: new Date().toISOString(), backends, traces })}
          >
            <DownloadIcon width={15} height={15} /> JSON
          </button>
          <button
            type="button"
            className="button subtle small"
            disabled={traces.length === 0}
            data-testid="export-chrome-trace"
            title="Chrome trace format (open in Perfetto or chrome://tracing), with what you and Murmur said in each turn"
            onClick={() => download(`murmur-chrome-trace-${stamp()}.json`, toChromeTrace(traces))}
          >
            <DownloadIcon width={15} height={15} /> Chrome trace
          </button>
        </div>
      </div>
      <Summary traces={traces} />
      {traces.length === 0 ? (
        <p className="placeholder">Each answered turn adds a row here: where the time went between the end of your speech and the first sound of the reply.</p>
      ) : (
        <Waterfall traces={traces} />
      )}
    </section>
  );
}
