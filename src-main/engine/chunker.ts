/**
 * Token stream → speakable units for TTS.
 *
 * The first unit is cut early, at the first clause boundary after `firstUnitMinWords` words, so
 * the first audio starts sooner; later units are whole sentences. A sentence end is only known
 * once the next non-space character arrives (". T" ends a sentence, ". t" and ".5" do not), so a
 * candidate at the end of the buffer waits for more text. The result is therefore the same however
 * the text is split into tokens.
 */

export interface SpeechChunkerOptions {
  /** The first unit is cut at the first clause boundary after this many words. */
  firstUnitMinWords?: number;
  /** A unit without any boundary is cut at the last space before this many characters. */
  maxUnitChars?: number;
  /**
   * The first unit is cut after this many words even without punctuation: its synthesis time is
   * on the critical path and grows with its length (0 = no limit).
   */
  firstUnitMaxWords?: number;
}

const SENTENCE_TERMINATORS = new Set(['.', '!', '?', '…']);
/** Characters that may follow a terminator and still belong to the sentence: quotes, brackets, markdown. */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '*', '_', '`', '»']);
const CLAUSE_PUNCTUATION = new Set([',', ';', ':']);
/** Abbreviations after which a period never ends the sentence (they precede more words). */
const NON_TERMINAL_ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'vs', 'e.g', 'i.e', 'approx', 'fig', 'cf', 'al',
]);

interface Cut {
  /** The unit is buffer[0, end). */
  end: number;
  /** The next unit starts here. */
  next: number;
}

type ScanResult = Cut | 'wait' | null;

export class SpeechChunker {
  private readonly firstUnitMinWords: number;
  private readonly maxUnitChars: number;
  private readonly firstUnitMaxWords: number;
  private buffer = '';
  private emitted = 0;
  private inCodeFence = false;

  constructor(options: SpeechChunkerOptions = {}) {
    this.firstUnitMinWords = Math.max(1, options.firstUnitMinWords ?? 3);
    this.maxUnitChars = Math.max(8, options.maxUnitChars ?? 220);
    this.firstUnitMaxWords = Math.max(0, options.firstUnitMaxWords ?? 0);
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
    const last = this.accept(rest);
    if (last) units.push(last);
    this.emitted = 0;
    this.inCodeFence = false;
    return units;
  }

  /** Drops buffered text without emitting it (e.g. on barge-in). */
  reset(): void {
    this.buffer = '';
    this.emitted = 0;
    this.inCodeFence = false;
  }

  private drain(final: boolean): string[] {
    const units: string[] = [];
    for (;;) {
      this.buffer = this.buffer.replace(/^[ \t\r\f\v]+/, '');
      const cut = this.findCut(final);
      if (!cut) break;
      const unit = this.accept(this.buffer.slice(0, cut.end));
      this.buffer = this.buffer.slice(cut.next);
      if (unit) units.push(unit);
    }
    return units;
  }

  /** Cleans a raw unit, tracking code fences (code is not spoken); returns '' for nothing to say. */
  private accept(raw: string): string {
    const trimmed = raw.trim();
    if (trimmed.startsWith('```')) {
      // A fence line opens or closes a code block; a one-line ```code``` closes itself.
      const closesItself = trimmed.length > 3 && trimmed.endsWith('```');
      if (!closesItself) this.inCodeFence = !this.inCodeFence;
      return '';
    }
    if (this.inCodeFence) return '';
    const text = cleanForSpeech(raw);
    if (text) this.emitted++;
    return text;
  }

  private findCut(final: boolean): Cut | null {
    const buf = this.buffer;
    const first = this.emitted === 0;
    const limit = this.maxUnitChars;
    for (let i = 0; i < buf.length && i < limit; i++) {
      const result = this.boundaryAt(buf, i, final, first);
      if (result === 'wait') return null;
      if (result) return result;
    }
    if (first && this.firstUnitMaxWords > 0) {
      const cut = cutAfterWords(buf, Math.max(this.firstUnitMaxWords, this.firstUnitMinWords));
      if (cut !== undefined) return { end: cut, next: cut };
    }
    if (buf.length > limit) {
      const space = buf.lastIndexOf(' ', limit);
      const end = space > 0 ? space : limit;
      return { end, next: end };
    }
    return null;
  }

  /** Is there a unit boundary at buf[i]? 'wait' when it depends on text not yet received. */
  private boundaryAt(buf: string, i: number, final: boolean, first: boolean): ScanResult {
    const ch = buf[i] as string;
    if (ch === '\n') return { end: i, next: i + 1 };

    if (SENTENCE_TERMINATORS.has(ch)) {
      // Only the last terminator of a run ("...", "?!") decides.
      if (i + 1 < buf.length && SENTENCE_TERMINATORS.has(buf[i + 1] as string)) return null;
      let runStart = i;
      while (runStart > 0 && SENTENCE_TERMINATORS.has(buf[runStart - 1] as string)) runStart--;
      return this.sentenceEnd(buf, runStart, i + 1, final);
    }

    if (first) {
      const clause = this.clauseEnd(buf, i, final);
      if (clause === 'wait') return clause;
      if (clause && countWords(buf.slice(0, clause.end)) >= this.firstUnitMinWords) return clause;
    }
    return null;
  }

  private sentenceEnd(buf: string, runStart: number, runEnd: number, final: boolean): ScanResult {
    let k = runEnd;
    while (k < buf.length && CLOSERS.has(buf[k] as string)) k++;
    if (k === buf.length) return final ? { end: k, next: k } : 'wait';
    if (!isSpace(buf[k] as string)) return null; // "3.5", "example.com", "e.g", "?q=1"
    let m = k;
    while (m < buf.length && isSpace(buf[m] as string) && buf[m] !== '\n') m++;
    if (m === buf.length) return final ? { end: k, next: m } : 'wait';
    if (buf[m] === '\n') return { end: k, next: m };

    const run = buf.slice(runStart, runEnd);
    if (run.includes('!') || run.includes('?')) return { end: k, next: m };
    const nextChar = buf[m] as string;
    if (isLowerCase(nextChar)) return null; // "p.m. today", "U.S. policy", "wait... maybe"
    if (run === '.') {
      const word = wordBefore(buf, runStart);
      const bare = word.replace(/^[^\p{L}\p{N}]+/u, '');
      if (NON_TERMINAL_ABBREVIATIONS.has(bare.toLowerCase())) return null;
      if (/^\p{Lu}$/u.test(bare)) return null; // an initial: "J. K. Rowling"
      if (/^\d+$/.test(word) && runStart === word.length) return null; // a numbered list item: "1. First"
    }
    return { end: k, next: m };
  }

  /** Clause boundaries for the first unit: ", " "; " ": " "—" " – " " - ". */
  private clauseEnd(buf: string, i: number, final: boolean): ScanResult {
    const ch = buf[i] as string;
    if (CLAUSE_PUNCTUATION.has(ch)) {
      let k = i + 1;
      while (k < buf.length && CLOSERS.has(buf[k] as string)) k++;
      if (k === buf.length) return final ? null : 'wait';
      return isSpace(buf[k] as string) ? { end: k, next: k } : null; // not "1,000", "10:30", "https:"
    }
    if (ch === '—') return { end: i + 1, next: i + 1 };
    if (ch === '–' || ch === '-') {
      if (i === 0 || buf[i - 1] !== ' ') return null; // "10–20", "well-known"
      if (i + 1 === buf.length) return final ? null : 'wait';
      return buf[i + 1] === ' ' ? { end: i + 1, next: i + 1 } : null;
    }
    return null;
  }
}

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

function isLowerCase(ch: string): boolean {
  return /\p{Ll}/u.test(ch);
}

/** The whitespace-delimited word ending just before index `end` ('' when there is none). */
function wordBefore(buf: string, end: number): string {
  let start = end;
  while (start > 0 && !isSpace(buf[start - 1] as string)) start--;
  return buf.slice(start, Math.max(start, end));
}

/**
 * Index of the space after the `words`-th complete word (one followed by whitespace), never right
 * after an abbreviation such as "Dr." that belongs to the next word; undefined when there is none yet.
 */
function cutAfterWords(buf: string, words: number): number | undefined {
  const pattern = /\S+(?=\s)/g;
  let seen = 0;
  for (let match = pattern.exec(buf); match; match = pattern.exec(buf)) {
    if (/[\p{L}\p{N}]/u.test(match[0])) seen++;
    const bare = match[0].replace(/[^\p{L}\p{N}.]/gu, '').replace(/\.$/, '').toLowerCase();
    if (seen >= words && !NON_TERMINAL_ABBREVIATIONS.has(bare)) return match.index + match[0].length;
  }
  return undefined;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

/** Emoji and pictographs, with their modifiers: flags, skin tones, joiners, variation selectors, keycaps. */
const PICTOGRAPHS = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200D|\uFE0E|\uFE0F|\u20E3/gu;

/**
 * Text as it should be spoken: markdown (emphasis, inline code, headings, bullets, links, code
 * blocks, tables, rules), emoji and other pictographs removed, whitespace collapsed.
 */
export function cleanForSpeech(text: string): string {
  let out = text;
  out = out.replace(/```[^\n]*\n[\s\S]*?```/g, ' '); // whole fenced code blocks
  out = out.replace(/```[\w+-]*/g, ' '); // a stray fence
  out = out.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1'); // images → alt text
  out = out.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1'); // links → link text
  out = out.replace(/`([^`]*)`/g, '$1');
  out = out.replace(/`/g, '');
  out = out.replace(/^[ \t]*(?:[-*_][ \t]*){3,}$/gm, ' '); // horizontal rules
  out = out.replace(/^[ \t]{0,3}#{1,6}[ \t]+/gm, ''); // headings
  out = out.replace(/^[ \t]*>+[ \t]?/gm, ''); // block quotes
  out = out.replace(/^[ \t]*[-*+•◦▪][ \t]+/gm, ''); // bullets
  out = out.replace(/(?<!\s)\*+|\*+(?!\s)/g, ''); // emphasis; keeps "2 * 3"
  out = out.replace(/(^|[^\p{L}\p{N}])_+(?=\S)/gu, '$1').replace(/(?<=\S)_+(?=[^\p{L}\p{N}_]|$)/gu, '');
  out = out.replace(/~~/g, '');
  out = out.replace(/\|/g, ' ');
  out = out.replace(PICTOGRAPHS, ' ');
  out = out.replace(/\s+/g, ' ').trim();
  out = out.replace(/ +([,.!?;:…])/g, '$1');
  // Nothing speakable (only punctuation left after removing emoji or markup).
  if (!/[\p{L}\p{N}]/u.test(out)) return '';
  return out;
}
