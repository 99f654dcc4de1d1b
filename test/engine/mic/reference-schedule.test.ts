import { describe, expect, it } from 'vitest';
import { EchoReferenceSchedule, type ReferenceSink } from '../../../src-main/engine/mic/echo/reference-schedule';
import { SampleTimeline } from '../../../src-main/engine/mic/echo/timeline';

/** A sink over the guard's own timeline: where each sample of the reference ends up (16 kHz). */
function sink(): ReferenceSink & { at: (ms: number) => number } {
  const timeline = new SampleTimeline(1 << 16);
  return {
    get referenceEndMs() {
      return (timeline.endIndex * 1000) / 16000;
    },
    addReference: (samples, _rate, startMs) => timeline.write(samples, Math.round(startMs * 16)),
    cutReference: (fromMs) => timeline.truncate(Math.round(fromMs * 16)),
    at: (ms) => timeline.at(Math.round(ms * 16)),
  };
}

const unit = (ms: number, level: number): Float32Array => new Float32Array(ms * 16).fill(level);

describe('EchoReferenceSchedule', () => {
  it('places audio at its playback_started once the player reports', () => {
    const s = sink();
    const schedule = new EchoReferenceSchedule(() => s);
    schedule.playerReported();
    schedule.answerAudio(2, unit(100, 0.5), 16000, 1000);
    expect(s.at(1010)).toBe(0);
    schedule.playbackStarted(2, 1040);
    expect(s.at(1039)).toBe(0);
    expect(s.at(1040)).toBe(0.5);
    expect(s.at(1139)).toBe(0.5);
  });

  it("moves the first answer, placed at emission before any report, to where the player started it", () => {
    const s = sink();
    const schedule = new EchoReferenceSchedule(() => s);
    schedule.answerAudio(1, unit(100, 0.5), 16000, 1000);
    schedule.answerAudio(1, unit(50, 0.25), 16000, 1010);
    expect(s.at(1000)).toBe(0.5); // a host that never reports: heard from emission
    schedule.playbackStarted(1, 1030);
    expect(s.at(1000)).toBe(0);
    expect(s.at(1029)).toBe(0);
    expect(s.at(1030)).toBe(0.5);
    expect(s.at(1129)).toBe(0.5);
    expect(s.at(1130)).toBe(0.25);
    expect(s.at(1180)).toBe(0);
    // Later answers follow the reports.
    schedule.answerAudio(2, unit(100, 0.75), 16000, 2000);
    expect(s.at(2000)).toBe(0);
    schedule.playbackStarted(2, 2030);
    expect(s.at(2030)).toBe(0.75);
  });
});
