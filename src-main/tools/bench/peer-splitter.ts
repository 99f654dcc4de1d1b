import { cleanForSpeech } from '../../engine/text/chunker';
import type { UnitSplitter } from '../../engine';

/**
 * The unit policy of RealtimeVoiceChat, the peer the baseline names: its first unit (the "quick
 * answer") is what `TextContext.get_context` (code/text_context.py) returns on the reply so far —
 * the text up to and including the first split character (`. ! ? , ; : - 。 、` or a line break) at
 * position ≥ 6 with ≥ 10 letters or digits before it, within the first 120 characters; no space
 * is needed after it (so "forty-" or "1," can end it). Every later unit is a whole sentence (`. ! ?`
 * followed by a space, or a line break), as RealtimeTTS's sentence splitter cuts the rest; a first
 * unit with no split character in its first 120 characters is cut the same way. Units are cleaned
 * for speech exactly like the engine's own, so only the cutting policy differs.
 * Benchmark code: the `--baseline peer` pipelines.
 */
export interface PeerSplitterOptions {
  /** get_context's min_len, min_alnum_count and max_len (6, 10, 120). */
  firstUnitMinChars?: number;
  firstUnitMinAlnum?: number;
  firstUnitMaxChars?: number;
  /** A unit without any boundary is cut at the last space before this many characters. */
  maxUnitChars?: number;
}

const QUICK_ANSWER_SPLITS = new Set(['.', '!', '?', ',', ';', ':', '\n', '-', '。', '、']);
const SENTENCE = new Set(['.', '!', '?']);

export class PeerSplitter implements UnitSplitter {
  private readonly firstUnitMinChars: number;
  private readonly firstUnitMinAlnum: number;
  private readonly firstUnitMaxChars: number;
  private readonly maxUnitChars: number;
  private buffer = '';
  private emitted = 0;

  constructor(options: PeerSplitterOptions = {}) {
    this.firstUnitMinChars = options.firstUnitMinChars ?? 6;
    this.firstUnitMinAlnum = options.firstUnitMinAlnum ?? 10;
    this.firstUnitMaxChars = options.firstUnitMaxChars ?? 120;
    this.maxUnitChars = options.maxUnitChars ?? 400;
  }

  push(tokenText: string): string[] {
    this.buffer += tokenText;
    const units: string[] = [];
    for (let cut = this.findCut(); cut !== undefined; cut = this.findCut()) {
      this.take(cut, units);
    }
    return units;
  }

  flush(): string[] {
    const units: string[] = [];
    this.take(this.buffer.length, units);
    this.emitted = 0;
    return units;
  }

  private take(end: number, units: string[]): void {
    const text = cleanForSpeech(this.buffer.slice(0, end));
    this.buffer = this.buffer.slice(end).replace(/^\s+/, '');
    if (text) {
      units.push(text);
      this.emitted++;
    }
  }

  /** End index of the next unit in the buffer, or undefined when it needs more text. */
  private findCut(): number | undefined {
    const buf = this.buffer;
    if (this.emitted === 0) {
      const quick = this.quickAnswerCut();
      if (quick !== undefined || buf.length <= this.firstUnitMaxChars) return quick;
    }
    for (let i = 0; i + 1 < buf.length; i++) {
      const ch = buf[i] as string;
      if (ch === '\n' && buf.slice(0, i).trim()) return i;
      if (SENTENCE.has(ch) && /\s/.test(buf[i + 1] as string)) return i + 1;
    }
    if (buf.length > this.maxUnitChars) {
      const space = buf.lastIndexOf(' ', this.maxUnitChars);
      return space > 0 ? space : this.maxUnitChars;
    }
    return undefined;
  }

  /** get_context: the end of the quick answer in the reply so far, if it holds one. */
  private quickAnswerCut(): number | undefined {
    const buf = this.buffer;
    let alnum = 0;
    for (let i = 1; i <= Math.min(buf.length, this.firstUnitMaxChars); i++) {
      const ch = buf[i - 1] as string;
      if (/[\p{L}\p{N}]/u.test(ch)) alnum++;
      if (i >= this.firstUnitMinChars && QUICK_ANSWER_SPLITS.has(ch) && alnum >= this.firstUnitMinAlnum) return i;
    }
    return undefined;
  }
}
