/** How the chunker cuts the token stream into speakable units (engine config section `chunker`). */
export interface SpeechChunkerOptions {
  /** The first unit is cut at the first clause boundary after this many words. */
  firstUnitMinWords?: number;
  /** A unit without any boundary is cut at the last space before this many characters. */
  maxUnitChars?: number;
  /**
   * The first unit is cut after this many words even without punctuation, at the first word
   * where a spoken phrase can end: its synthesis time is on the critical path and grows with its
   * length (0 = no limit).
   */
  firstUnitMaxWords?: number;
}

/**
 * The defaults the app ships (the engine config's `chunker` section takes them from here). Chosen
 * on the real chat replies with `npx tsx src-main/tools/dev/first-unit-stats.ts`.
 */
export const DEFAULT_CHUNKER_OPTIONS: Readonly<Required<SpeechChunkerOptions>> = Object.freeze({
  firstUnitMinWords: 1,
  firstUnitMaxWords: 3,
  maxUnitChars: 160,
});
