import { describe, expect, it } from 'vitest';
import { criticalPathOverhead, queuedMs, type CallInterval } from '../../src-main/tools/bench/run';

/** The bench's engine-overhead figure: the gaps between the critical path's links (hand-made timelines). */
describe('criticalPathOverhead', () => {
  const marks = { eot_confirmed: 1000, llm_request: 1302, first_unit_ready: 1500 };

  it('sums the gaps endpoint → STT → LLM → first unit → TTS → audio, not the model calls', () => {
    const calls: CallInterval[] = [
      { stage: 'vad', start: 1000, end: 1002 },
      { stage: 'stt', start: 1003, end: 1300 },
      { stage: 'llm', start: 1302, end: 1900 },
      { stage: 'tts', start: 1501, end: 2400 },
    ];
    const result = criticalPathOverhead(calls, marks, undefined, 2401);
    expect(result?.gaps).toEqual({ endpoint_to_stt: 1, stt_to_llm: 2, unit_to_tts: 1, tts_to_audio: 1 });
    expect(result?.total).toBe(5);
  });

  it('a first unit from the cache has no synthesis on the path: a later unit\'s is not taken for it', () => {
    const calls: CallInterval[] = [
      { stage: 'stt', start: 1001, end: 1300 },
      { stage: 'llm', start: 1302, end: 1900 },
      // The second unit's synthesis starts after the cached first unit's audio.
      { stage: 'tts', start: 2000, end: 3000 },
    ];
    const result = criticalPathOverhead(calls, marks, undefined, 1502);
    expect(result?.gaps).toEqual({ endpoint_to_stt: 1, stt_to_llm: 2, unit_to_audio: 2 });
    expect(result?.total).toBe(5);
  });

  it('reports the time the critical STT and TTS calls waited behind another call of their stage', () => {
    const calls: CallInterval[] = [
      { stage: 'stt', start: 900, end: 1100 }, // a partial transcription still running
      { stage: 'stt', start: 1003, end: 1300 },
      { stage: 'llm', start: 1302, end: 1900 },
      { stage: 'tts', start: 1200, end: 1650 }, // the previous answer's synthesis, finishing
      { stage: 'tts', start: 1501, end: 2400 },
    ];
    const result = criticalPathOverhead(calls, marks, undefined, 2401);
    expect(result?.queued).toEqual({ stt: 97, tts: 149 });
    expect(queuedMs(calls, calls[2]!)).toBe(0);
  });
});
