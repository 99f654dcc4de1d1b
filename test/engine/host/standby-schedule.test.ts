import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StandbySchedule } from '../../../src-main/engine/host/standby-schedule';

describe('StandbySchedule (when a host loads its standby engine)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const phase = (p: 'listening' | 'hearing' | 'thinking' | 'speaking') => ({ type: 'phase' as const, phase: p, mode: 'always-listening' as const, muted: false });

  it('loads after the engine has been idle for the delay, not during a turn', () => {
    const load = vi.fn();
    const schedule = new StandbySchedule({ delayMs: 1000, maxWaitMs: 8000, load, follow: () => undefined });
    schedule.want();
    vi.advanceTimersByTime(600);
    schedule.observe(phase('hearing'));
    vi.advanceTimersByTime(3000);
    expect(load).not.toHaveBeenCalled();
    schedule.observe(phase('listening'));
    vi.advanceTimersByTime(999);
    expect(load).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(load).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(20_000);
    expect(load, 'once per want').toHaveBeenCalledTimes(1);
  });

  it('an answer that only plays (its synthesis done) leaves the cores idle: the standby may load', () => {
    const load = vi.fn();
    const schedule = new StandbySchedule({ delayMs: 750, maxWaitMs: 8000, load, follow: () => undefined });
    schedule.want();
    schedule.observe({ type: 'llm_request', turn: 1, t: 0 });
    schedule.observe(phase('speaking'));
    vi.advanceTimersByTime(2000);
    expect(load).not.toHaveBeenCalled();
    schedule.observe({ type: 'tts_done', turn: 1, t: 0 });
    vi.advanceTimersByTime(750);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('loads at the latest after maxWaitMs, however busy the engine is', () => {
    const load = vi.fn();
    const schedule = new StandbySchedule({ delayMs: 1000, maxWaitMs: 8000, load, follow: () => undefined });
    schedule.observe(phase('thinking'));
    schedule.want();
    vi.advanceTimersByTime(7999);
    expect(load).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('cancel stops a pending load; every written turn and history change is a follow', () => {
    const load = vi.fn();
    const follow = vi.fn();
    const schedule = new StandbySchedule({ load, follow });
    schedule.want();
    schedule.cancel();
    vi.advanceTimersByTime(60_000);
    expect(load).not.toHaveBeenCalled();
    schedule.observe({ type: 'turn_done', turn: 1, t: 0, user: 'a', assistant: 'b', interrupted: false });
    schedule.observe({ type: 'history', turns: [] });
    schedule.observe(phase('speaking'));
    expect(follow).toHaveBeenCalledTimes(2);
  });
});
