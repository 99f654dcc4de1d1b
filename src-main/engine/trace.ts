import type { EngineEvent, TraceMark, TurnDurations, TurnTrace } from './events';

/**
 * Builds per-turn latency traces by observing engine events; never called by the stages.
 * `observe` every event; a finished turn's trace is handed to `onTrace` at `turn_done`.
 */
export class TurnTracer {
  private readonly open = new Map<number, TurnTrace>();

  constructor(private readonly onTrace: (trace: TurnTrace) => void) {}

  observe(event: EngineEvent): void {
    if (!('turn' in event) || event.turn === undefined) return;
    const trace = this.traceFor(event.turn);
    switch (event.type) {
      case 'stt_partial':
        trace.partials.push(event.t);
        return;
      case 'stt_final':
        trace.user = event.text;
        break;
      case 'speech_start':
      case 'speech_end':
      case 'eot_confirmed':
      case 'llm_request':
      case 'llm_first_token':
      case 'first_unit_ready':
      case 'tts_first_audio':
      case 'playback_start':
      case 'llm_done':
      case 'tts_done':
      case 'barge_in':
      case 'cancelled':
        break;
      case 'turn_done':
        trace.user = event.user;
        trace.assistant = event.assistant;
        trace.interrupted = event.interrupted;
        break;
      default:
        return;
    }
    const mark = event.type as TraceMark | 'barge_in' | 'cancelled';
    // speech_end is re-reported when the user resumes after a pause: keep the latest one.
    if (trace.marks[mark] === undefined || mark === 'speech_end') trace.marks[mark] = event.t;
    if (event.type === 'turn_done') {
      trace.durations = durationsOf(trace.marks);
      this.open.delete(event.turn);
      this.onTrace(trace);
    }
  }

  /** A late `playback_start` (reported after turn_done) still completes the finished trace. */
  private traceFor(turn: number): TurnTrace {
    let trace = this.open.get(turn);
    if (!trace) {
      trace = { turn, marks: {}, partials: [], user: '', assistant: '', interrupted: false, durations: {} };
      this.open.set(turn, trace);
    }
    return trace;
  }
}

export function durationsOf(marks: TurnTrace['marks']): TurnDurations {
  const span = (from: TraceMark, to: TraceMark): number | undefined => {
    const a = marks[from];
    const b = marks[to];
    return a === undefined || b === undefined ? undefined : round(b - a);
  };
  const replyStart = marks.playback_start ?? marks.tts_first_audio;
  return {
    voiceToVoice: marks.speech_end === undefined || replyStart === undefined ? undefined : round(replyStart - marks.speech_end),
    endOfTurnWait: span('speech_end', 'eot_confirmed'),
    stt: span('speech_end', 'stt_final'),
    llmFirstToken: span('llm_request', 'llm_first_token'),
    firstUnit: span('llm_first_token', 'first_unit_ready'),
    ttsFirstAudio: span('first_unit_ready', 'tts_first_audio'),
    playbackStart: span('tts_first_audio', 'playback_start'),
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Nearest-rank percentile of a sample (p in 0..100); undefined for an empty sample. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}
