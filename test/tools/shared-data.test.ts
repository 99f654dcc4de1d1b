import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturesDir, sharedPath } from '../../src-main/tools/dev/shared-data';

describe('sharedPath: test data from the repository first, ../shared only for what it lacks', () => {
  const saved = process.env.MURMUR_SHARED_DIR;
  const dirs: string[] = [];
  afterEach(() => {
    if (saved === undefined) delete process.env.MURMUR_SHARED_DIR;
    else process.env.MURMUR_SHARED_DIR = saved;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function sharedFolderWith(relative: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'murmur-shared-'));
    dirs.push(dir);
    mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    writeFileSync(path.join(dir, relative), 'x');
    process.env.MURMUR_SHARED_DIR = dir;
    return dir;
  }

  it('resolves what test/fixtures carries there, even when a shared folder has it too', () => {
    sharedFolderWith('speech/jfk.wav');
    expect(sharedPath('speech/jfk.wav')).toBe(path.join(fixturesDir(), 'speech', 'jfk.wav'));
    expect(sharedPath('models/llm/stories260K.gguf')).toBe(path.join(fixturesDir(), 'models', 'llm', 'stories260K.gguf'));
  });

  it('falls back to the shared folder for benchmark-only data', () => {
    const dir = sharedFolderWith('replies/replies.jsonl');
    expect(sharedPath('replies/replies.jsonl')).toBe(path.join(dir, 'replies', 'replies.jsonl'));
  });

  it('names both places when neither has the file', () => {
    const dir = sharedFolderWith('other.txt');
    expect(() => sharedPath('replies/replies.jsonl')).toThrow(
      new RegExp(`missing test data "replies/replies.jsonl".*${fixturesDir()}.*${dir}.*MURMUR_SHARED_DIR`),
    );
  });
});
