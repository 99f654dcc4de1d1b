import { SpeechChunker } from '../../../src-main/engine/text/chunker';

/** Every unit the chunker gives for `pieces` pushed one by one, then flushed. */
export function chunkWith(chunker: SpeechChunker, pieces: readonly string[]): string[] {
  const units: string[] = [];
  for (const piece of pieces) units.push(...chunker.push(piece));
  units.push(...chunker.flush());
  return units;
}

/** The same text pushed whole, character by character and word by word (both ways of attaching the spaces). */
export function splits(text: string): string[][] {
  return [[text], Array.from(text), text.split(/(?=\s)/), text.split(/(?<=\s)/)];
}

/** Deterministic PRNG (mulberry32) so generated texts and random splits are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
