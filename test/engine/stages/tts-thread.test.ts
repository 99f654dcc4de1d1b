import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKokoroStandin } from '../../../src-main/tools/dev/standins/kokoro-onnx';
import { KokoroTts } from '../../../src-main/engine/stages/tts/kokoro-tts';
import { ThreadedTts } from '../../../src-main/engine/stages/tts/threaded-tts';

/**
 * Kokoro on its own thread (real kokoro-js → onnxruntime-node in a worker thread, on the
 * Kokoro-format stand-in). onnxruntime-node runs an inference synchronously on the calling
 * thread: on the engine's thread a synthesis froze the microphone path for its whole duration.
 */

/** Longest gap between 10 ms timer ticks while `work` runs: how long the thread was frozen. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ stallMs: number; result: T }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { stallMs, result };
  } finally {
    clearInterval(timer);
  }
}

const LONG_TEXT = 'Here are a few tips to help you use your phone less: keep it out of the bedroom at night.';

describe('ThreadedTts (Kokoro-format stand-in)', () => {
  let modelDir: string;
  let threaded: ThreadedTts;
  let inline: KokoroTts;

  beforeAll(async () => {
    modelDir = await ensureKokoroStandin('light');
    threaded = await ThreadedTts.load({ modelDir, dtype: 'q8', device: 'cpu', threads: 1 });
    inline = await KokoroTts.load({ modelDir, dtype: 'q8', device: 'cpu', threads: 1 });
    await threaded.warm();
    await inline.warm();
  });

  afterAll(async () => {
    await threaded?.dispose();
    await inline?.dispose();
  });

  it('reports the same backend and speaks the same samples as Kokoro on the calling thread', async () => {
    expect(threaded.backend).toEqual(inline.backend);
    const [a, b] = [await threaded.synthesize('Sure, here you go.', {}), await inline.synthesize('Sure, here you go.', {})];
    expect(a.length).toBeGreaterThan(0);
    expect(a.length).toBe(b.length);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
    expect(diff).toBeLessThan(1e-4);
  });

  it("keeps the caller's thread free while a long unit is synthesized (on the calling thread it froze)", async () => {
    const off = await longestStall(() => threaded.synthesize(LONG_TEXT, {}));
    const on = await longestStall(() => inline.synthesize(LONG_TEXT, {}));
    expect(off.result.length).toBe(on.result.length);
    console.log(`longest stall of the caller's thread: ${off.stallMs.toFixed(0)} ms threaded, ${on.stallMs.toFixed(0)} ms inline`);
    // The inline synthesis froze the thread for its whole run; the threaded one did not.
    expect(on.stallMs).toBeGreaterThan(100);
    expect(off.stallMs).toBeLessThan(on.stallMs / 3);
  });

  it('releases a cancelled caller at once and skips a queued synthesis; busy covers the running one', async () => {
    const first = threaded.synthesize(LONG_TEXT, {});
    const abort = new AbortController();
    const queued = threaded.synthesize('This one is cancelled before it starts.', { signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(threaded.busy).toBe(true);
    abort.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    await first;
    expect(threaded.busy).toBe(false);
  });

  it("passes Kokoro's own errors through with their message (unknown voice, empty text)", async () => {
    await expect(threaded.synthesize('Hello.', { voice: 'zz_none' })).rejects.toThrow(/unknown Kokoro voice "zz_none"/);
    expect((await threaded.synthesize('   ', {})).length).toBe(0);
  });
});

describe('ThreadedTts lifecycle and bad input', () => {
  it("names a bad model folder as Kokoro does", async () => {
    const missing = path.join(os.tmpdir(), 'murmur-no-such-kokoro');
    await expect(ThreadedTts.load({ modelDir: missing })).rejects.toThrow(`${missing} is not a Kokoro model: the folder does not exist`);
  });

  it('rejects after dispose, and a load whose signal fired', async () => {
    const modelDir = await ensureKokoroStandin('light');
    const tts = await ThreadedTts.load({ modelDir, dtype: 'q8', threads: 1 });
    await tts.dispose();
    await expect(tts.synthesize('Hello.', {})).rejects.toThrow(/disposed/);
    const abort = new AbortController();
    const loading = ThreadedTts.load({ modelDir, dtype: 'q8', threads: 1, signal: abort.signal });
    abort.abort();
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
  });
});
