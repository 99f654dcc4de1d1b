import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWavAs16kMono, writeWav } from '../../src-main/audio/wav';
import { projectRoot, sharedPath } from '../../src-main/tools/dev/shared-data';

const root = projectRoot();
const out = mkdtempSync(path.join(tmpdir(), 'murmur-ptt-'));

/** Two real clips with 700 ms of silence between them: a mid-sentence pause longer than end of turn. */
function clipWithPause(): string {
  const a = readWavAs16kMono(sharedPath('speech/spk1_snt1.wav')).samples;
  const b = readWavAs16kMono(sharedPath('speech/spk1_snt2.wav')).samples;
  const pause = new Float32Array(Math.round(0.7 * 16000));
  const joined = new Float32Array(a.length + pause.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length + pause.length);
  const file = path.join(out, 'two-parts.wav');
  writeWav(file, joined, 16000);
  return file;
}

function talk(args: string[]): Array<{ turn: number; transcript: string; interrupted: boolean }> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/tools/cli/talk.ts', ...args, '--models', 'standin', '--json', '--fast', '--max-tokens', '12'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 390_000,
  });
  expect(result.status, result.stderr.slice(-2000)).toBe(0);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { turn: number; transcript: string; interrupted: boolean });
}

// Each run loads the stand-in models and answers in full: minutes on a loaded 2-core machine.
describe('talk --ptt: a clip with a 700 ms pause', () => {
  // With --ptt the key holds one turn; always-listening the pause is an end of turn.
  const file = clipWithPause();

  it('is ONE turn with --ptt (the key is held from the first sample to the last)', { timeout: 400_000 }, () => {
    const turns = talk(['--in', file, '--ptt']);
    expect(turns.map((t) => t.turn)).toEqual([1]);
    expect(turns[0]!.transcript.length).toBeGreaterThan(0);
  });

  it('always-listening, the pause ends a turn; the sentence after it continues that turn or interrupts its answer', { timeout: 400_000 }, () => {
    const turns = talk(['--in', file]);
    // Fed faster than real time, the second sentence usually arrives before the answer is heard:
    // it continues turn 1 (one turn, its answer started over). If the answer was already heard,
    // the sentence interrupts it and is turn 2. Never a second turn beside an uninterrupted first.
    const ids = turns.map((t) => t.turn);
    expect([[1], [1, 2]]).toContainEqual(ids);
    if (ids.length === 2) expect(turns[0]!.interrupted).toBe(true);
    expect(turns.at(-1)!.transcript.length).toBeGreaterThan(0);
  });
});
