import type { LlmStage, SpeechStages, SttStage } from '../../engine/engine';

/**
 * Stand-in models spend the real compute but say nothing meaningful: the whisper stand-in repeats
 * random vocabulary until max_tokens, and the Qwen-shaped stand-in's tokens render as "zz047554"
 * (its vocabulary is padded). Fed downstream unchanged, that text would make the LLM prompt and the
 * TTS input several times longer than a real conversation's. For `standin-real`, these adapters
 * keep every model call (and its cost) exactly as is and only swap the *text* for realistic
 * English of realistic length: ~2.5 words per second of user speech, and one reply token ≈ 4
 * characters of a typical spoken answer (Qwen's tokenizer averages ~1.3 tokens per English word).
 */
const USER_WORDS = (
  'hey can you tell me how long it takes to boil an egg so the yolk stays soft in the middle and ' +
  'what I should do if the shell cracks while it is cooking and whether salt in the water helps at all ' +
  'because my grandmother always said it does but I have never been sure'
).split(' ');

const REPLY =
  'Sure, about six minutes in boiling water gives a soft yolk. If the shell cracks, add a splash of vinegar ' +
  'and keep going. Salt does not change much, so skip it if you like. Cool the egg in cold water for a minute, ' +
  'then peel it from the wide end. Want me to set a timer for six minutes?';

/** The reply cut into pieces of roughly one token each (≈ 4 characters, words split when long). */
export const REPLY_PIECES: readonly string[] = REPLY.split(/(?= )/).flatMap((word) =>
  word.length <= 6 ? [word] : [word.slice(0, Math.ceil(word.length / 2)), word.slice(Math.ceil(word.length / 2))],
);

export function realisticTranscript(audioSamples: number, sampleRate = 16000): string {
  const words = Math.max(1, Math.round((audioSamples / sampleRate) * 2.5));
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(USER_WORDS[i % USER_WORDS.length] as string);
  const text = out.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '?';
}

function adaptStt(stt: SttStage): SttStage {
  return Object.assign(Object.create(stt) as SttStage, {
    transcribe: async (audio: Float32Array, options: Parameters<SttStage['transcribe']>[1]) => {
      const result = await stt.transcribe(audio, options);
      return { ...result, text: result.text ? realisticTranscript(audio.length) : '' };
    },
  });
}

function adaptLlm(llm: LlmStage): LlmStage {
  return Object.assign(Object.create(llm) as LlmStage, {
    respond: async (userText: string, options: Parameters<LlmStage['respond']>[1] = {}) => {
      let index = 0;
      let text = '';
      const result = await llm.respond(userText, {
        ...options,
        onToken: () => {
          const piece = REPLY_PIECES[index++ % REPLY_PIECES.length] as string;
          text += piece;
          options.onToken?.(piece);
        },
      });
      return { ...result, text };
    },
  });
}

export function withRealisticText(stages: SpeechStages): SpeechStages {
  return { ...stages, stt: adaptStt(stages.stt), llm: adaptLlm(stages.llm) };
}
