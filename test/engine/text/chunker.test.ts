import { describe, expect, it } from 'vitest';
import { SpeechChunker, cleanForSpeech } from '../../../src-main/engine/text/chunker';
import type { SpeechChunkerOptions } from '../../../src-main/shared/chunker-options';
import { chunkWith, rng } from './chunker-helpers';


/** Splits text into random pieces of 1–6 code points, like an LLM's token stream. */
function randomPieces(text: string, seed: number): string[] {
  const random = rng(seed);
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const n = 1 + Math.floor(random() * 6);
    pieces.push(chars.slice(i, i + n).join(''));
    i += n;
  }
  return pieces;
}

function chunk(pieces: string[], options?: SpeechChunkerOptions): string[] {
  return chunkWith(new SpeechChunker(options), pieces);
}

/** The chunker's settings before the first-unit word cap (these cases test sentences and clauses). */
const CLAUSES: SpeechChunkerOptions = { firstUnitMinWords: 3, firstUnitMaxWords: 0, maxUnitChars: 220 };

const CASES: Array<{ text: string; units: string[]; options?: SpeechChunkerOptions }> = [
  {
    text: 'Dr. Smith arrived at 3.5 p.m. today. Then he left.',
    units: ['Dr. Smith arrived at 3.5 p.m. today.', 'Then he left.'],
  },
  { text: 'It costs $4.99, e.g. cheap.', units: ['It costs $4.99,', 'for example cheap.'] },
  {
    text: 'Visit https://example.com/a.b for more. Thanks!',
    units: ['Visit example dot com for more.', 'Thanks!'],
  },
  { text: 'Well, I think so. Yes!', units: ['Well, I think so.', 'Yes!'] },
  { text: '**Bold** text with `code` and 🎉 emoji.', units: ['Bold text with code and emoji.'] },
  {
    text: 'The total is 1,000,000, which is a lot. It grew, slowly, over years.',
    units: ['The total is 1,000,000,', 'which is a lot.', 'It grew, slowly, over years.'],
  },
  { text: 'The U.S. policy changed in 2020. Many agreed.', units: ['The U.S. policy changed in 2020.', 'Many agreed.'] },
  {
    text: 'Sure, here is what I found: the answer is 42. Hope that helps, friend.',
    units: ['Sure, here is what I found:', 'the answer is 42.', 'Hope that helps, friend.'],
  },
  { text: 'Meet me at 10:30: bring snacks, please.', units: ['Meet me at 10:30:', 'bring snacks, please.'] },
  { text: 'Mr. and Mrs. Jones vs. the Smiths, i.e. a feud.', units: ['Mr. and Mrs. Jones versus the Smiths,', 'that is a feud.'] },
  { text: 'Apples, pears, etc. Then we eat.', units: ['Apples, pears, etc.', 'Then we eat.'] },
  {
    text: 'Email bob@example.com today. I was thinking... maybe not. Hmm... Let me check.',
    units: ['Email bob at example dot com today.', 'I was thinking... maybe not.', 'Hmm...', 'Let me check.'],
  },
  { text: 'Really?! Yes. Okay…', units: ['Really?!', 'Yes.', 'Okay…'] },
  { text: 'He said "Stop." Then he left.', units: ['He said "Stop."', 'Then he left.'] },
  {
    text: '## Options\nHere are three options:\n- **first** one\n- [the docs](https://x.io/d) second\n1. Third item.',
    units: ['Options', 'Here are three options:', 'first one', 'the docs second', '1. Third item.'],
  },
  {
    text: 'Run this:\n```js\nconsole.log("Hi. There.");\n```\nDone. 👍',
    units: ['Run this:', 'Done.'],
  },
  { text: 'Version 2.0.1 is out — it fixes bugs.', units: ['Version 2.0.1 is out —', 'it fixes bugs.'] },
  { text: 'Pages 10–20 matter. Really.', units: ['Pages 10–20 matter.', 'Really.'] },
  { text: 'J. K. Rowling wrote it. Done.', units: ['J. K. Rowling wrote it.', 'Done.'] },
  {
    text: 'one two three four five six seven eight nine ten eleven twelve',
    options: { ...CLAUSES, maxUnitChars: 40 },
    units: ['one two three four five six seven eight', 'nine ten eleven twelve'],
  },
  { text: '   \n\n🎉🎉\n', units: [] },
];

describe('SpeechChunker', () => {
  for (const { text, units, options = CLAUSES } of CASES) {
    it(`chunks ${JSON.stringify(text.slice(0, 50))} the same whatever the token split`, () => {
      expect(chunk([text], options)).toEqual(units);
      expect(chunk(Array.from(text), options)).toEqual(units);
      for (const seed of [1, 2, 3, 42, 1234]) {
        expect(chunk(randomPieces(text, seed), options)).toEqual(units);
      }
    });
  }

  it('emits the first unit as soon as its clause boundary is known', () => {
    const chunker = new SpeechChunker(CLAUSES);
    expect(chunker.push('Sure, here is')).toEqual([]);
    expect(chunker.push(' what I found:')).toEqual([]);
    expect(chunker.push(' the')).toEqual(['Sure, here is what I found:']);
    // Later units wait for whole sentences, not clauses.
    expect(chunker.push(' answer, I think, is 42.')).toEqual([]);
    // After a number the next word decides ("der 3. Juli"), so it waits for the whole word.
    expect(chunker.push(' Bye')).toEqual([]);
    expect(chunker.push(' now')).toEqual(['the answer, I think, is 42.']);
    expect(chunker.flush()).toEqual(['Bye now']);
  });

  it('does not decide a sentence end before the next character arrives', () => {
    const chunker = new SpeechChunker({ firstUnitMinWords: 10, firstUnitMaxWords: 0 });
    expect(chunker.push('It is 3.')).toEqual([]);
    expect(chunker.push('5')).toEqual([]);
    expect(chunker.push(' p.m. ')).toEqual([]);
    expect(chunker.push('now. ')).toEqual([]);
    expect(chunker.push('O')).toEqual(['It is 3.5 p.m. now.']);
    expect(chunker.flush()).toEqual(['O']);
  });

  it('respects firstUnitMinWords and starts over after flush', () => {
    const chunker = new SpeechChunker({ firstUnitMinWords: 1, firstUnitMaxWords: 0 });
    expect(chunker.push('Yes, of course, friend. ')).toEqual(['Yes,']);
    expect(chunker.flush()).toEqual(['of course, friend.']);
    expect(chunker.push('No, thanks. ')).toEqual(['No,']);
    chunker.reset();
    expect(chunker.flush()).toEqual([]);
  });

  it('hard-cuts a long unit at the last space, never inside a number', () => {
    const text = `${'word '.repeat(60)}costs 1,234.56 dollars`;
    const units = chunk(Array.from(text), { ...CLAUSES, maxUnitChars: 50 });
    for (const unit of units) expect(unit.length).toBeLessThanOrEqual(50);
    expect(units.join(' ')).toBe(text.replace(/\s+/g, ' ').trim());
    expect(units.some((u) => u.includes('1,234.56'))).toBe(true);
  });
});

describe('cleanForSpeech', () => {
  const table: Array<[string, string]> = [
    ['**Bold** and __strong__ and *it* and _em_', 'Bold and strong and it and em'],
    ['# Heading', 'Heading'],
    ['  * bullet item', 'bullet item'],
    ['See [the guide](https://a.b/c) now.', 'See the guide now.'],
    ['Use `npm test` please', 'Use npm test please'],
    ['Code:\n```ts\nconst a = 1;\n```\nafter', 'Code: after'],
    ['Party 🎉🥳 time 👍🏽!', 'Party time!'],
    ['Flags 🇺🇸 and ❤️ love', 'Flags and love'],
    ['snake_case_name stays', 'snake_case_name stays'],
    ['2 * 3 is six', '2 * 3 is six'],
    ['a   b\n\n c', 'a b c'],
    ['🎉', ''],
    ['---', ''],
  ];
  for (const [input, expected] of table) {
    it(`cleans ${JSON.stringify(input)}`, () => {
      expect(cleanForSpeech(input)).toBe(expected);
    });
  }
});

describe('cases the fuzzer found (npm run fuzz, chunker target)', () => {
  const units = (text: string, options: Partial<SpeechChunkerOptions> = {}): string[] => {
    const chunker = new SpeechChunker({ firstUnitMinWords: 100, firstUnitMaxWords: 0, ...options });
    const out: string[] = [];
    for (const ch of Array.from(text)) out.push(...chunker.push(ch));
    return [...out, ...chunker.flush()];
  };

  it('a sentence end inside a markdown link does not cut it (the URL would be read out)', () => {
    expect(units('Read [step 1. Install it](https://example.com/a) first. Then go.')).toEqual(['Read step 1. Install it first.', 'Then go.']);
  });

  it('a link that spans a blank line is not a link, and its orphan target is not read out', () => {
    const spoken = cleanForSpeech('[a\n\nb](http://x.y)');
    expect(spoken).toMatch(/a.*b/);
    expect(spoken).not.toMatch(/x\.y|dot/);
  });

  it('a numeric range is not a clause break, even with markdown around the numbers', () => {
    expect(units('Open **9** - 17 daily, weekends too.', { firstUnitMinWords: 1 })[0]).toBe('Open 9 to 17 daily,');
  });

  it('"e.g." last in a unit is still read "for example"', () => {
    expect(cleanForSpeech('Fruit, e.g.')).toBe('Fruit, for example');
  });

  it('a word-cap cut never follows a markdown link (its text is read with what comes next: "St." → "Saint")', () => {
    expect(units('Go to [ St. ](http://x.y) Hello now.', { firstUnitMinWords: 1, firstUnitMaxWords: 3 })).toEqual(['Go to Saint Hello', 'now.']);
  });

  it('"<b then c!>" is text, not an HTML tag (an HTML attribute has no "!")', () => {
    expect(cleanForSpeech('if a <b then c!> holds')).toContain('b then c');
    expect(cleanForSpeech('a <b class="x">bold</b> word')).toBe('a bold word');
  });
});
