import { describe, expect, it } from 'vitest';
import { DEFAULT_CHUNKER_OPTIONS } from '../../../src-main/shared/chunker-options';
import { SpeechStream, type UnitSplitter } from '../../../src-main/engine/core/speech-stream';
import type { TtsStage } from '../../../src-main/engine/stages/contracts';
import { TtsCache } from '../../../src-main/engine/core/tts-cache';

/** Fake TTS (a race test: each synthesis resolves when the test says so). */
class ControlledTts implements TtsStage {
  readonly backend = { device: 'fake', detail: 'controlled', threads: 1 };
  readonly calls: Array<{ text: string; finish: () => void }> = [];
  async warm(): Promise<void> {}
  async dispose(): Promise<void> {}
  synthesize(text: string): Promise<Float32Array> {
    return new Promise((resolve) => this.calls.push({ text, finish: () => resolve(new Float32Array(240)) }));
  }
}

/** One unit per pushed token (the chunker's policy is not what these tests are about). */
const perToken = (): UnitSplitter => ({ push: (token) => [token], flush: () => [] });
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function stream(tts: TtsStage, log: string[], cache?: TtsCache): SpeechStream {
  return new SpeechStream({
    tts,
    chunker: { ...DEFAULT_CHUNKER_OPTIONS },
    splitter: perToken(),
    voice: () => ({ voice: 'af_heart', speed: 1 }),
    signal: new AbortController().signal,
    cache,
    holdGeneration: () => {
      log.push('hold');
      return () => log.push('release');
    },
    onUnit: (unit) => log.push(`unit ${unit}`),
    onAudio: (unit) => log.push(`audio ${unit}`),
  });
}

describe('SpeechStream: the LLM is held while the first unit is synthesized', () => {
  it('holds from the first synthesis until its audio exists, and not for later units', async () => {
    const tts = new ControlledTts();
    const log: string[] = [];
    const speech = stream(tts, log);
    speech.push('Sure,');
    speech.push('here is the rest.');
    await tick();
    expect(log).toEqual(['unit 0', 'unit 1', 'hold']);
    tts.calls[0]?.finish();
    await tick();
    expect(log).toEqual(['unit 0', 'unit 1', 'hold', 'release', 'audio 0']);
    tts.calls[1]?.finish();
    await speech.finished();
    expect(log.slice(5)).toEqual(['audio 1']);
  });

  it('releases the hold when the first synthesis fails', async () => {
    const log: string[] = [];
    const failing = new ControlledTts();
    failing.synthesize = (): Promise<Float32Array> => Promise.reject(new Error('boom'));
    const speech = stream(failing, log);
    speech.push('Sure,');
    await expect(speech.finished()).rejects.toThrow('boom');
    expect(log).toEqual(['unit 0', 'hold', 'release']);
  });

  it('does not hold for a first unit that comes from the cache', async () => {
    const tts = new ControlledTts();
    const cache = new TtsCache();
    cache.set('Sure,', 'af_heart', 1, new Float32Array(240));
    const log: string[] = [];
    const speech = stream(tts, log, cache);
    speech.push('Sure,');
    await speech.finished();
    expect(log).toEqual(['unit 0', 'audio 0']);
  });
});
