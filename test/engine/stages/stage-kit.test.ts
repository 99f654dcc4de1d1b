import { describe, expect, it } from 'vitest';
import { DisposedError, isAbortError, raceAbort, SerialQueue } from '../../../src-main/engine/stages/stage-kit';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('SerialQueue', () => {
  it('never runs two tasks at once, even when a caller gives up on a running one', async () => {
    const queue = new SerialQueue('test');
    const first = deferred<string>();
    let overlapping = 0;
    let maxOverlap = 0;
    const track = async <T>(p: Promise<T>): Promise<T> => {
      overlapping++;
      maxOverlap = Math.max(maxOverlap, overlapping);
      try {
        return await p;
      } finally {
        overlapping--;
      }
    };
    const controller = new AbortController();
    const a = queue.run(() => track(first.promise), controller.signal);
    const b = queue.run(() => track(Promise.resolve('b')));
    await Promise.resolve();
    controller.abort();
    await expect(a).rejects.toSatisfy(isAbortError);
    expect(queue.busy).toBe(true);
    let bDone = false;
    void b.then(() => (bDone = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(bDone).toBe(false); // still waiting for the abandoned task's native work
    first.resolve('a');
    await expect(b).resolves.toBe('b');
    expect(maxOverlap).toBe(1);
    expect(queue.busy).toBe(false);
  });

  it('skips a queued task whose signal fired before it started', async () => {
    const queue = new SerialQueue();
    const gate = deferred<void>();
    void queue.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const skipped = queue.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort();
    gate.resolve();
    await expect(skipped).rejects.toSatisfy(isAbortError);
    await queue.drained();
    expect(ran).toBe(false);
  });
});

describe('raceAbort and errors', () => {
  it('rejects at once on abort and passes values through otherwise', async () => {
    await expect(raceAbort(Promise.resolve(3), new AbortController().signal)).resolves.toBe(3);
    const controller = new AbortController();
    const pending = raceAbort(new Promise(() => undefined), controller.signal, 'synthesis');
    controller.abort();
    await expect(pending).rejects.toSatisfy(isAbortError);
    expect(new DisposedError('KokoroTts').message).toBe('KokoroTts was disposed');
  });
});
