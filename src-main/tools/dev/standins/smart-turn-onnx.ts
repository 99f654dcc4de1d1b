import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from '../shared-data';
import { encodeOnnxModel, OnnxDataType, type OnnxNode, type OnnxTensor } from './onnx-writer';
import { seededNormals } from './seeded';

/**
 * A stand-in for Smart Turn v3 (pipecat-ai/smart-turn): its network with seeded weights, in the
 * real file format and with the real I/O, so the app's loader, feature extractor and inference run
 * on it unchanged and cost what the real network costs.
 *
 * The network (smart-turn's `model.py`): Whisper-tiny's encoder (two GELU convolutions, 80 mel
 * bins → 384, the second with stride 2; sinusoidal positions; 4 pre-norm transformer layers, 6
 * heads, MLP 1536; final LayerNorm) sized for 8 s of audio (800 mel frames → 400 positions), then
 * attention pooling (Linear 384→256, tanh, Linear 256→1, softmax over time) and the classifier
 * (Linear 384→256, LayerNorm, GELU, Linear 256→64, GELU, Linear 64→1) with a sigmoid: the
 * probability that the turn is complete. Input `input_features` float32 [batch, 80, 800]; output
 * float32 [batch, 1]. About 8.0 M parameters.
 *
 *
 * Precision as the published CPU file (`smart-turn-v3.0.onnx`, ~8 MB): every weight matrix int8,
 * quantized dynamically as onnxruntime's `quantize_dynamic` writes it; the two convolutions stay
 * fp32 here (~2 MB more than a file whose convolutions are quantized too; they are ~6 % of the
 * multiply-adds). What differs from the shipped file: the weights are seeded (its verdicts mean
 * nothing).
 */

const MELS = 80;
const FRAMES = 800;
const POSITIONS = FRAMES / 2;
const D = 384;
const HEADS = 6;
const HEAD_DIM = D / HEADS;
const FFN = 1536;
const LAYERS = 4;
const POOL = 256;
const GENERATOR_VERSION = 2;

export const SMART_TURN_STANDIN_FILE = 'smart-turn-v3-standin.onnx';

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private seed = 1234;
  private names = 0;

  weight(name: string, dims: number[], scale = 0.02): string {
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name, dims, data: seededNormals(this.seed++, count, scale) });
    return name;
  }

  constant(name: string, dims: number[], values: ArrayLike<number>): string {
    this.initializers.push({ name, dims, data: Float32Array.from(values) });
    return name;
  }

  shape(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  }

  op(opType: string, inputs: string[], attributes?: OnnxNode['attributes']): string {
    const out = `${opType.toLowerCase()}_${this.names++}`;
    this.nodes.push({ opType, inputs, outputs: [out], ...(attributes ? { attributes } : {}) });
    return out;
  }

  /**
   * x·W + b (W: [in, out]), with W quantized to int8 as onnxruntime's `quantize_dynamic` writes
   * it (the published CPU file is made so): the activations are quantized per call
   * (DynamicQuantizeLinear), multiplied in integers (MatMulInteger), and scaled back.
   */
  linear(x: string, name: string, inputs: number, outputs: number, bias = true): string {
    const weights = seededNormals(this.seed++, inputs * outputs, 0.02);
    let peak = 0;
    for (const w of weights) peak = Math.max(peak, Math.abs(w));
    const scale = peak / 127;
    const quantized = Int8Array.from(weights, (w) => Math.round(w / scale));
    this.initializers.push({ name: `${name}.weight_quantized`, dims: [inputs, outputs], data: quantized });
    this.initializers.push({ name: `${name}.weight_zero_point`, dims: [], data: new Int8Array(1) });
    const q = `${name}.input_quantized`;
    this.nodes.push({ opType: 'DynamicQuantizeLinear', inputs: [x], outputs: [q, `${q}_scale`, `${q}_zero_point`] });
    const product = this.op('MatMulInteger', [q, `${name}.weight_quantized`, `${q}_zero_point`, `${name}.weight_zero_point`]);
    const asFloat = this.op('Cast', [product], { to: { kind: 'int', value: OnnxDataType.FLOAT } });
    const scales = this.op('Mul', [`${q}_scale`, this.constant(`${name}.weight_scale`, [], [scale])]);
    const y = this.op('Mul', [asFloat, scales]);
    return bias ? this.op('Add', [y, this.constant(`${name}.bias`, [outputs], new Float32Array(outputs))]) : y;
  }

  layerNorm(x: string, name: string, width: number): string {
    const scale = this.constant(`${name}.weight`, [width], new Float32Array(width).fill(1));
    const bias = this.constant(`${name}.bias`, [width], new Float32Array(width));
    return this.op('LayerNormalization', [x, scale, bias], { axis: { kind: 'int', value: -1 }, epsilon: { kind: 'float', value: 1e-5 } });
  }

  /** Exact GELU, 0.5·x·(1 + erf(x/√2)), as torch's nn.GELU. */
  gelu(x: string): string {
    const scaled = this.op('Mul', [x, this.constant(`gelu_scale_${this.names}`, [1], [Math.SQRT1_2])]);
    const erf = this.op('Erf', [scaled]);
    const plusOne = this.op('Add', [erf, this.constant(`gelu_one_${this.names}`, [1], [1])]);
    const half = this.op('Mul', [x, this.constant(`gelu_half_${this.names}`, [1], [0.5])]);
    return this.op('Mul', [half, plusOne]);
  }

  conv(x: string, name: string, inputs: number, outputs: number, stride: number): string {
    const w = this.weight(`${name}.weight`, [outputs, inputs, 3]);
    const b = this.constant(`${name}.bias`, [outputs], new Float32Array(outputs));
    return this.op('Conv', [x, w, b], { kernel_shape: { kind: 'ints', value: [3] }, pads: { kind: 'ints', value: [1, 1] }, strides: { kind: 'ints', value: [stride] } });
  }
}

/** Whisper's sinusoidal position embedding (`sinusoids(length, channels)` in openai/whisper). */
function sinusoids(length: number, channels: number): Float32Array {
  const out = new Float32Array(length * channels);
  const half = channels / 2;
  const increment = Math.log(10000) / (half - 1);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.exp(-increment * i);
      out[t * channels + i] = Math.sin(angle);
      out[t * channels + half + i] = Math.cos(angle);
    }
  }
  return out;
}

export function buildSmartTurnStandinModel(): Uint8Array {
  const g = new GraphBuilder();
  let x = g.gelu(g.conv('input_features', 'encoder.conv1', MELS, D, 1));
  x = g.gelu(g.conv(x, 'encoder.conv2', D, D, 2));
  x = g.op('Transpose', [x], { perm: { kind: 'ints', value: [0, 2, 1] } });
  x = g.op('Add', [x, g.constant('encoder.embed_positions', [POSITIONS, D], sinusoids(POSITIONS, D))]);
  const heads = g.shape('heads_shape', [0, -1, HEADS, HEAD_DIM]);
  const merged = g.shape('merged_shape', [0, -1, D]);
  const scale = g.constant('attention_scale', [1], [1 / Math.sqrt(HEAD_DIM)]);
  for (let layer = 0; layer < LAYERS; layer++) {
    const p = `encoder.layers.${layer}`;
    const h = g.layerNorm(x, `${p}.self_attn_layer_norm`, D);
    const split = (name: string, bias: boolean, perm: number[]): string =>
      g.op('Transpose', [g.op('Reshape', [g.linear(h, `${p}.self_attn.${name}`, D, D, bias), heads])], { perm: { kind: 'ints', value: perm } });
    const q = split('q_proj', true, [0, 2, 1, 3]);
    const k = split('k_proj', false, [0, 2, 3, 1]); // Whisper's key projection has no bias
    const v = split('v_proj', true, [0, 2, 1, 3]);
    const weights = g.op('Softmax', [g.op('Mul', [g.op('MatMul', [q, k]), scale])], { axis: { kind: 'int', value: -1 } });
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [weights, v])], { perm: { kind: 'ints', value: [0, 2, 1, 3] } }), merged]);
    x = g.op('Add', [x, g.linear(context, `${p}.self_attn.out_proj`, D, D)]);
    const m = g.layerNorm(x, `${p}.final_layer_norm`, D);
    x = g.op('Add', [x, g.linear(g.gelu(g.linear(m, `${p}.fc1`, D, FFN)), `${p}.fc2`, FFN, D)]);
  }
  x = g.layerNorm(x, 'encoder.layer_norm', D);
  // Attention pooling over time.
  const score = g.linear(g.op('Tanh', [g.linear(x, 'pool_attention.0', D, POOL)]), 'pool_attention.2', POOL, 1);
  const attention = g.op('Softmax', [score], { axis: { kind: 'int', value: 1 } });
  const pooled = g.op('Reshape', [g.op('MatMul', [g.op('Transpose', [attention], { perm: { kind: 'ints', value: [0, 2, 1] } }), x]), g.shape('pooled_shape', [0, D])]);
  let c = g.linear(pooled, 'classifier.0', D, POOL);
  c = g.gelu(g.layerNorm(c, 'classifier.1', POOL));
  c = g.gelu(g.linear(c, 'classifier.4', POOL, 64));
  const logit = g.linear(c, 'classifier.6', 64, 1);
  g.nodes.push({ opType: 'Sigmoid', inputs: [logit], outputs: ['probability'] });
  return encodeOnnxModel({
    opsetVersion: 17,
    docString: 'Smart Turn v3 stand-in: the network with seeded weights (verdicts are meaningless)',
    graph: {
      name: 'smart_turn_v3_standin',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: 'input_features', elemType: OnnxDataType.FLOAT, shape: ['batch', MELS, FRAMES] }],
      outputs: [{ name: 'probability', elemType: OnnxDataType.FLOAT, shape: ['batch', 1] }],
    },
  });
}

/** The stand-in file, generated once into the cache (atomically). */
export async function ensureSmartTurnStandin(): Promise<string> {
  const file = path.join(cacheDir('standins', `smart-turn-v3-standin-v${GENERATOR_VERSION}`), SMART_TURN_STANDIN_FILE);
  if (await stat(file).then(() => true, () => false)) return file;
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(tmp, buildSmartTurnStandinModel());
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
  return file;
}
