import { describe, expect, it } from 'vitest';
import { SpeechChunker, cleanForSpeech } from '../../../src-main/engine/text/chunker';

describe('cleanForSpeech (issue 14)', () => {
  const classes: Record<string, Array<[string, string]>> = {
    'headings with closing #s': [
      ['## Options ##', 'Options'],
      ['# Title #####   ', 'Title'],
      ['### C# tips', 'C# tips'],
      ['#hashtag stays', '#hashtag stays'],
    ],
    'URLs and e-mails as their domain in words': [
      ['See https://www.example.com/docs/a.b?x=1 for more.', 'See example dot com for more.'],
      ['Go to http://localhost:8080/api now', 'Go to localhost now'],
      ['Open www.wikipedia.org/wiki/Cat today.', 'Open wikipedia dot org today.'],
      ['Docs: <https://nodejs.org/en/docs>.', 'Docs: nodejs dot org.'],
      ['Mail jane.doe@mail.example.co.uk please.', 'Mail jane dot doe at mail dot example dot co dot uk please.'],
      ['Try example.com/pricing or github.io first.', 'Try example dot com or github dot io first.'],
      ['The U.S. and e.g. Node.js stay.', 'The U.S. and for example Node.js stay.'],
    ],
    'HTML entities and tags': [
      ['Tom &amp; Jerry', 'Tom & Jerry'],
      ['a &lt; b &gt; c', 'a < b > c'],
      ['one&nbsp;two', 'one two'],
      ['caf&#233; &#x2014; &eacute;t&eacute;', 'café — été'],
      ['line<br>break and <b>bold</b>', 'line break and bold'],
    ],
    'markdown tables': [
      ['| Name | Age |\n|------|----:|\n| Bob | 3 |\n| Ann | 40 |', 'Name, Age. Bob, 3. Ann, 40.'],
      ['|:---|:---:|', ''],
      ['Plan:\n| Day | Task |\n| --- | --- |\n| Mon | Rest |', 'Plan: Day, Task. Mon, Rest.'],
    ],
    'what Kokoro does not read by itself': [
      ['It costs €5 or 12,50 €.', 'It costs 5 euros or 12 euros and 50 cents.'],
      ['Only €1.', 'Only 1 euro.'],
      ['It is 21°C or 70 °F outside.', 'It is 21 degrees Celsius or 70 degrees Fahrenheit outside.'],
      ['Drive 5 km at 50 km/h, carry 1 kg and 16 GB.', 'Drive 5 kilometers at 50 kilometers per hour, carry 1 kilogram and 16 gigabytes.'],
      // Left to Kokoro, which reads them already: $/£ amounts, years, times, percentages.
      ['$4.99, £3, 20%, 3:30 in 1999', '$4.99, £3, 20%, 3:30 in 1999'],
      ['The cm tag and "m" stay, as does 3m4s.', 'The cm tag and "m" stay, as does 3m4s.'],
    ],
    'abbreviations, dates, 24-hour times and fractions': [
      ['See Fig. 3, No. 5 and pp. 10-12, e.g. now.', 'See Figure 3, Number 5 and pages 10-12, for example now.'],
      ['E.g. this, i.e. that, vs. those; Roe v. Wade; Part V. The end', 'For example this, that is that, versus those; Roe versus Wade; Part V. The end'],
      ['Prof. Smith met Sen. Jones in St. Louis on Jan. 5; John Jr. came.', 'Professor Smith met Senator Jones in Saint Louis on January 5; John Junior came.'],
      ['I said no. 5 of them came. The end is nigh, ca. 2030.', 'I said number 5 of them came. The end is nigh, circa 2030.'],
      ['Due 2024-03-15, version 1.2.3-4 stays', 'Due March 15, 2024, version 1.2.3-4 stays'],
      ['At 14:30, 09:05, 00:00 or 10:30 but 16:9 stays', 'At 14 30, 9 oh 5, 0 hundred or 10:30 but 16:9 stays'],
      ['Add 3/4 cup and 1/2 spoon; 24/7, 50/50 and 3/4/2024 stay', 'Add three quarters cup and one half spoon; 24/7, 50/50 and 3/4/2024 stay'],
    ],
    'spaced hyphens': [
      ['Secretariat - owned by Penny Chenery', 'Secretariat — owned by Penny Chenery'],
      ['Open 9 - 17 daily, 9:00 am - 9:30 am too', 'Open 9 to 17 daily, 9:00 am to 9:30 am too'],
      ['well-known and 10-20 stay', 'well-known and 10-20 stay'],
    ],
    'emoji and code': [
      ['Great job 🎉👏🏽!', 'Great job!'],
      ['Run `npm test` then:\n```sh\nrm -rf /\n```\ndone', 'Run npm test then: done'],
    ],
  };
  for (const [name, cases] of Object.entries(classes)) {
    describe(name, () => {
      for (const [input, expected] of cases) {
        it(JSON.stringify(input), () => expect(cleanForSpeech(input)).toBe(expected));
      }
    });
  }

  it('reads a streamed markdown table row by row and skips its separator', () => {
    const chunker = new SpeechChunker({ firstUnitMinWords: 1000, firstUnitMaxWords: 0 });
    const text = 'Here:\n| Name | Age |\n|---|---|\n| Bob | 3 |\n';
    const units: string[] = [];
    for (const ch of text) units.push(...chunker.push(ch));
    units.push(...chunker.flush());
    expect(units).toEqual(['Here:', 'Name, Age.', 'Bob, 3.']);
  });
});
