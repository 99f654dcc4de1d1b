import { describe, expect, it } from 'vitest';
import { firstUnitDistribution, firstUnitOf } from '../../src-main/tools/bench/first-units';
import { PeerSplitter } from '../../src-main/tools/bench/peer-splitter';

/** All units of a text pushed in pieces of `size` characters. */
function units(text: string, size: number): string[] {
  const splitter = new PeerSplitter();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...splitter.push(text.slice(i, i + size)));
  out.push(...splitter.flush());
  return out;
}

describe("peer baseline's unit policy", () => {
  it("cuts the first unit as RealtimeVoiceChat's get_context does, later units by sentence", () => {
    const text = 'Sure, I can help with that, of course. First, boil the water; then add salt. Done!';
    // "Sure," has 4 letters (10 needed); the comma after "that" ends the quick answer.
    expect(units(text, 3)).toEqual(['Sure, I can help with that,', 'of course.', 'First, boil the water; then add salt.', 'Done!']);
    expect(units('The capital of France is Paris, a city on the Seine. It is old.', 4)).toEqual([
      'The capital of France is Paris,',
      'a city on the Seine.',
      'It is old.',
    ]);
    // A dash or a line break ends it too, and no space is needed after the split character.
    expect(units('The answer is forty-two, as everyone knows.', 5)[0]).toBe('The answer is forty-');
    expect(units('| Planet | Moons |\n|---|---|\n| Mars | 2 |', 3)[0]).toBe('Planet, Moons.');
  });

  it('without a split character in its first 120 characters, the first unit is a sentence', () => {
    const long = `${'word '.repeat(30)}end. Next sentence here.`;
    expect(units(long, 7)).toEqual([`${'word '.repeat(30)}end.`, 'Next sentence here.']);
  });

  it('gives the same units however the stream is split into tokens', () => {
    const text = 'To make tea: boil 1,000 ml of water. Pour it at 3.5 minutes past! Wait? Yes.\n\nEnjoy it.';
    const whole = units(text, text.length);
    for (const size of [1, 2, 5, 11]) expect(units(text, size)).toEqual(whole);
    // "To make tea:" has 9 letters; the comma of "1,000" is the first split after 10.
    expect(whole[0]).toBe('To make tea: boil 1,');
    expect(whole).toContain('Pour it at 3.5 minutes past!');
  });

  it('cleans units for speech like the engine (markdown removed), and a reply without boundaries is one unit', () => {
    expect(units('**Title:** here is a list of things', 2)).toEqual(['Title: here is a list of things']);
    expect(firstUnitOf('Hello there my friend', new PeerSplitter())).toBe('Hello there my friend');
  });

  it('reports first-unit lengths over a set of replies for ours and the peer policy', () => {
    const replies = ['Sure, I can help with that. More text follows here.', 'The answer is forty-two, as everyone knows.', 'Yes.'];
    const d = firstUnitDistribution(replies, { firstUnitMinWords: 1, firstUnitMaxWords: 3, maxUnitChars: 160 });
    expect(d.ours.replies).toBe(3);
    expect(d.peer.chars.p50).toBeGreaterThan(d.ours.chars.p50);
    expect(d.ours.audio_ms.p10).toBeLessThanOrEqual(d.ours.audio_ms.p90);
  });
});
