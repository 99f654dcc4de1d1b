import type { LlmStage, SpeechStages, SttStage, TtsStage, TurnStage, VadStage } from '../../engine/stages/contracts';

/**
 * Dev and bench instruments wrap stages through their contracts: each wrapper implements the
 * contract, forwards every member to the stage it wraps, and replaces only the run method it
 * observes. Nothing reaches into a live object. Disposing a wrapper disposes the stage it wraps
 * (whoever owns the wrapper owns that stage).
 */
export interface StageOverrides {
  vad?: (inner: VadStage) => Pick<VadStage, 'probability'>;
  stt?: (inner: SttStage) => Pick<SttStage, 'transcribe'>;
  llm?: (inner: LlmStage) => Pick<LlmStage, 'respond'>;
  tts?: (inner: TtsStage) => Pick<TtsStage, 'synthesize'>;
  turn?: (inner: TurnStage) => Pick<TurnStage, 'classify'>;
}

export function decorateVad(inner: VadStage, { probability }: Pick<VadStage, 'probability'>): VadStage {
  return {
    get backend() {
      return inner.backend;
    },
    warm: () => inner.warm(),
    dispose: () => inner.dispose(),
    reset: () => inner.reset(),
    probability,
  };
}

export function decorateStt(inner: SttStage, { transcribe }: Pick<SttStage, 'transcribe'>): SttStage {
  return {
    get backend() {
      return inner.backend;
    },
    warm: () => inner.warm(),
    dispose: () => inner.dispose(),
    transcribe,
  };
}

export function decorateLlm(inner: LlmStage, { respond }: Pick<LlmStage, 'respond'>): LlmStage {
  const prefill = inner.prefill;
  const hold = inner.hold;
  return {
    get backend() {
      return inner.backend;
    },
    warm: () => inner.warm(),
    dispose: () => inner.dispose(),
    respond,
    commit: (user, assistantSpoken, interrupted) => inner.commit(user, assistantSpoken, interrupted),
    restore: (turns) => inner.restore(turns),
    clear: () => inner.clear(),
    setSystemPrompt: (text) => inner.setSystemPrompt(text),
    ...(prefill ? { prefill: (text: string, options: { signal?: AbortSignal }) => prefill.call(inner, text, options) } : {}),
    ...(hold ? { hold: () => hold.call(inner) } : {}),
  };
}

export function decorateTts(inner: TtsStage, { synthesize }: Pick<TtsStage, 'synthesize'>): TtsStage {
  return {
    get backend() {
      return inner.backend;
    },
    get busy() {
      return inner.busy;
    },
    warm: () => inner.warm(),
    dispose: () => inner.dispose(),
    synthesize,
  };
}

export function decorateTurn(inner: TurnStage, { classify }: Pick<TurnStage, 'classify'>): TurnStage {
  return {
    get backend() {
      return inner.backend;
    },
    warm: () => inner.warm(),
    dispose: () => inner.dispose(),
    classify,
  };
}

/** The stage set with the given run methods replaced (the others are the stages themselves). */
export function decorateStages(stages: SpeechStages, overrides: StageOverrides): SpeechStages {
  const { vad, stt, llm, tts, turn } = stages;
  return {
    vad: overrides.vad ? decorateVad(vad, overrides.vad(vad)) : vad,
    stt: overrides.stt ? decorateStt(stt, overrides.stt(stt)) : stt,
    llm: overrides.llm ? decorateLlm(llm, overrides.llm(llm)) : llm,
    tts: overrides.tts ? decorateTts(tts, overrides.tts(tts)) : tts,
    ...(turn ? { turn: overrides.turn ? decorateTurn(turn, overrides.turn(turn)) : turn } : {}),
  };
}
