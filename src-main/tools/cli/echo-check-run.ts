import { VAD_WINDOW_SAMPLES, type EngineConfig } from '../../shared/config';
import { createBargeInDetector } from '../../engine/mic/barge-in';
import { MicPath, type SpeechProbability } from '../../engine/mic/mic-path';

/**
 * The echo check: plays `far` as the assistant's answer for its whole length (the reference goes
 * to the guard at time 0, as the player would report it), feeds `mic` window by window through the
 * app's barge-in path — the engine's `MicPath` (EchoGuard → VAD) and a detector made as the turn
 * controller makes its own (`createBargeInDetector`), fed while the answer is audible as the
 * controller feeds it — and lists every moment the answer would have been interrupted. Playback is not stopped by a detection (this measures the decision,
 * not the reaction).
 */
export interface EchoCheckInput {
  far: Float32Array;
  mic: Float32Array;
  vad: SpeechProbability & { reset(): void };
  config: Pick<EngineConfig, 'echo'>;
  /** Where the reference is said to be heard (ms on the mic's clock); 0 = sample-aligned. */
  referenceStartMs?: number;
}

export interface EchoCheckResult {
  /** When the path decided the user barged in (input-clock ms): the moment the answer would be interrupted. */
  detections_ms: number[];
  /** For each detection, the onset of the voice run that triggered it. */
  onsets_ms: number[];
  far_ms: number;
}

export interface EchoCheckTrace extends EchoCheckResult {
  windows: { startMs: number; probability: number; echoFraction: number }[];
}

const SR = 16000;

export async function runEchoCheck(input: EchoCheckInput): Promise<EchoCheckTrace> {
  const { far, mic, vad, config } = input;
  if (far.length === 0) throw new RangeError('echo-check: the far-end signal is empty');
  if (mic.length === 0) throw new RangeError('echo-check: the microphone signal is empty');
  vad.reset();
  const path = new MicPath(vad, config);
  const detector = createBargeInDetector(config);
  path.addReference(far, SR, input.referenceStartMs ?? 0);
  const farMs = (far.length * 1000) / SR;
  const detections: number[] = [];
  const onsets: number[] = [];
  const windows: EchoCheckTrace['windows'] = [];
  for (let start = 0; start + VAD_WINDOW_SAMPLES <= mic.length; start += VAD_WINDOW_SAMPLES) {
    const endMs = ((start + VAD_WINDOW_SAMPLES) * 1000) / SR;
    // Judged on the audio the window holds: while the guard cleans, it lags by the guard's latency.
    const audible = endMs - path.latencyMs <= farMs;
    const heard = await path.hear(mic.subarray(start, start + VAD_WINDOW_SAMPLES), endMs);
    windows.push({ startMs: heard.startMs, probability: heard.probability, echoFraction: heard.echoFraction });
    const bargeIn = audible ? detector.push(heard) : null;
    if (bargeIn) {
      detections.push(Math.round(heard.endMs));
      onsets.push(Math.max(0, Math.round(bargeIn.onsetMs)));
    }
  }
  return { detections_ms: detections, onsets_ms: onsets, far_ms: Math.round(farMs), windows };
}
