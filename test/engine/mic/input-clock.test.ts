import { describe, expect, it } from 'vitest';
import { InputClock } from '../../../src-main/engine/mic/input-clock';

describe('InputClock', () => {
  it('places a command after the latest frame by the time since it arrived', () => {
    const clock = new InputClock(() => 0, () => 0);
    clock.arrived(32, 1000);
    clock.arrived(64, 1032);
    expect(clock.inputMsAt(1050)).toBe(82);
  });

  it('never places a command more than one frame past the latest frame (a stalled engine or host)', () => {
    const clock = new InputClock(() => 0, () => 0);
    clock.arrived(32, 1000);
    clock.arrived(64, 1032);
    // 200 ms without a frame: the command was sent before the next frame was complete.
    expect(clock.inputMsAt(1232)).toBe(96);
    clock.arrived(84, 1240);
    expect(clock.inputMsAt(1400)).toBe(104);
  });

  it('maps input-clock points of arrived frames back onto engine time', () => {
    const clock = new InputClock(() => 0, () => 7);
    expect(clock.engineTime(10)).toBe(7);
    clock.arrived(32, 1000);
    clock.arrived(64, 1040);
    expect(clock.engineTime(50)).toBe(1026);
    expect(clock.inputMsAt(0)).toBe(64 - 1040);
  });
});
