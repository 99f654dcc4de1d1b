import { cleanForSpeech } from '../../engine/text/chunker';
import type { UnitSplitter } from '../../engine';

/**
 * The unit policy the best open local assistants ship (RealtimeTTS's `fast_sentence_fragment`,
 * RealtimeVoiceChat, pipecat's sentence aggregation): the first unit is cut at the first clause
 * boundary (`, ; : . ! ?` followed by a space) once it holds at least `firstUnitMinChars`
 * characters; every later unit is a whole sentence (`. ! ?` followed by a space, or a line break).
 * A boundary at the end of the text so far waits for the next character, as theirs do. Units are
 * cleaned for speech exactly like the engine's own, so only the cutting policy differs.
 * Benchmark code: the `--baseline peer` pipeline.
 */
export interface PeerSplitterOptions {
  firstUnitMinChars?: number;
  /** A unit without any boundary is cut at the last space before this many characters. */
  maxUnitChars?: number;
}

const CLAUSE = new Set([',', ';', ':', '.', '!', '?']);
const SENTENCE = new Set(['.', '!', '?']);

export class PeerSplitter implements UnitSplitter {
  private readonly firstUnitMinChars: number;
  private readonly maxUnitChars: number;
  private buffer = '';
  private emitted = 0;

  constructor(options: PeerSplitterOptions = {}) {
    this.firstUnitMinChars = options.firstUnitMinChars ?? 10;
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
    const first = this.emitted === 0;
    for (let i = 0; i + 1 < buf.length; i++) {
      const ch = buf[i] as string;
      if (ch === '\n' && !first && buf.slice(0, i).trim()) return i;
      const boundary = first ? CLAUSE.has(ch) : SENTENCE.has(ch);
      if (!boundary || !/\s/.test(buf[i + 1] as string)) continue;
      if (first && buf.slice(0, i + 1).trim().length < this.firstUnitMinChars) continue;
      return i + 1;
    }
    if (buf.length > this.maxUnitChars) {
      const space = buf.lastIndexOf(' ', this.maxUnitChars);
      return space > 0 ? space : this.maxUnitChars;
    }
    return undefined;
  }
}
