import { DEFAULT_CHUNKER_OPTIONS, type SpeechChunkerOptions } from '../../shared/chunker-options';
import {
  ADJECTIVE_ENDING,
  AMBIGUOUS_ABBREVIATIONS,
  BEFORE_NUMBER_ABBREVIATIONS,
  COMMON_ADJECTIVES,
  EXCLAMATION_NAMES,
  MONTH_NAMES,
  NEVER_FINAL_ABBREVIATIONS,
  NOUN_PHRASE_OPENERS,
  PHRASE_INTERNAL_WORDS,
  SENTENCE_STARTER_WORDS,
} from './sentence-data';
import { cleanForSpeech } from './clean-for-speech';

/** Units are cleaned with it; other tools (the sequential pipeline, benchmarks) call it directly. */
export { cleanForSpeech };

/**
 * Token stream → speakable units for TTS.
 *
 * The first unit is cut early so the first audio starts sooner: at the first clause boundary
 * after `firstUnitMinWords` words, or after `firstUnitMaxWords` words where the phrase can end
 * (never after a function word, inside a name or a number, or after an abbreviation). Later units
 * are whole sentences. A sentence end is only known once the following text arrives (". T" ends a
 * sentence, ". t", ".5" and "U.S. Army" do not), so a candidate at the end of the buffer waits for
 * more text. The result is therefore the same however the text is split into tokens.
 */

/** How a unit was ended (for the first-unit statistics). */
export type CutKind = 'sentence' | 'clause' | 'line' | 'word-cap' | 'length' | 'end';

const SENTENCE_TERMINATORS = new Set(['.', '!', '?', '…', '؟']);
/** Terminators of scripts written without a space after the sentence (CJK, Devanagari). */
const UNSPACED_TERMINATORS = new Set(['。', '！', '？', '｡', '।', '॥']);
/** Characters that may follow a terminator and still belong to the sentence: quotes, brackets, markdown. */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '*', '_', '`', '»', '」', '』', '）', '】', '〉', '》', '〕']);
const CLAUSE_PUNCTUATION = new Set([',', ';', ':']);
const UNSPACED_CLAUSE_PUNCTUATION = new Set(['，', '、', '；', '：']);
/** A chess move in algebraic notation ("3. Nc3", "12. O-O"): the number before it is a move number. */
const CHESS_MOVE = /^(?:[KQRBN][a-h]?[1-8]?x?[a-h][1-8]|[a-h](?:x[a-h])?[1-8](?:=[QRBN])?|O-O(?:-O)?)[+#!?]*$/;
/** "U.S", "e.g", "p.m", "Ph.D", "EE.UU" (the final period is not part of the word). */
const INITIALISM = /^(?:\p{L}{1,4}\.)+\p{L}{1,4}$/u;

interface Cut {
  /** The unit is buffer[0, end). */
  end: number;
  /** The next unit starts here. */
  next: number;
  kind: CutKind;
}

type ScanResult = Cut | 'wait' | null;

export class SpeechChunker {
  private readonly firstUnitMinWords: number;
  private readonly maxUnitChars: number;
  private readonly firstUnitMaxWords: number;
  private buffer = '';
  private emitted = 0;
  private inCodeFence = false;
  private firstCut: CutKind | undefined;

  constructor(options: SpeechChunkerOptions = {}) {
    const settings = { ...DEFAULT_CHUNKER_OPTIONS, ...definedOnly(options) };
    this.firstUnitMinWords = Math.max(1, settings.firstUnitMinWords);
    this.maxUnitChars = Math.max(8, settings.maxUnitChars);
    this.firstUnitMaxWords = Math.max(0, settings.firstUnitMaxWords);
  }

  /** Adds generated text; returns the units completed by it (cleaned, non-empty). */
  push(tokenText: string): string[] {
    this.buffer += tokenText;
    return this.drain(false);
  }

  /** End of the stream: returns every remaining unit and resets the chunker for the next answer. */
  flush(): string[] {
    const units = this.drain(true);
    const rest = this.buffer;
    this.buffer = '';
    const last = this.accept(rest, 'end');
    if (last) units.push(last);
    this.startOver();
    return units;
  }

  /** Drops buffered text without emitting it (e.g. on barge-in). */
  reset(): void {
    this.startOver();
    this.firstCut = undefined;
  }

  private startOver(): void {
    this.buffer = '';
    this.emitted = 0;
    this.inCodeFence = false;
  }

  /** How the first unit of the latest answer was ended (undefined before one is emitted). */
  get firstUnitCut(): CutKind | undefined {
    return this.firstCut;
  }

  private drain(final: boolean): string[] {
    const units: string[] = [];
    for (;;) {
      this.buffer = this.buffer.replace(/^[ \t\r\f\v]+/, '');
      const cut = this.findCut(final);
      if (!cut) break;
      const unit = this.accept(this.buffer.slice(0, cut.end), cut.kind);
      this.buffer = this.buffer.slice(cut.next);
      if (unit) units.push(unit);
    }
    return units;
  }

  /** Cleans a raw unit, tracking code fences (code is not spoken); returns '' for nothing to say. */
  private accept(raw: string, kind: CutKind): string {
    const trimmed = raw.trim();
    if (trimmed.startsWith('```')) {
      // A fence line opens or closes a code block; a one-line ```code``` closes itself.
      const closesItself = trimmed.length > 3 && trimmed.endsWith('```');
      if (!closesItself) this.inCodeFence = !this.inCodeFence;
      return '';
    }
    if (this.inCodeFence) return '';
    const text = cleanForSpeech(raw);
    if (text) {
      if (this.emitted === 0) this.firstCut = kind;
      this.emitted++;
    }
    return text;
  }

  private findCut(final: boolean): Cut | null {
    const buf = this.buffer;
    const first = this.emitted === 0;
    const limit = this.maxUnitChars;
    const wordCap = first && this.firstUnitMaxWords > 0 ? Math.max(this.firstUnitMaxWords, this.firstUnitMinWords) : 0;
    let words = 0;
    for (let i = 0; i < buf.length && i < limit; i++) {
      const result = this.boundaryAt(buf, i, final, first);
      if (result === 'wait') return null;
      if (result) return result;
      if (wordCap > 0 && i > 0 && isSpace(buf[i] as string) && !isSpace(buf[i - 1] as string)) {
        if (/[\p{L}\p{N}]/u.test(wordBefore(buf, i))) words++;
        if (words >= wordCap) {
          const cap = phraseEndAt(buf, i, final);
          if (cap === 'wait') return null;
          if (cap) return cap;
        }
      }
    }
    if (buf.length > limit) {
      const end = lengthCut(buf, limit);
      return { end, next: end, kind: 'length' };
    }
    return null;
  }

  /** Is there a unit boundary at buf[i]? 'wait' when it depends on text not yet received. */
  private boundaryAt(buf: string, i: number, final: boolean, first: boolean): ScanResult {
    const ch = buf[i] as string;
    if (ch === '\n') return { end: i, next: i + 1, kind: 'line' };

    if (SENTENCE_TERMINATORS.has(ch) || UNSPACED_TERMINATORS.has(ch)) {
      // Only the last terminator of a run ("...", "?!", "！？") decides.
      const after = buf[i + 1];
      if (after !== undefined && (SENTENCE_TERMINATORS.has(after) || UNSPACED_TERMINATORS.has(after))) return null;
      if (UNSPACED_TERMINATORS.has(ch)) return outsideLink(buf, i, final, unspacedEnd(buf, i + 1, final, 'sentence'));
      let runStart = i;
      while (runStart > 0 && SENTENCE_TERMINATORS.has(buf[runStart - 1] as string)) runStart--;
      return outsideLink(buf, i, final, sentenceEnd(buf, runStart, i + 1, final));
    }

    if (first) {
      const clause = clauseEnd(buf, i, final);
      if (clause === 'wait') return clause;
      if (clause && countWords(buf.slice(0, clause.end)) >= this.firstUnitMinWords) return outsideLink(buf, i, final, clause);
    }
    return null;
  }
}

/** A markdown link longer than this is not one (a stray "[" must not hold the text back). */
const MAX_LINK_CHARS = 160;

/**
 * A cut found at buf[i] stands unless i is inside a markdown link ("[see step 1. below](url)"):
 * the cleaner turns a whole link into its text, but a link cut in two would be read out with its
 * URL. 'wait' while an open "[" may still turn out to be a link.
 */
function outsideLink(buf: string, i: number, final: boolean, cut: ScanResult): ScanResult {
  if (!cut || cut === 'wait') return cut;
  const open = buf.lastIndexOf('[', i);
  if (open < 0 || i - open > MAX_LINK_CHARS || buf.slice(open, i).includes('\n')) return cut;
  const undecided = (): ScanResult => (final || buf.length - open > MAX_LINK_CHARS ? cut : 'wait');
  const close = buf.indexOf(']', open);
  if (close === -1) return undecided();
  if (close < i) {
    // After the link text: inside its target "(...)" until the ")".
    if (buf[close + 1] !== '(') return cut;
    const end = buf.indexOf(')', close + 2);
    if (end === -1) return undecided();
    return i < end ? null : cut;
  }
  if (close + 1 === buf.length) return undecided();
  return buf[close + 1] === '(' ? null : cut;
}

/** Options without undefined entries, so spreading them over the defaults keeps the defaults. */
function definedOnly(options: SpeechChunkerOptions): SpeechChunkerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as SpeechChunkerOptions;
}

/** End after an unspaced terminator or clause mark and the closers that follow it. */
function unspacedEnd(buf: string, from: number, final: boolean, kind: CutKind): ScanResult {
  let k = from;
  while (k < buf.length && CLOSERS.has(buf[k] as string)) k++;
  if (k === buf.length && !final) return 'wait';
  return { end: k, next: k, kind };
}

function sentenceEnd(buf: string, runStart: number, runEnd: number, final: boolean): ScanResult {
  let k = runEnd;
  while (k < buf.length && CLOSERS.has(buf[k] as string)) k++;
  if (k === buf.length) return final ? { end: k, next: k, kind: 'sentence' } : 'wait';
  if (!isSpace(buf[k] as string)) return null; // "3.5", "example.com", "e.g", "?q=1"
  let m = k;
  while (m < buf.length && isSpace(buf[m] as string) && buf[m] !== '\n') m++;
  if (m === buf.length) return final ? { end: k, next: m, kind: 'sentence' } : 'wait';
  const cut: Cut = { end: k, next: m, kind: 'sentence' };
  if (buf[m] === '\n') return cut;
  if (SENTENCE_TERMINATORS.has(buf[m] as string)) return null; // a spaced ellipsis ". . .": its last dot decides
  // "p.m. today", "U.S. policy", "wait... maybe", "Yahoo! sports", 'asked "done?" before'
  if (isLowerCase(buf[m] as string)) return null;

  const run = buf.slice(runStart, runEnd);
  const wordStart = wordStartBefore(buf, runStart);
  // The word as clean-for-speech sees it: what follows the last mark that is not part of a word ("5+?v." ends in "v.").
  const word = buf.slice(wordStart, runStart).replace(/^.*[^\p{L}\p{N}.]/u, '');
  const lower = word.toLowerCase();
  if (run.includes('!') || run.includes('?')) {
    return EXCLAMATION_NAMES.has(lower) ? endsBeforeStarter(buf, m, final, cut) : cut;
  }
  if (run !== '.') return cut; // "Hmm... Let me", "Okay…"

  if (/^\p{Lu}$/u.test(word)) return endsBeforeStarter(buf, m, final, cut); // an initial: "J. K. Rowling", "A. Karpov"
  if (NEVER_FINAL_ABBREVIATIONS.has(lower)) return null;
  if (BEFORE_NUMBER_ABBREVIATIONS.has(lower) && /\p{N}/u.test(buf[m] as string)) return null; // "No. 5", "Jan. 12"
  if (/^\p{N}+$/u.test(word)) {
    if (wordStart === 0) return null; // a numbered list item: "1. First"
    const next = nextWord(buf, m, final);
    if (next === 'wait') return next;
    // An ordinal ("der 3. Juli") or a chess move number ("3. Nc3").
    return MONTH_NAMES.has(bareWord(next).toLowerCase()) || CHESS_MOVE.test(next.replace(/[,;:.]+$/, '')) ? null : cut;
  }
  if (AMBIGUOUS_ABBREVIATIONS.has(lower) || INITIALISM.test(word)) return endsBeforeStarter(buf, m, final, cut);
  return cut;
}

/** An ambiguous sentence end ("etc.", "U.S.", "p.m.", "A.") is one when the next word usually starts a sentence. */
function endsBeforeStarter(buf: string, m: number, final: boolean, cut: Cut): ScanResult {
  const next = nextWord(buf, m, final);
  if (next === 'wait') return next;
  return SENTENCE_STARTER_WORDS.has(bareWord(next).toLowerCase()) ? cut : null;
}

/** The whitespace-delimited word starting at `m`, or 'wait' while it may still grow. */
function nextWord(buf: string, m: number, final: boolean): string | 'wait' {
  let end = m;
  while (end < buf.length && !isSpace(buf[end] as string)) end++;
  if (end === buf.length && !final) return 'wait';
  return buf.slice(m, end);
}

/** A word without surrounding quotes, brackets and punctuation ("“The" → "The", "it's," → "it's"). */
function bareWord(word: string): string {
  return word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

/** Clause boundaries for the first unit: ", " "; " ": " "—" " – " " - " and "，、；：". */
function clauseEnd(buf: string, i: number, final: boolean): ScanResult {
  const ch = buf[i] as string;
  if (CLAUSE_PUNCTUATION.has(ch)) {
    let k = i + 1;
    while (k < buf.length && CLOSERS.has(buf[k] as string)) k++;
    if (k === buf.length) return final ? null : 'wait';
    return isSpace(buf[k] as string) ? { end: k, next: k, kind: 'clause' } : null; // not "1,000", "10:30", "https:"
  }
  if (UNSPACED_CLAUSE_PUNCTUATION.has(ch)) return unspacedEnd(buf, i + 1, final, 'clause');
  if (ch === '—') return { end: i + 1, next: i + 1, kind: 'clause' };
  if (ch === '–' || ch === '-') {
    if (i === 0 || buf[i - 1] !== ' ') return null; // "10–20", "well-known"
    if (i + 1 === buf.length) return final ? null : 'wait';
    if (buf[i + 1] !== ' ') return null;
    // "9 - 17", "9 am - 5 pm" is a range, read "9 to 17" (clean-for-speech): not a clause break.
    // Markdown marks around the numbers ("**9** - 17") are not spoken: they do not count.
    if (/\d(?:\s?[ap]\.?m\.?)?$/i.test(buf.slice(0, i).replace(/[\s*_`]+$/, ''))) {
      let k = i + 1;
      while (k < buf.length && /[ \t*_`]/.test(buf[k] as string)) k++;
      if (k === buf.length) return final ? null : 'wait';
      if (/\d/.test(buf[k] as string)) return null;
    }
    return { end: i + 1, next: i + 1, kind: 'clause' };
  }
  return null;
}

/**
 * A word-cap cut at the whitespace buf[i] after a word: only where a spoken phrase can end. Not
 * after a function word ("the", "of", "is"), a contraction ("it's"), a title or abbreviation
 * ("Dr", "U.S."), a number ("3 | p.m."), inside a name ("New | York") or before a number or
 * punctuation. null: not here, try the next word.
 */
function phraseEndAt(buf: string, i: number, final: boolean): ScanResult {
  let m = i;
  while (m < buf.length && isSpace(buf[m] as string) && buf[m] !== '\n') m++;
  if (m === buf.length) return final ? null : 'wait';
  const next = buf[m] as string;
  if (next === '\n' || !/[\p{L}"'“‘(«[]/u.test(next)) return null;
  const word = wordBefore(buf, i);
  const bare = bareWord(word);
  if (!bare || /[.\-–/(&+]$/.test(word)) return null;
  // After a markdown link: its text is read with what follows ("[St.](url) Hello" → "Saint Hello").
  if (word.includes('](')) return null;
  const lower = bare.toLowerCase();
  if (PHRASE_INTERNAL_WORDS.has(lower) || NEVER_FINAL_ABBREVIATIONS.has(lower)) return null;
  if (/['’](?:s|re|m|ve|ll|d)$|n['’]t$/i.test(bare)) return null; // "it's", "we're", "don't", "John's"
  if (/\p{N}/u.test(bare)) return null;
  if (/^\p{Lu}/u.test(bare) && /\p{Lu}/u.test(next)) return null; // a name: "New York", "Barack Obama"
  // "a basic | structure": an adjective right after a determiner leaves its noun behind.
  const previous = bareWord(wordBefore(buf, wordStartBefore(buf, i) - 1)).toLowerCase();
  if (NOUN_PHRASE_OPENERS.has(previous) && (COMMON_ADJECTIVES.has(lower) || (lower.length > 4 && ADJECTIVE_ENDING.test(lower)))) {
    return null;
  }
  return { end: i, next: i, kind: 'word-cap' };
}

/**
 * Where to cut a unit longer than `limit` without punctuation: the last space before it where a
 * phrase can end (not "20 | kg", "of | the", "New | York", not inside a link), else the last
 * space, else `limit`.
 * Only text before `limit` + 1 is read, so the choice does not depend on how much more arrived.
 */
function lengthCut(buf: string, limit: number): number {
  const last = buf.lastIndexOf(' ', limit);
  for (let space = buf.lastIndexOf(' ', limit - 1); space > 0; space = buf.lastIndexOf(' ', space - 1)) {
    if (isSpace(buf[space + 1] as string) || isSpace(buf[space - 1] as string)) continue;
    const here: Cut = { end: space, next: space, kind: 'length' };
    if (phraseEndAt(buf, space, true) !== null && outsideLink(buf, space, true, here) !== null) return space;
  }
  return last > 0 ? last : limit;
}

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

function isLowerCase(ch: string): boolean {
  return /\p{Ll}/u.test(ch);
}

function wordStartBefore(buf: string, end: number): number {
  let start = end;
  while (start > 0 && !isSpace(buf[start - 1] as string)) start--;
  return start;
}

/** The whitespace-delimited word ending just before index `end` ('' when there is none). */
function wordBefore(buf: string, end: number): string {
  return buf.slice(wordStartBefore(buf, end), end);
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

export interface FirstUnit {
  /** The first spoken unit ('' when the text has nothing to say). */
  text: string;
  /** How it was ended. */
  cut: CutKind | undefined;
}

/** The first unit a fresh chunker emits for a whole reply (for benchmarks and statistics). */
export function firstUnitCut(reply: string, options?: SpeechChunkerOptions): FirstUnit {
  const chunker = new SpeechChunker(options);
  const text = chunker.push(reply)[0] ?? chunker.flush()[0] ?? '';
  return { text, cut: text ? chunker.firstUnitCut : undefined };
}

/** The first unit a fresh chunker emits for a whole reply ('' when there is nothing to say). */
export function firstUnitOf(text: string, options?: SpeechChunkerOptions): string {
  return firstUnitCut(text, options).text;
}
