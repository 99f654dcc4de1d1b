import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src-main/shared/config';
import { Endpointer, type EndpointEvent } from '../../../src-main/engine/mic/endpointing';

/** Pure state-machine tests: probabilities are given directly (no model), on 32 ms windows. */

const WINDOW = 512;
const WINDOW_MS = 32;
const vadConfig = resolveConfig().vad; // threshold 0.5, neg 0.35, minSpeech 120, preRoll 200, eot 300, pause 96, max 28000

function feeder(endpointer: Endpointer) {
  let t = 0;
  const events: EndpointEvent[] = [];
  const window = new Float32Array(WINDOW);
  return {
    events,
    get t() {
      return t;
    },
    push(probability: number, count = 1, level = 0.1): EndpointEvent[] {
      const out: EndpointEvent[] = [];
      for (let i = 0; i < count; i++) {
        window.fill(level * (i % 2 === 0 ? 1 : -1));
        t += WINDOW_MS;
        out.push(...endpointer.push(window, probability, t));
      }
      events.push(...out);
      return out;
    },
  };
}

describe('Endpointer', () => {
  it('emits speech_start late but stamped at the first voiced window, then pause, end and eot in order', () => {
    const ep = new Endpointer({ ...vadConfig, onsetBackoff: false });
    const f = feeder(ep);
    f.push(0.01, 20, 0.0005); // 640 ms of quiet
    const first = f.push(0.9, 3); // 96 ms: not yet minSpeechMs
    expect(first).toEqual([]);
    expect(ep.state).toBe('pending');
    const confirm = f.push(0.9, 1); // 128 ms ≥ 120
    expect(confirm).toEqual([{ kind: 'speech_start', t: 640 }]);
    f.push(0.9, 30);
    expect(ep.state).toBe('speech');
    const speechEnd = f.t;
    const silence = f.push(0.05, 12, 0.0005);
    const kinds = silence.map((e) => e.kind);
    expect(kinds).toEqual(['speech_pause', 'speech_end', 'eot_confirmed']);
    const [pause, end, eot] = silence;
    expect(pause).toMatchObject({ kind: 'speech_pause', t: speechEnd + 96, silenceStartMs: speechEnd });
    expect(end).toMatchObject({ kind: 'speech_end', t: speechEnd, forced: false });
    expect(eot).toMatchObject({ kind: 'eot_confirmed', t: speechEnd + 320 });
    if (eot?.kind !== 'eot_confirmed') throw new Error('unreachable');
    // pre-roll (200 ms) + 34 voiced windows + trailing silence trimmed to preRollMs.
    expect(eot.audio.length).toBe(200 * 16 + 34 * WINDOW + 200 * 16);
    expect(eot.audioStartMs).toBe(640 - 200);
    expect(ep.state).toBe('silence');
    expect(ep.utterance().length).toBe(0);
  });

  it('ignores voiced blips shorter than minSpeechMs', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.01, 10, 0.0005);
    f.push(0.95, 2);
    f.push(0.01, 10, 0.0005);
    expect(f.events).toEqual([]);
    expect(ep.bufferedSamples).toBe(0);
  });

  it('applies hysteresis: probabilities between the thresholds neither start nor stop the silence timer', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.9, 10);
    // 0.4 is ≥ negativeThreshold: still speech, no silence timer running.
    expect(f.push(0.4, 20).map((e) => e.kind)).toEqual([]);
    // Silence starts; 0.4 windows inside the silence keep the timer running.
    f.push(0.1, 2);
    const out = f.push(0.4, 10);
    expect(out.map((e) => e.kind)).toEqual(['speech_pause', 'speech_end', 'eot_confirmed']);
  });

  it('speech coming back after a pause gives speech_resume, not a new turn', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.9, 10);
    const pause = f.push(0.05, 4, 0.0005);
    expect(pause.map((e) => e.kind)).toEqual(['speech_pause']);
    expect(ep.state).toBe('paused');
    const resume = f.push(0.9, 1);
    expect(resume).toEqual([{ kind: 'speech_resume', t: f.t - WINDOW_MS }]);
    expect(ep.state).toBe('speech');
    f.push(0.05, 12, 0.0005);
    expect(f.events.filter((e) => e.kind === 'speech_start')).toHaveLength(1);
    expect(f.events.filter((e) => e.kind === 'eot_confirmed')).toHaveLength(1);
  });

  it('moves speech_start back over an energetic onset the VAD scored low, never beyond preRollMs', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.01, 40, 0.0003); // quiet room: ≈ -70 dB
    f.push(0.2, 10, 0.05); // 320 ms of a fricative at ≈ -26 dB that Silero scores 0.2
    const start = f.push(0.9, 4, 0.1).find((e) => e.kind === 'speech_start');
    // First voiced window starts at 1600 ms; back-off limited to 200 ms (whole windows) → 1408.
    expect(start?.t).toBe(1600 - 192);
    const noBackoff = new Endpointer({ ...vadConfig, onsetBackoff: false });
    const g = feeder(noBackoff);
    g.push(0.01, 40, 0.0003);
    g.push(0.2, 10, 0.05);
    expect(g.push(0.9, 4, 0.1).find((e) => e.kind === 'speech_start')?.t).toBe(1600);
  });

  it('does not back off over steady background noise 15 dB below the speech', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.05, 40, 0.01); // -40 dB crowd noise
    const start = f.push(0.9, 4, 0.1).find((e) => e.kind === 'speech_start');
    expect(start?.t).toBe(1280);
  });

  it('forceEnd (push-to-talk release) ends pending or active speech and returns [] in silence', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    expect(ep.forceEnd(10)).toEqual([]);
    f.push(0.9, 2); // pending, not yet confirmed
    const out = ep.forceEnd(f.t + 5);
    expect(out.map((e) => e.kind)).toEqual(['speech_start', 'speech_end', 'eot_confirmed']);
    expect(out[1]).toMatchObject({ kind: 'speech_end', t: f.t, forced: true });
    expect(out[2]).toMatchObject({ kind: 'eot_confirmed', t: f.t + 5, forced: true });
    expect(ep.state).toBe('silence');
  });

  it('an hour of silence grows nothing: only the fixed pre-roll ring is written', () => {
    const ep = new Endpointer(vadConfig);
    const window = new Float32Array(WINDOW);
    const capacity = ep.capacity;
    let seed = 7;
    const windows = Math.ceil((3600 * 1000) / WINDOW_MS);
    for (let i = 1; i <= windows; i++) {
      for (let j = 0; j < WINDOW; j++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        window[j] = (seed / 0x100000000 - 0.5) * 1e-3;
      }
      const events = ep.push(window, 0.02, i * WINDOW_MS);
      if (events.length > 0) throw new Error(`unexpected events at window ${i}`);
    }
    expect(ep.state).toBe('silence');
    expect(ep.bufferedSamples).toBe(0);
    expect(ep.preRollSamples).toBe(capacity.preRoll);
    expect(ep.capacity).toEqual(capacity);
    expect(ep.utterance().length).toBe(0);
  });

  it('a 10-minute monologue keeps at most maxUtteranceMs buffered and hands out utterance windows', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    const maxSamples = (vadConfig.maxUtteranceMs * 16000) / 1000;
    let maxBuffered = 0;
    let handedOut = 0;
    const windows: number[] = [];
    for (let i = 0; i < (10 * 60 * 1000) / WINDOW_MS; i++) {
      for (const e of f.push(0.95, 1)) {
        if (e.kind === 'utterance_window') {
          windows.push(e.index);
          handedOut += e.audio.length;
          expect(e.audio.length).toBe(maxSamples);
          expect(e.audioEndMs - e.audioStartMs).toBeCloseTo(vadConfig.maxUtteranceMs, 6);
        }
      }
      maxBuffered = Math.max(maxBuffered, ep.bufferedSamples);
    }
    expect(maxBuffered).toBeLessThanOrEqual(maxSamples);
    expect(ep.capacity.utterance).toBe(maxSamples);
    expect(windows).toEqual(windows.map((_, i) => i));
    // Speech starts at t=0: there is no pre-roll to prepend.
    expect(windows.length).toBe(Math.floor((10 * 60 * 16000) / maxSamples));
    const end = f.push(0.01, 12, 0.0005);
    const eot = end.find((e) => e.kind === 'eot_confirmed');
    if (eot?.kind !== 'eot_confirmed') throw new Error('no eot_confirmed');
    // Nothing lost or duplicated: windows + final piece = 10 min of speech + 200 ms trailing tail.
    expect(handedOut + eot.audio.length).toBe(10 * 60 * 16000 + 200 * 16);
  });

  it('rejects a negativeThreshold above the threshold', () => {
    expect(() => new Endpointer({ ...vadConfig, threshold: 0.3, negativeThreshold: 0.5 })).toThrow(/negativeThreshold/);
  });

  it('reset() returns to silence and forgets the utterance', () => {
    const ep = new Endpointer(vadConfig);
    const f = feeder(ep);
    f.push(0.9, 10);
    expect(ep.utterance().length).toBeGreaterThan(0);
    ep.reset();
    expect(ep.state).toBe('silence');
    expect(ep.utterance().length).toBe(0);
    expect(ep.preRollSamples).toBe(0);
  });
});
