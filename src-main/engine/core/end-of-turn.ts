import type { EngineConfig } from '../../shared/config';

/**
 * How the end of an always-listening turn is decided, from the settings and whether the Smart
 * Turn model is loaded. Pure: the turn controller asks it whenever either changes.
 */
export type EndOfTurnRule =
  /** Silence alone ends the turn after `silenceMs`. */
  | { kind: 'silence'; silenceMs: number }
  /**
   * After `askAfterMs` of silence the model hears the turn; a probability ≥ `completeAt` ends it
   * there. Silence alone ends it after `maxSilenceMs` (no verdict, or only "incomplete" ones).
   */
  | { kind: 'model'; askAfterMs: number; maxSilenceMs: number; completeAt: number };

/** Patient waits this much longer than Smart, and ends early only on a confident verdict. */
const PATIENT_SILENCE_FACTOR = 1.5;
const PATIENT_COMPLETE_AT = 0.7;
/** Smart Turn's own decision threshold (pipecat: probability > 0.5 = complete). */
const SMART_COMPLETE_AT = 0.5;

export function endOfTurnRule(config: Pick<EngineConfig, 'turn' | 'vad'>, modelAvailable: boolean): EndOfTurnRule {
  const { endOfTurn, smartPauseMs, smartMaxSilenceMs } = config.turn;
  if (endOfTurn === 'fast' || !modelAvailable) return { kind: 'silence', silenceMs: config.vad.endOfTurnSilenceMs };
  const patient = endOfTurn === 'patient';
  const maxSilenceMs = Math.round(smartMaxSilenceMs * (patient ? PATIENT_SILENCE_FACTOR : 1));
  return {
    kind: 'model',
    askAfterMs: Math.min(smartPauseMs, maxSilenceMs),
    maxSilenceMs,
    completeAt: patient ? PATIENT_COMPLETE_AT : SMART_COMPLETE_AT,
  };
}

/** The silence after which the endpointer ends a turn by itself under `rule`. */
export function silenceThatEndsTurn(rule: EndOfTurnRule): number {
  return rule.kind === 'silence' ? rule.silenceMs : rule.maxSilenceMs;
}
