import { describe, expect, it } from 'vitest';
import { SpeechChunker, cleanForSpeech } from '../../../src-main/engine/text/chunker';
import type { SpeechChunkerOptions } from '../../../src-main/shared/chunker-options';
import { chunkWith, rng, splits } from './chunker-helpers';

/** Whole sentences only (no early first unit), to test sentence ends on their own. */
const SENTENCES: SpeechChunkerOptions = { firstUnitMinWords: 1000, firstUnitMaxWords: 0, maxUnitChars: 400 };

function chunk(pieces: readonly string[], options: SpeechChunkerOptions = SENTENCES): string[] {
  return chunkWith(new SpeechChunker(options), pieces);
}


function expectUnits(text: string, units: string[], options?: SpeechChunkerOptions): void {
  for (const pieces of splits(text)) expect(chunk(pieces, options)).toEqual(units);
}

describe('sentence ends (issue 14 classes)', () => {
  const classes: Record<string, Array<[string, string[]]>> = {
    'initialisms before a capital': [
      ['The U.S. Army arrived today. It was late.', ['The U.S. Army arrived today.', 'It was late.']],
      ['Talks in the U.K. Parliament and the E.U. Commission went on.', ['Talks in the U.K. Parliament and the E.U. Commission went on.']],
      ['He flew to Washington, D.C. Monday night.', ['He flew to Washington, D.C. Monday night.']],
      ['The U.N. Security Council met.', ['The U.N. Security Council met.']],
      // An initialism that does end the sentence: the next word starts one.
      ['I live in the U.S. How about you?', ['I live in the U.S.', 'How about you?']],
    ],
    'a.m. and p.m. before a capital': [
      ['The call is at 3 p.m. Monday in Berlin.', ['The call is at 3 p.m. Monday in Berlin.']],
      ['Doors open at 9 a.m. EST sharp.', ['Doors open at 9 a.m. EST sharp.']],
      ['We start at 9 a.m. Then we eat.', ['We start at 9 a.m.', 'Then we eat.']],
    ],
    'abbreviations from the list': [
      ['See No. 5 and Fig. 3 on p. 12 now.', ['See Number 5 and Figure 3 on page 12 now.']],
      ['He lives in Apt. 4 since Jan. 12 of this year.', ['He lives in Apartment 4 since January 12 of this year.']],
      ['By Eq. 2 it holds. Roe v. Wade was decided ca. 1973.', ['By Equation 2 it holds.', 'Roe versus Wade was decided circa 1973.']],
      ['It weighs approx. 20 kg and the dept. Head agreed.', ['It weighs approximately 20 kilograms and the department Head agreed.']],
      ['The firm, est. 1990, grew. Acme Inc. Shares rose.', ['The firm, established 1990, grew.', 'Acme Inc. Shares rose.']],
      ['Das ist z.B. gut. Siehe Nr. 4 bzw. Abs. 2 dazu.', ['Das ist z.B. gut.', 'Siehe Nr. 4 bzw. Abs. 2 dazu.']],
      ['Mme. Dupont et Sra. García llegaron.', ['Mme. Dupont et Sra. García llegaron.']],
      // "no" is a word too: without a number after it, it ends the sentence.
      ['I said no. Then I left.', ['I said no.', 'Then I left.']],
    ],
    'single initials': [
      ['I met A. Karpov today.', ['I met A. Karpov today.']],
      ['The letter was signed by George W. Bush himself.', ['The letter was signed by George W. Bush himself.']],
      ['The answer is B. The reason is simple.', ['The answer is B.', 'The reason is simple.']],
    ],
    '"!" and "?" inside names or before lowercase': [
      ['I read Yahoo! Sports every day. Then I work.', ['I read Yahoo! Sports every day.', 'Then I work.']],
      ['She asked "done?" before leaving.', ['She asked "done?" before leaving.']],
      ['He shouted "stop!" and ran. Later he came back.', ['He shouted "stop!" and ran.', 'Later he came back.']],
      ['Really? Yes! Great.', ['Really?', 'Yes!', 'Great.']],
      ['We make a good team, you and I. Did you see Albert I. Jones?', ['We make a good team, you and I.', 'Did you see Albert I. Jones?']],
    ],
    'ordinal and list numbers': [
      ['Wir treffen uns am 3. Juli in Berlin.', ['Wir treffen uns am 3. Juli in Berlin.']],
      ['After 1. e4 e5 2. Nf3 Nc6 3. Nc3 the game is even.', ['After 1. e4 e5 2. Nf3 Nc6 3. Nc3 the game is even.']],
      ['The answer is 42. Many agreed.', ['The answer is 42.', 'Many agreed.']],
    ],
    'CJK and Devanagari sentence punctuation': [
      ['今日は晴れです。明日は雨です！本当？', ['今日は晴れです。', '明日は雨です！', '本当？']],
      ['他说：「好的。」然后走了。', ['他说：「好的。」', '然后走了。']],
      ['यह एक वाक्य है। यह दूसरा है।', ['यह एक वाक्य है।', 'यह दूसरा है।']],
    ],
  };
  for (const [name, cases] of Object.entries(classes)) {
    describe(name, () => {
      for (const [text, units] of cases) {
        it(JSON.stringify(text), () => expectUnits(text, units));
      }
    });
  }

  it('keeps a spaced ellipsis with its sentence', () => {
    expectUnits('It seemed less complex . . . the thing is, I left. . . . Next time.', [
      'It seemed less complex... the thing is, I left....',
      'Next time.',
    ]);
  });

  it('keeps decimals, currency, URLs, e-mails, versions, paths and IPs whole', () => {
    const text =
      'It costs $4.99 or 3.5 percent. Mail bob@example.com now. Version 2.0.1 is out. ' +
      'Open /usr/local/bin today. Ping 192.168.0.1 please.';
    expectUnits(text, [
      'It costs $4.99 or 3.5 percent.',
      'Mail bob at example dot com now.',
      'Version 2.0.1 is out.',
      'Open /usr/local/bin today.',
      'Ping 192.168.0.1 please.',
    ]);
  });
});


const FRAGMENTS = [
  'The U.S. Army', 'arrived at 3 p.m.', 'Monday.', 'It costs $4.99,', 'or approx. 20 kg.', 'I met A. Karpov', 'today!',
  'Yahoo! Sports', 'said "done?" before', 'der 3. Juli', 'and 1. e4 e5 2. Nf3', 'etc.', 'Then', 'we left…', 'Why?',
  'Version 2.0.1', 'see https://example.com/a.b', 'or bob@example.com', 'No. 5', 'Dr. Smith', 'the capital of France',
  '今日は晴れです。', '本当？', 'यह है।', 'Well,', 'so —', 'New York City', 'is 42.', 'Many agreed.', 'of the', 'and',
];

describe('token-split independence (property)', () => {
  it('gives the same units for generated texts pushed whole, per character, per word and in random pieces', () => {
    const random = rng(7);
    const settings: SpeechChunkerOptions[] = [SENTENCES, {}, { firstUnitMinWords: 2, firstUnitMaxWords: 5, maxUnitChars: 60 }];
    for (let n = 0; n < 150; n++) {
      const count = 3 + Math.floor(random() * 12);
      const text = Array.from({ length: count }, () => FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]).join(' ');
      for (const options of settings) {
        const whole = chunk([text], options);
        // Nothing lost or duplicated: the units are the cleaned text, in order.
        expect(whole.join(' ').replace(/\s+/g, '')).toBe(cleanForSpeech(text).replace(/\s+/g, ''));
        for (const pieces of splits(text)) expect(chunk(pieces, options), text).toEqual(whole);
        const chars = Array.from(text);
        const randomPieces: string[] = [];
        for (let i = 0; i < chars.length; ) {
          const k = 1 + Math.floor(random() * 6);
          randomPieces.push(chars.slice(i, i + k).join(''));
          i += k;
        }
        expect(chunk(randomPieces, options), text).toEqual(whole);
      }
    }
  });
});
