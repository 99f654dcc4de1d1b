import { SpeechChunker } from '../../engine/text/chunker';
import type { SpeechChunkerOptions } from '../../shared/chunker-options';
import type { UnitSplitter } from '../../engine';
import { percentile } from '../../shared/stats';
import { PeerSplitter } from './peer-splitter';

/**
 * The first speakable unit of every reply in a replies file, under our chunker and under the
 * peers' policy: how long the audio that gates first sound would be (issue 12). Audio length is
 * estimated from the text at Kokoro's speaking rate (the published medium text: 196 characters ≈
 * 13 s of audio at speed 1, ≈ 15 characters per second); the bench's per-turn
 * `first_unit_audio_ms` is the measured length of the units it actually synthesized.
 */
export const KOKORO_CHARS_PER_SECOND = 196 / 13;

export interface FirstUnitStats {
  replies: number;
  /** Estimated audio length of the first unit (ms). */
  audio_ms: { p10: number; p50: number; p90: number };
  chars: { p10: number; p50: number; p90: number };
  /** Share of first units that are the whole reply (no boundary found). */
  whole_reply_share: number;
  /** The commonest first units, most frequent first (reviewer material: audio of a stand-in is noise). */
  most_common: Array<{ unit: string; count: number }>;
  /** First units of SAMPLED_UNITS replies spread evenly over the file (the same replies for both policies when both cut). */
  sampled: string[];
}

export const SAMPLED_UNITS = 20;
const MOST_COMMON = 10;

export function firstUnitOf(reply: string, splitter: UnitSplitter): string | undefined {
  // Word-sized pushes behave like a token stream (a cut never depends on the split inside a word).
  for (const piece of reply.split(/(?=\s)/)) {
    const units = splitter.push(piece);
    if (units.length > 0) return units[0];
  }
  return splitter.flush()[0];
}

function stats(units: Array<{ unit: string; reply: string }>): FirstUnitStats {
  const chars = units.map((u) => u.unit.length);
  const audio = chars.map((c) => (c / KOKORO_CHARS_PER_SECOND) * 1000);
  const q = (values: number[], p: number): number => Math.round(percentile(values, p) ?? 0);
  return {
    replies: units.length,
    audio_ms: { p10: q(audio, 10), p50: q(audio, 50), p90: q(audio, 90) },
    chars: { p10: q(chars, 10), p50: q(chars, 50), p90: q(chars, 90) },
    whole_reply_share: Math.round((units.filter((u) => u.unit.length >= u.reply.trim().length - 1).length / Math.max(1, units.length)) * 1000) / 1000,
    most_common: mostCommon(units.map((u) => u.unit)),
    sampled: evenlySpaced(units, SAMPLED_UNITS).map((u) => u.unit),
  };
}

export function firstUnitDistribution(
  replies: readonly string[],
  chunker: SpeechChunkerOptions,
): { ours: FirstUnitStats; peer: FirstUnitStats } {
  const collect = (make: () => UnitSplitter): Array<{ unit: string; reply: string }> =>
    replies.flatMap((reply) => {
      const unit = firstUnitOf(reply, make());
      return unit ? [{ unit, reply }] : [];
    });
  return {
    ours: stats(collect(() => new SpeechChunker(chunker))),
    peer: stats(collect(() => new PeerSplitter())),
  };
}

function mostCommon(units: string[]): Array<{ unit: string; count: number }> {
  const counts = new Map<string, number>();
  for (const unit of units) counts.set(unit, (counts.get(unit) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MOST_COMMON)
    .map(([unit, count]) => ({ unit, count }));
}

function evenlySpaced<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)] as T);
}
