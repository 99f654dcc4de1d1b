import type { TtsStage } from '../stages/contracts';

/**
 * A small LRU of synthesized units, keyed by normalized text + voice + speed. Short, common units
 * ("Sure.", "Okay,") recur across answers; a hit skips a TTS inference on the critical path.
 * Bounded by entries and by total samples. Hit/miss counters are public for the benchmark.
 */
export interface TtsCacheOptions {
  maxEntries?: number;
  /** Total audio held, in samples (default: 60 s at 24 kHz). */
  maxSamples?: number;
  /** Units longer than this many characters are not cached (they rarely recur). */
  maxTextChars?: number;
}

export class TtsCache {
  hits = 0;
  misses = 0;
  private readonly entries = new Map<string, Float32Array>();
  private samples = 0;
  private readonly maxEntries: number;
  private readonly maxSamples: number;
  private readonly maxTextChars: number;

  constructor(options: TtsCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 128;
    this.maxSamples = options.maxSamples ?? 24000 * 60;
    this.maxTextChars = options.maxTextChars ?? 40;
  }

  static key(text: string, voice: string, speed: number): string {
    return `${voice}\u0000${speed}\u0000${normalizeUnitText(text)}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get hitRate(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }

  /** A copy of the cached audio (callers may transfer or modify it), or undefined; counts the lookup. */
  get(text: string, voice: string, speed: number): Float32Array | undefined {
    if (!this.cacheable(text)) return undefined;
    const key = TtsCache.key(text, voice, speed);
    const audio = this.entries.get(key);
    if (!audio) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, audio);
    return audio.slice();
  }

  set(text: string, voice: string, speed: number, audio: Float32Array): void {
    if (!this.cacheable(text) || audio.length === 0 || audio.length > this.maxSamples) return;
    const key = TtsCache.key(text, voice, speed);
    const previous = this.entries.get(key);
    if (previous) {
      this.samples -= previous.length;
      this.entries.delete(key);
    }
    this.entries.set(key, audio.slice());
    this.samples += audio.length;
    for (const [oldest, value] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.samples <= this.maxSamples) break;
      this.entries.delete(oldest);
      this.samples -= value.length;
    }
  }

  /**
   * Synthesizes `texts` ahead of time (warm-up: common short openers) so their first use is a hit.
   * Does not count as lookups.
   */
  async prewarm(tts: TtsStage, texts: readonly string[], voice: string, speed: number, signal?: AbortSignal): Promise<void> {
    for (const text of texts) {
      if (!this.cacheable(text) || this.entries.has(TtsCache.key(text, voice, speed))) continue;
      this.set(text, voice, speed, await tts.synthesize(text, { signal, voice, speed }));
    }
  }

  clear(): void {
    this.entries.clear();
    this.samples = 0;
  }

  private cacheable(text: string): boolean {
    return text.length > 0 && text.length <= this.maxTextChars;
  }
}

/** Case, spacing and trailing space do not change how a unit sounds; punctuation does. */
export function normalizeUnitText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}
