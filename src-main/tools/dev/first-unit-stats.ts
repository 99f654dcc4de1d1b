/**
 * First-unit length distribution over real chat replies (issue 12): for each chunker setting, the
 * p10/p50/p90 of the first unit's words, characters and estimated audio length (~14 characters per
 * second of Kokoro speech at speed 1), how it was cut, and how often it ends on a function word.
 *
 *   npx tsx src-main/tools/dev/first-unit-stats.ts [--replies ../shared/replies/replies.jsonl]
 *       [--settings 1/3,2/5] [--baseline old-chunker.ts]
 *
 * `--settings` lists firstUnitMinWords/firstUnitMaxWords pairs (the shipped defaults are always
 * included). `--baseline` loads another chunker module (e.g. the previous release's, written out
 * with `git show <rev>:src-main/engine/chunker.ts > /tmp/old-chunker.ts`) and reports it with
 * the app's old settings (1/3) for a same-run comparison. Dev-only: the reply text never leaves
 * the shared data folder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { firstUnitCut, type CutKind } from '../../engine/text/chunker';
import { DEFAULT_CHUNKER_OPTIONS, type SpeechChunkerOptions } from '../../shared/chunker-options';
import { PHRASE_INTERNAL_WORDS } from '../../engine/text/sentence-data';
import { sharedPath } from './shared-data';

const CHARS_PER_SECOND = 14;

interface Sample {
  text: string;
  cut: CutKind | 'unknown' | undefined;
}

interface ChunkerModule {
  SpeechChunker: new (options?: SpeechChunkerOptions) => { push(text: string): string[]; flush(): string[] };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
}

/** Cut kind judged from the text alone (for a baseline module that does not report it). */
function cutFromText(unit: string, reply: string): Sample['cut'] {
  if (/[.!?…。！？]["'”’)\]]*$/.test(unit)) return 'sentence';
  if (/[,;:—–-]["'”’)\]]*$/.test(unit)) return 'clause';
  return reply.trim().length <= unit.length ? 'end' : 'unknown';
}

function report(label: string, samples: readonly Sample[]): void {
  const spoken = samples.filter((s) => s.text);
  const wordCounts = spoken.map((s) => words(s.text).length).sort((a, b) => a - b);
  const chars = spoken.map((s) => s.text.length).sort((a, b) => a - b);
  const share = (n: number): string => `${((100 * n) / spoken.length).toFixed(1)}%`;
  const cuts = new Map<string, number>();
  for (const s of spoken) cuts.set(String(s.cut), (cuts.get(String(s.cut)) ?? 0) + 1);
  const endsOnFunctionWord = spoken.filter((s) => {
    const last = words(s.text).at(-1) ?? '';
    if (/[^\p{L}\p{N}'’]$/u.test(s.text)) return false; // ends on punctuation: a clause or sentence
    return PHRASE_INTERNAL_WORDS.has(last.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase());
  }).length;
  const seconds = (c: number): string => (c / CHARS_PER_SECOND).toFixed(2);
  console.log(`\n${label}  (${spoken.length} replies)`);
  console.log(`  words  p10/p50/p90: ${[10, 50, 90].map((p) => percentile(wordCounts, p)).join(' / ')}`);
  console.log(`  chars  p10/p50/p90: ${[10, 50, 90].map((p) => percentile(chars, p)).join(' / ')}`);
  console.log(`  audio s p10/p50/p90 (≈${CHARS_PER_SECOND} chars/s): ${[10, 50, 90].map((p) => seconds(percentile(chars, p))).join(' / ')}`);
  console.log(`  cut: ${[...cuts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${share(n)}`).join(', ')}`);
  console.log(`  ends on a function word: ${share(endsOnFunctionWord)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      replies: { type: 'string', default: sharedPath('replies/replies.jsonl') },
      settings: { type: 'string', default: '1/3,2/4,2/5,2/6,3/6' },
      baseline: { type: 'string' },
    },
  });
  const replies = readFileSync(values.replies, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => (JSON.parse(line) as { reply: string }).reply);

  if (values.baseline) {
    const old = (await import(pathToFileURL(path.resolve(values.baseline)).href)) as ChunkerModule;
    const samples = replies.map((reply) => {
      // Streamed word by word as the LLM writes it: that chunker's first cut depended on the split.
      const chunker = new old.SpeechChunker({ firstUnitMinWords: 1, firstUnitMaxWords: 3, maxUnitChars: 160 });
      let text: string | undefined;
      for (const token of reply.split(/(?=\s)/)) {
        text = chunker.push(token)[0];
        if (text !== undefined) break;
      }
      text ??= chunker.flush()[0] ?? '';
      return { text, cut: cutFromText(text, reply) };
    });
    report(`baseline ${values.baseline} (min 1 / max 3 words, the app's old settings)`, samples);
  }

  const defaults = `${DEFAULT_CHUNKER_OPTIONS.firstUnitMinWords}/${DEFAULT_CHUNKER_OPTIONS.firstUnitMaxWords}`;
  const settings = [...new Set([defaults, ...values.settings.split(',')])];
  for (const setting of settings) {
    const [min, max] = setting.split('/').map(Number);
    const options: SpeechChunkerOptions = { firstUnitMinWords: min, firstUnitMaxWords: max };
    report(`min ${min} / max ${max} words${setting === defaults ? ' (shipped defaults)' : ''}`, replies.map((r) => firstUnitCut(r, options)));
  }
}

void main();
