import { roundMs } from '../../shared/stats';
import { TRACE_MARKS, type EngineEvent, type TraceMark, type TurnDurations, type TurnTrace } from '../../shared/events';

const MAX_CLOSED = 256;

/** Events that open or mark a turn's trace. */
const TRACED = new Set<EngineEvent['type']>([
  ...TRACE_MARKS,
  'stt_partial',
  'turn_verdict',
  'barge_in',
  'cancelled',
  'answer_paused',
  'answer_resumed',
]);

/**
 * Builds per-turn latency traces by observing engine events; never called by the stages.
 * `observe` every event; a finished turn's trace is handed to `onTrace` at `turn_done`.
 */
export class TurnTracer {
  private readonly open = new Map<number, TurnTrace>();
  /** Turns whose trace is closed (bounded): a late event for one never reopens it. */
  private readonly closed = new Set<number>();

  constructor(private readonly onTrace: (trace: TurnTrace) => void) {}

  /** Traces opened and not yet closed (a leak shows here). */
  get openCount(): number {
    return this.open.size;
  }

  observe(event: EngineEvent): void {
    if (!('turn' in event) || event.turn === undefined) return;
    if (this.closed.has(event.turn)) return;
    if (event.type === 'turn_abandoned') {
      // The turn was dropped (mute, mode change): its trace closes without a report.
      this.close(event.turn);
      return;
    }
    if (event.type === 'speculation_discarded') {
      // The answer started for this turn was thrown away and the turn goes on: its marks start
      // over from the user's speech (the partials stay: they are the same utterance).
      const trace = this.open.get(event.turn);
      if (trace) trace.marks = trace.marks.speech_start === undefined ? {} : { speech_start: trace.marks.speech_start };
      return;
    }
    if (!TRACED.has(event.type)) return;
    const trace = this.traceFor(event.turn);
    switch (event.type) {
      case 'stt_partial':
        trace.partials.push(event.t);
        return;
      case 'turn_verdict':
        (trace.verdicts ??= []).push({ t: event.t, probability: event.probability, complete: event.complete, ms: event.ms });
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
      case 'answer_paused':
      case 'answer_resumed':
        break;
      case 'turn_done':
        trace.user = event.user;
        trace.assistant = event.assistant;
        trace.interrupted = event.interrupted;
        break;
      default:
        return;
    }
    const mark = event.type as keyof TurnTrace['marks'];
    // speech_end is re-reported when the user resumes after a pause: keep the latest one.
    if (trace.marks[mark] === undefined || mark === 'speech_end') trace.marks[mark] = event.t;
    if (event.type === 'turn_done') {
      trace.durations = durationsOf(trace.marks);
      this.close(event.turn);
      this.onTrace(trace);
    }
  }

  private close(turn: number): void {
    this.open.delete(turn);
    this.closed.add(turn);
    if (this.closed.size > MAX_CLOSED) {
      const oldest = this.closed.values().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  /**
   * The trace of a turn that is finishing, as it will close (with its turn_done mark, words and
   * durations), without closing it: the journal keeps it with the turn, written before turn_done.
   */
  finishing(turn: number, done: { t: number; user: string; assistant: string; interrupted: boolean }): TurnTrace | undefined {
    const open = this.open.get(turn);
    if (!open) return undefined;
    const marks = { ...open.marks, turn_done: open.marks.turn_done ?? done.t };
    return { ...open, partials: [...open.partials], ...(open.verdicts ? { verdicts: [...open.verdicts] } : {}), marks, user: done.user, assistant: done.assistant, interrupted: done.interrupted, durations: durationsOf(marks) };
  }

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
    return a === undefined || b === undefined ? undefined : roundMs(b - a);
  };
  const replyStart = marks.playback_start ?? marks.tts_first_audio;
  return {
    voiceToVoice: marks.speech_end === undefined || replyStart === undefined ? undefined : roundMs(replyStart - marks.speech_end),
    endOfTurnWait: span('speech_end', 'eot_confirmed'),
    stt: span('speech_end', 'stt_final'),
    llmFirstToken: span('llm_request', 'llm_first_token'),
    firstUnit: span('llm_first_token', 'first_unit_ready'),
    ttsFirstAudio: span('first_unit_ready', 'tts_first_audio'),
    playbackStart: span('tts_first_audio', 'playback_start'),
  };
}
