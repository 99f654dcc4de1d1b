import path from 'node:path';
import type { EngineConfigInput } from '../../shared/config';
import type { ModelSetName } from './model-sets';
import type { CliEngineInit } from './model-sets';

/** Flags every engine-hosting CLI shares (talk, serve, bench, soak). */
export const ENGINE_FLAG_OPTIONS = {
  models: { type: 'string', default: 'default' },
  'stt-model': { type: 'string' },
  'llm-model': { type: 'string' },
  'tts-model': { type: 'string' },
  voice: { type: 'string' },
  eot: { type: 'string' },
  'end-of-turn': { type: 'string' },
  threads: { type: 'string' },
  'first-unit-words': { type: 'string' },
  'max-tokens': { type: 'string' },
  'no-speculative': { type: 'boolean', default: false },
  journal: { type: 'string' },
} as const;

export interface EngineFlags {
  models?: string;
  'stt-model'?: string;
  'llm-model'?: string;
  'tts-model'?: string;
  voice?: string;
  eot?: string;
  'end-of-turn'?: string;
  threads?: string;
  'first-unit-words'?: string;
  'max-tokens'?: string;
  'no-speculative'?: boolean;
  journal?: string;
}

const MODEL_SETS: readonly ModelSetName[] = ['standin', 'standin-real', 'default'];

/** The engine init the flags describe; resolve its model set with `resolveInit` (model-sets.ts). */
export function engineInitFromFlags(flags: EngineFlags, base: EngineConfigInput = {}): CliEngineInit {
  const modelSet = (flags.models ?? 'default') as ModelSetName;
  if (!MODEL_SETS.includes(modelSet)) {
    throw new Error(`--models must be one of ${MODEL_SETS.join(', ')} (got "${flags.models}")`);
  }
  const abs = (file: string | undefined): string => (file ? path.resolve(file) : '');
  const config: EngineConfigInput = {
    ...base,
    models: { ...base.models, stt: abs(flags['stt-model']), llm: abs(flags['llm-model']), tts: abs(flags['tts-model']) },
  };
  if (flags.voice) config.tts = { ...config.tts, voice: flags.voice };
  if (flags.eot) config.vad = { ...config.vad, endOfTurnSilenceMs: positiveInt(flags.eot, '--eot') };
  if (flags['end-of-turn']) {
    const policy = flags['end-of-turn'];
    if (policy !== 'fast' && policy !== 'smart' && policy !== 'patient') throw new Error(`--end-of-turn must be fast, smart or patient (got "${policy}")`);
    config.turn = { ...config.turn, endOfTurn: policy };
  }
  if (flags['first-unit-words']) {
    // "min,max" e.g. --first-unit-words 2,4
    const [min, max] = flags['first-unit-words'].split(',').map((v) => positiveInt(v, '--first-unit-words'));
    config.chunker = { ...config.chunker, firstUnitMinWords: min, firstUnitMaxWords: max ?? min };
  }
  if (flags['max-tokens']) config.llm = { ...config.llm, maxTokens: positiveInt(flags['max-tokens'], '--max-tokens') };
  if (flags['no-speculative']) config.turn = { ...config.turn, speculative: false };
  if (flags.threads) {
    // "stt,llm,tts" e.g. --threads 2,1,1
    const [stt, llm, tts] = flags.threads.split(',').map((v) => positiveInt(v, '--threads'));
    config.stt = { ...config.stt, threads: stt };
    config.llm = { ...config.llm, threads: llm ?? stt };
    config.tts = { ...config.tts, threads: tts ?? 1 };
  }
  return { config, modelSet, journalPath: flags.journal ? path.resolve(flags.journal) : undefined };
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects a positive integer (got "${value}")`);
  return n;
}
