import { describe, expect, it } from 'vitest';
import { CommandQueue } from '../../../src-main/engine/core/command-queue';
import { fakeEngine, settle } from '../../fakes/harness';

describe('CommandQueue', () => {
  it('applies a command submitted during work after that work, in arrival order', () => {
    const log: string[] = [];
    const queue = new CommandQueue<string>((command) => {
      log.push(`apply ${command}`);
      if (command === 'a') {
        queue.submit('b');
        queue.submit('c');
        log.push('a done');
      }
    });
    queue.submit('a');
    expect(log).toEqual(['apply a', 'a done', 'apply b', 'apply c']);
  });

  it('waits for the outermost work, and a throwing piece of work does not wedge it', () => {
    const log: string[] = [];
    const queue = new CommandQueue<string>((command) => log.push(command));
    queue.run(() => {
      queue.run(() => queue.submit('inner'));
      log.push('outer still running');
    });
    expect(log).toEqual(['outer still running', 'inner']);
    expect(() => queue.run(() => {
      throw new Error('boom');
    })).toThrow('boom');
    queue.submit('after');
    expect(log.at(-1)).toBe('after');
  });
});

describe('the engine is never re-entered', () => {
  it('a listener calling handle() inside emit is applied after the current action list', async () => {
    const f = await fakeEngine({ turn: { speculative: false } });
    f.stages.llm.auto = ['Sure, ', 'here it is.'];
    const order: string[] = [];
    let insideListener = false;
    let asked = false;
    f.engine.on((event) => {
      if (event.type === 'level') return;
      order.push(insideListener ? `${event.type} (during the listener)` : event.type);
      if (event.type === 'phase' && event.phase === 'thinking' && !asked) {
        asked = true;
        insideListener = true;
        f.engine.handle({ type: 'cancel' });
        insideListener = false;
        order.push('handle returned');
      }
    });
    f.engine.handle({ type: 'text_input', text: 'hello there' });
    await settle();
    expect(asked).toBe(true);
    // Nothing of the cancel ran inside the listener: handle() returned first.
    expect(order.filter((o) => o.endsWith('(during the listener)'))).toEqual([]);
    const returned = order.indexOf('handle returned');
    expect(order[returned - 1]).toBe('phase');
    // ...and the cancel was applied afterwards, once the action list that emitted the phase was done.
    expect(order.slice(returned)).toContain('cancelled');
    await f.engine.dispose();
  });
});
