import { describe, expect, it } from 'vitest';
import { SpeechChunker, firstUnitCut, firstUnitOf } from '../../../src-main/engine/text/chunker';
import { DEFAULT_CHUNKER_OPTIONS } from '../../../src-main/shared/chunker-options';
import { EngineConfigSchema } from '../../../src-main/shared/config';
import { chunkWith, splits } from './chunker-helpers';

function chunk(pieces: readonly string[], chunker = new SpeechChunker()): string[] {
  return chunkWith(chunker, pieces);
}


describe('first unit (issue 12: short, and still sounds like speech)', () => {
  const cases: Array<[string, string, string]> = [
    ['cuts at the first clause boundary', 'Sure, here is the plan for today.', 'Sure,'],
    ['does not end on a function word', 'The capital of France is Paris, of course.', 'The capital of France'],
    ['does not end on an auxiliary or a contraction', "I think it's going to rain later today.", "I think it's going"],
    ['does not cut inside a name', 'We visited New York City last week with friends.', 'We visited New York City'],
    ['does not cut inside a number and its unit', 'It costs 25 dollars in total, roughly.', 'It costs 25 dollars'],
    ['does not cut after an initial', 'I met A. Karpov today and we played chess.', 'I met A. Karpov'],
    ['does not cut after a title', 'Ask Dr. Smith about the results tomorrow.', 'Ask Dr. Smith'],
    ['does not cut after an initialism', 'The U.S. Army arrived today at noon.', 'The U.S. Army'],
    ['does not leave a noun behind its adjective', 'Here is a basic structure of the project you asked for.', 'Here is a basic structure'],
    ['cuts at a CJK clause mark', '好的，我们明天见。', '好的，'],
    ['ends a short sentence as a sentence', 'Certainly! Here you go.', 'Certainly!'],
  ];
  for (const [name, text, first] of cases) {
    it(`${name}: ${JSON.stringify(text)}`, () => {
      for (const pieces of splits(text)) {
        const units = chunk(pieces);
        expect(units[0]).toBe(first);
        // Nothing lost or duplicated.
        expect(units.join(' ').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
      }
      expect(firstUnitOf(text)).toBe(first);
    });
  }

  it('reports how the first unit was cut', () => {
    expect(firstUnitCut('Sure, here it is.')).toEqual({ text: 'Sure,', cut: 'clause' });
    expect(firstUnitCut('Many legendary actors began their careers on Broadway.')).toEqual({
      text: 'Many legendary actors',
      cut: 'word-cap',
    });
    expect(firstUnitCut('Yes.')).toEqual({ text: 'Yes.', cut: 'sentence' });
    expect(firstUnitCut('ok then')).toEqual({ text: 'ok then', cut: 'end' });
    expect(firstUnitCut('```\ncode\n```')).toEqual({ text: '', cut: undefined });
  });

  it('gives the same units however the reply is split into tokens, with the shipped settings', () => {
    const text =
      'Many legendary actors began their careers on Broadway, shaping American theater. Here are some of the ' +
      'most renowned:\n\n1. **Audra McDonald** - Known for "Ragtime," she won a Tony.\n2. Hugh Jackman, etc. Then more.';
    const expected = chunk([text]);
    expect(expected[0]).toBe('Many legendary actors');
    for (const pieces of splits(text)) expect(chunk(pieces)).toEqual(expected);
  });
});

describe('one set of defaults', () => {
  it('the engine config takes its chunker defaults from chunker.ts', () => {
    expect(EngineConfigSchema.parse({}).chunker).toEqual(DEFAULT_CHUNKER_OPTIONS);
  });

  it('new SpeechChunker() behaves as the app ships it', () => {
    const text = 'The capital of France is Paris, of course. It has many museums, parks and cafés. Enjoy!';
    const shipped = new SpeechChunker(EngineConfigSchema.parse({}).chunker);
    expect(chunk([text])).toEqual(chunk([text], shipped));
    expect(chunk([text])).toEqual(['The capital of France', 'is Paris, of course.', 'It has many museums, parks and cafés.', 'Enjoy!']);
    // Explicit undefined options keep the defaults.
    expect(chunk([text], new SpeechChunker({ firstUnitMaxWords: undefined }))).toEqual(chunk([text]));
  });
});
