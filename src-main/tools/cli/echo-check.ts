/**
 * npm run echo-check -- --far <wav> --mic <wav> [--json out.json] [--reference-start-ms N] [--no-guard]
 *
 * Plays --far as the assistant's voice for its whole length (the reference the engine sends to the
 * player), feeds --mic (what the microphone heard: echo, plus any user) through the product's
 * barge-in path — EchoGuard → Silero VAD → BargeInDetector, the classes the app runs — and writes
 * {"detections_ms": [...], "far_ms": n}: every moment the answer would have been interrupted
 * because the user talked (plus "onsets_ms", where each triggering voice run began).
 * --no-guard runs the same path with the echo guard off (the headphones setting), for comparison.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readWavAs16kMono } from '../../audio/wav';
import { resolveConfig } from '../../shared/config';
import { SileroVad } from '../../engine/stages/vad/silero-vad';
import { runEchoCheck } from './echo-check-run';
import { runEngineCli } from './run-engine-cli';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      far: { type: 'string' },
      mic: { type: 'string' },
      json: { type: 'string' },
      'reference-start-ms': { type: 'string', default: '0' },
      'no-guard': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.far || !values.mic) {
    console.error('echo-check: --far <wav> (what the assistant plays) and --mic <wav> (what the microphone heard) are required');
    return 2;
  }
  const referenceStartMs = Number(values['reference-start-ms']);
  if (!Number.isFinite(referenceStartMs)) {
    console.error(`echo-check: --reference-start-ms must be a number, got "${values['reference-start-ms']}"`);
    return 2;
  }
  const far = readWavAs16kMono(values.far).samples;
  const mic = readWavAs16kMono(values.mic).samples;
  const config = resolveConfig({ echo: { enabled: !values['no-guard'] } });
  const vad = await SileroVad.load({ threads: 1 });
  try {
    const result = await runEchoCheck({ far, mic, vad, config, referenceStartMs });
    const out = { detections_ms: result.detections_ms, far_ms: result.far_ms, onsets_ms: result.onsets_ms };
    const text = JSON.stringify(out);
    if (values.json) writeFileSync(values.json, text + '\n');
    console.log(text);
    return 0;
  } finally {
    await vad.dispose();
  }
}

runEngineCli('echo-check', main);
