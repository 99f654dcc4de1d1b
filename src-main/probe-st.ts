import { WhisperFeatureExtractor } from '@huggingface/transformers';
import { LogMel } from './engine/stages/turn/log-mel';
import { readWavAs16kMono } from './audio/wav';
const fe = new WhisperFeatureExtractor({ feature_size: 80, sampling_rate: 16000, hop_length: 160, n_fft: 400, chunk_length: 8, n_samples: 128000, nb_max_frames: 800, padding_value: 0 });
const lm = new LogMel({ window: (fe as unknown as { window: Float64Array }).window, melFilters: (fe as unknown as { config: { mel_filters: number[][] } }).config.mel_filters, hop: 160, frames: 800 });
const speech = readWavAs16kMono('test/fixtures/speech/jfk.wav').samples;
const audio = new Float32Array(128000); audio.set(speech.subarray(0, 128000));
const ref = (await fe(audio)).input_features.data as Float32Array;
const mine = lm.compute(audio);
let maxd = 0; for (let i = 0; i < ref.length; i++) maxd = Math.max(maxd, Math.abs(ref[i]! - mine[i]!));
console.log('len', ref.length, mine.length, 'max diff', maxd);
let t = performance.now(); for (let i = 0; i < 10; i++) lm.compute(audio); console.log('mine ms', ((performance.now() - t) / 10).toFixed(1));
t = performance.now(); for (let i = 0; i < 3; i++) await fe(audio); console.log('lib ms', ((performance.now() - t) / 3).toFixed(1));
{
  const f = (lm as unknown as { fft: { transform(a: Float64Array, o: number, r: Float64Array, i: Float64Array): void } }).fft;
  const x = new Float64Array(400).map(() => Math.random()); const r = new Float64Array(400); const i = new Float64Array(400);
  for (let k = 0; k < 2000; k++) f.transform(x, 0, r, i);
  const t0 = performance.now(); for (let k = 0; k < 8000; k++) f.transform(x, 0, r, i); console.log('fft us', ((performance.now() - t0) / 8000 * 1000).toFixed(1));
}
