import type { SpeechStages, SttStage, TtsStage, TurnStage } from '../../engine/stages/contracts';
import { resample } from '../../audio/wav';
import { INPUT_SAMPLE_RATE, OUTPUT_SAMPLE_RATE } from '../../shared/config';
import type { ModelSetName } from '../cli/model-sets';
import { decorateStt, decorateTts, decorateTurn } from '../dev/stage-decorators';

/**
 * Dev model sets only. The stand-in STT says random words and the stand-in TTS speaks noise; for a
 * scenario the runner keeps every model call (and its cost) and swaps only what they produce:
 * - STT: the reference words of the user's speech the transcribed audio actually holds. The audio
 *   is located on the microphone signal the runner fed (its energy envelope), and a word counts as
 *   in it when its share of its clip's voiced stretch is centred inside. So a word the engine cut
 *   off, dropped or never transcribed is missing from the transcripts, as it would be with Whisper.
 *   (Echo that leaks into a transcription yields no words here; with Whisper it can.)
 * - TTS: slices of real speech of the synthesized length (the scenario's `assistant_voice`), so the
 *   echo the room sends back is speech, as it is with Kokoro.
 */

/** A user word on the microphone's sample clock (its centre). */
export interface PlacedWord {
  word: string;
  at: number;
}

/** What the runner fed the microphone so far, and where the user's words are in it. */
export interface MicRecord {
  /** Samples fed so far (16 kHz). */
  readonly fed: number;
  /** Energy (dB) per `hop` samples of what was fed. */
  readonly energyDb: readonly number[];
  readonly hop: number;
  /** The words of every clip placed so far. */
  readonly words: readonly PlacedWord[];
  /** Where each placed clip's speech starts and ends (samples). */
  readonly speech: ReadonlyArray<{ start: number; end: number }>;
}

const FLOOR_DB = -80;

export function energyDbOf(samples: Float32Array, from: number, hop: number): number {
  let e = 0;
  for (let i = from; i < from + hop; i++) e += (samples[i] ?? 0) ** 2;
  return Math.max(FLOOR_DB, 10 * Math.log10(e / hop + 1e-12));
}

/**
 * Where `audio` lies on the microphone's clock: the start (in samples) whose energy envelope
 * correlates best with the audio's, among starts that end it before what has been fed so far.
 */
export function locate(audio: Float32Array, mic: MicRecord): number | undefined {
  const hop = mic.hop;
  const k = Math.floor(audio.length / hop);
  if (k < 2) return undefined;
  const a: number[] = [];
  for (let i = 0; i < k; i++) a.push(energyDbOf(audio, i * hop, hop));
  const aMean = a.reduce((s, v) => s + v, 0) / k;
  const aDev = a.map((v) => v - aMean);
  const aNorm = Math.sqrt(aDev.reduce((s, v) => s + v * v, 0));
  if (aNorm < 1e-6) return undefined; // a flat signal (silence): nothing to place, no words in it
  const m = mic.energyDb;
  const lastStart = Math.min(m.length, Math.floor(mic.fed / hop)) - k;
  let best: { start: number; score: number } | undefined;
  for (let s = Math.max(0, lastStart - Math.ceil((60 * INPUT_SAMPLE_RATE) / hop)); s <= lastStart; s++) {
    let mean = 0;
    for (let i = 0; i < k; i++) mean += m[s + i] ?? FLOOR_DB;
    mean /= k;
    let dot = 0;
    let norm = 0;
    for (let i = 0; i < k; i++) {
      const d = (m[s + i] ?? FLOOR_DB) - mean;
      dot += d * (aDev[i] ?? 0);
      norm += d * d;
    }
    const score = norm > 0 ? dot / (Math.sqrt(norm) * aNorm) : 0;
    // Ties (a repeated sound) go to the latest start: the engine transcribes what it just heard.
    if (!best || score >= best.score) best = { start: s, score };
  }
  return best ? best.start * hop : undefined;
}

/** The user's words centred in `audio`, in order ('' for audio that holds none). */
export function wordsIn(audio: Float32Array, mic: MicRecord): string {
  const start = locate(audio, mic);
  if (start === undefined) return '';
  const end = start + audio.length;
  return mic.words
    .filter((w) => w.at >= start && w.at < end)
    .sort((x, y) => x.at - y.at)
    .map((w) => w.word)
    .join(' ');
}

export function scenarioStt(inner: SttStage, mic: MicRecord): SttStage {
  return decorateStt(inner, {
    async transcribe(audio, options) {
      // Located when the call starts: the audio is a copy the engine made of what it heard.
      const words = wordsIn(audio, mic);
      await inner.transcribe(audio, options);
      return { text: words };
    },
  });
}

/** Real speech in the stand-in TTS's place: consecutive slices of `voice` (16 kHz), each the length the stand-in synthesized. */
export function assistantVoiceTts(inner: TtsStage, voice: Float32Array, outputRate: number): TtsStage {
  const speech = resample(voice, INPUT_SAMPLE_RATE, outputRate);
  let cursor = 0;
  return decorateTts(inner, {
    async synthesize(text, options) {
      const synthesized = await inner.synthesize(text, options);
      const out = new Float32Array(synthesized.length);
      for (let i = 0; i < out.length; i++) {
        out[i] = speech[cursor] ?? 0;
        cursor = (cursor + 1) % speech.length;
      }
      return out;
    },
  });
}

/**
 * The scenario's end-of-turn oracle (the stand-in model's verdicts mean nothing): "complete" when
 * no clip's speech is under way on the microphone, "incomplete" inside one. The stand-in network
 * still runs at full cost; its own verdict is discarded.
 */
export function scenarioTurnOracle(inner: TurnStage, mic: MicRecord): TurnStage {
  return decorateTurn(inner, {
    classify: async (audio, options) => {
      const { ms } = await inner.classify(audio, options);
      const speaking = mic.speech.some((s) => s.start <= mic.fed && mic.fed < s.end);
      return { probability: speaking ? 0 : 1, ms };
    },
  });
}

export function withScenarioAdapters(stages: SpeechStages, mic: MicRecord, voice: Float32Array | undefined, outputRate: number): SpeechStages {
  return {
    ...stages,
    stt: scenarioStt(stages.stt, mic),
    tts: voice ? assistantVoiceTts(stages.tts, voice, outputRate) : stages.tts,
    ...(stages.turn ? { turn: scenarioTurnOracle(stages.turn, mic) } : {}),
  };
}

/**
 * The stages a scenario runs on: a dev model set hears the scenario's words and speaks its
 * assistant voice; `standin-real` also answers with real chat replies (../shared/replies). The
 * default (real) models run as they are.
 */
export async function scenarioStages(stages: SpeechStages, modelSet: ModelSetName, mic: MicRecord, voice: Float32Array | undefined): Promise<SpeechStages> {
  if (modelSet === 'default') return stages;
  let out = withScenarioAdapters(stages, mic, voice, OUTPUT_SAMPLE_RATE);
  if (modelSet === 'standin-real') {
    const { realisticLlm, defaultRealisticText } = await import('../dev/standins/text-adapters');
    out = { ...out, llm: realisticLlm(out.llm, defaultRealisticText()) };
  }
  return out;
}
