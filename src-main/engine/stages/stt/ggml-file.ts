import { constants as fsConstants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';

/**
 * The whisper.cpp model file check. whisper.cpp's loader dereferences a null context when loading
 * fails (smart-whisper calls whisper_print_timings on it) and aborts on a bad ftype, which kills
 * the process: so everything the loader checks is checked here first, with an error naming the file.
 */
export interface WhisperModelInfo {
  hparams: WhisperFileHparams;
  tensors: number;
  fileBytes: number;
  multilingual: boolean;
}

export interface WhisperFileHparams {
  n_vocab: number;
  n_audio_ctx: number;
  n_audio_state: number;
  n_audio_head: number;
  n_audio_layer: number;
  n_text_ctx: number;
  n_text_state: number;
  n_text_head: number;
  n_text_layer: number;
  n_mels: number;
  ftype: number;
}


const GGML_MAGIC = 0x67676d6c;
const HPARAM_KEYS: (keyof WhisperFileHparams)[] = [
  'n_vocab', 'n_audio_ctx', 'n_audio_state', 'n_audio_head', 'n_audio_layer',
  'n_text_ctx', 'n_text_state', 'n_text_head', 'n_text_layer', 'n_mels', 'ftype',
];

/** ggml type id → [block size, bytes per block]. */
const GGML_TYPES: Record<number, [number, number]> = {
  0: [1, 4], // F32
  1: [1, 2], // F16
  2: [32, 18], // Q4_0
  3: [32, 20], // Q4_1
  6: [32, 22], // Q5_0
  7: [32, 24], // Q5_1
  8: [32, 34], // Q8_0
  9: [32, 36], // Q8_1
  10: [256, 84], // Q2_K
  11: [256, 110], // Q3_K
  12: [256, 144], // Q4_K
  13: [256, 176], // Q5_K
  14: [256, 210], // Q6_K
  15: [256, 292], // Q8_K
  30: [1, 2], // BF16
};
/** ggml file type (hparams.ftype % 1000) → weight tensor type, as ggml_ftype_to_ggml_type. */
const FTYPE_TO_WTYPE: Record<number, number> = { 0: 0, 1: 1, 2: 2, 3: 3, 7: 8, 8: 6, 9: 7, 10: 10, 11: 11, 12: 12, 13: 13, 14: 14, 24: 30 };

interface ExpectedTensor {
  ne: [number, number, number];
  type: number;
}

function expectedTensors(hp: WhisperFileHparams, wtype: number): Map<string, ExpectedTensor> {
  const vtype = wtype === 0 ? 0 : 1;
  const m = new Map<string, ExpectedTensor>();
  const put = (name: string, type: number, ne0: number, ne1 = 1, ne2 = 1): void => {
    m.set(name, { ne: [ne0, ne1, ne2], type });
  };
  const block = (p: string, n: number, cross: boolean): void => {
    const attn = (a: string): void => {
      put(`${p}.${a}.query.weight`, wtype, n, n);
      put(`${p}.${a}.query.bias`, 0, n);
      put(`${p}.${a}.key.weight`, wtype, n, n);
      put(`${p}.${a}.value.weight`, wtype, n, n);
      put(`${p}.${a}.value.bias`, 0, n);
      put(`${p}.${a}.out.weight`, wtype, n, n);
      put(`${p}.${a}.out.bias`, 0, n);
      put(`${p}.${a}_ln.weight`, 0, n);
      put(`${p}.${a}_ln.bias`, 0, n);
    };
    attn('attn');
    if (cross) attn('cross_attn');
    put(`${p}.mlp.0.weight`, wtype, n, 4 * n);
    put(`${p}.mlp.0.bias`, 0, 4 * n);
    put(`${p}.mlp.2.weight`, wtype, 4 * n, n);
    put(`${p}.mlp.2.bias`, 0, n);
    put(`${p}.mlp_ln.weight`, 0, n);
    put(`${p}.mlp_ln.bias`, 0, n);
  };
  const na = hp.n_audio_state;
  const nt = hp.n_text_state;
  put('encoder.positional_embedding', 0, na, hp.n_audio_ctx);
  put('encoder.conv1.weight', vtype, 3, hp.n_mels, na);
  put('encoder.conv1.bias', 0, 1, na);
  put('encoder.conv2.weight', vtype, 3, na, na);
  put('encoder.conv2.bias', 0, 1, na);
  put('encoder.ln_post.weight', 0, na);
  put('encoder.ln_post.bias', 0, na);
  for (let i = 0; i < hp.n_audio_layer; i++) block(`encoder.blocks.${i}`, na, false);
  put('decoder.positional_embedding', 0, nt, hp.n_text_ctx);
  put('decoder.token_embedding.weight', wtype, nt, hp.n_vocab);
  put('decoder.ln.weight', 0, nt);
  put('decoder.ln.bias', 0, nt);
  for (let i = 0; i < hp.n_text_layer; i++) block(`decoder.blocks.${i}`, nt, true);
  return m;
}

/** Buffered sequential reader over a file handle. */
class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(
    private readonly fh: Awaited<ReturnType<typeof open>>,
    readonly size: number,
  ) {}

  async bytes(n: number, what: string): Promise<Buffer> {
    if (this.pos + n > this.size) throw new TruncatedError(what, this.pos, n, this.size);
    const off = this.pos - this.bufStart;
    if (off < 0 || off + n > this.buf.length) {
      const want = Math.max(n, 1 << 20);
      const b = Buffer.alloc(Math.min(want, this.size - this.pos));
      const { bytesRead } = await this.fh.read(b, 0, b.length, this.pos);
      if (bytesRead < n) throw new TruncatedError(what, this.pos, n, this.pos + bytesRead);
      this.buf = b.subarray(0, bytesRead);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }

  async i32(what: string): Promise<number> {
    return (await this.bytes(4, what)).readInt32LE(0);
  }

  skip(n: number, what: string): void {
    if (this.pos + n > this.size) throw new TruncatedError(what, this.pos, n, this.size);
    this.pos += n;
  }
}

class TruncatedError extends Error {
  constructor(what: string, at: number, need: number, end: number) {
    super(`truncated: ${what} needs ${need} bytes at offset ${at}, but the file ends at ${end}`);
  }
}

function describeForeignFormat(head: Buffer, file: string): string | null {
  const ascii = head.subarray(0, 4).toString('latin1');
  if (ascii === 'GGUF') return `${file} is a GGUF (llama.cpp) file, not a whisper.cpp ggml model`;
  if (ascii === 'ggjt' || ascii === 'tjgg' || ascii === 'ggmf' || ascii === 'fmgg') {
    return `${file} is a legacy llama.cpp (ggjt/ggmf) file, not a whisper.cpp ggml model`;
  }
  if (ascii.startsWith('PK')) return `${file} is a zip archive (a PyTorch/CoreML checkpoint?), not a whisper.cpp ggml model`;
  if (file.toLowerCase().endsWith('.onnx') || head[0] === 0x08) {
    return `${file} looks like an ONNX model, not a whisper.cpp ggml model`;
  }
  return null;
}

/**
 * Checks that `file` is a complete whisper.cpp ggml model the loader will accept: magic, header,
 * supported weight type, vocabulary, and every tensor (names, shapes, types, byte sizes) present.
 * Throws an Error naming the file and what is wrong.
 */
export async function validateWhisperModelFile(file: string): Promise<WhisperModelInfo> {
  const hint = 'Download one with `npm run models -- download <id>` (e.g. whisper-base.en), or point models.stt at a whisper.cpp ggml .bin file.';
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new Error(`whisper model not found: ${file}. ${hint}`);
  }
  if (!st.isFile()) throw new Error(`whisper model path is not a file: ${file}. ${hint}`);
  try {
    await access(file, fsConstants.R_OK);
  } catch {
    throw new Error(`whisper model is not readable: ${file} (check its permissions)`);
  }
  if (st.size < 48) throw new Error(`${file} is too small (${st.size} bytes) to be a whisper.cpp ggml model. ${hint}`);

  const fh = await open(file, 'r');
  try {
    const cur = new FileCursor(fh, st.size);
    const head = Buffer.from(await cur.bytes(48, 'header'));
    if (head.readUInt32LE(0) !== GGML_MAGIC) {
      const foreign = describeForeignFormat(head, file);
      throw new Error(
        `${foreign ?? `${file} is not a whisper.cpp ggml model (magic 0x${head.readUInt32LE(0).toString(16).padStart(8, '0')}, expected 0x67676d6c)`}. ${hint}`,
      );
    }
    const hp = Object.fromEntries(HPARAM_KEYS.map((k, i) => [k, head.readInt32LE(4 + 4 * i)])) as unknown as WhisperFileHparams;
    const bad = (msg: string): Error => new Error(`${file} is not a valid whisper.cpp ggml model: ${msg}`);
    for (const k of HPARAM_KEYS) {
      if (k === 'ftype') continue;
      if (!(hp[k] > 0 && hp[k] <= 1_000_000)) throw bad(`implausible ${k} = ${hp[k]}`);
    }
    if (hp.n_audio_layer > 256 || hp.n_text_layer > 256) throw bad('implausible layer count');
    if (hp.n_audio_state !== hp.n_text_state) throw bad('n_audio_state != n_text_state');
    if (hp.n_audio_state % hp.n_audio_head !== 0 || hp.n_text_state % hp.n_text_head !== 0) {
      throw bad('state size not divisible by the head count');
    }
    const wtype = FTYPE_TO_WTYPE[hp.ftype % 1000];
    if (hp.ftype < 0 || wtype === undefined) throw bad(`unsupported weight type (ftype ${hp.ftype})`);
    const wtypeInfo = GGML_TYPES[wtype]!;

    const nMel = await cur.i32('mel filter header');
    const nFft = await cur.i32('mel filter header');
    if (!(nMel > 0 && nMel <= 512 && nFft > 0 && nFft <= 4096)) throw bad(`implausible mel filter size ${nMel}x${nFft}`);
    cur.skip(4 * nMel * nFft, 'mel filters');
    const nTokens = await cur.i32('vocabulary size');
    if (!(nTokens >= 0 && nTokens <= 1_000_000)) throw bad(`implausible vocabulary size ${nTokens}`);
    for (let i = 0; i < nTokens; i++) {
      const len = (await cur.bytes(4, 'vocabulary')).readUInt32LE(0);
      if (len > 1024) throw bad(`implausible vocabulary entry length ${len} (token ${i})`);
      cur.skip(len, 'vocabulary');
    }

    const expected = expectedTensors(hp, wtype);
    const seen = new Set<string>();
    while (cur.pos < cur.size) {
      const rec = await cur.bytes(12, 'tensor header');
      const nDims = rec.readInt32LE(0);
      const nameLen = rec.readInt32LE(4);
      const ttype = rec.readInt32LE(8);
      if (!(nDims >= 1 && nDims <= 4) || !(nameLen > 0 && nameLen <= 256)) {
        throw bad(`corrupt tensor record at offset ${cur.pos - 12}`);
      }
      const ne = [1, 1, 1, 1];
      const neBuf = await cur.bytes(4 * nDims, 'tensor shape');
      for (let d = 0; d < nDims; d++) ne[d] = neBuf.readInt32LE(4 * d);
      const name = (await cur.bytes(nameLen, 'tensor name')).toString('utf8');
      const want = expected.get(name);
      if (!want) throw bad(`unknown tensor '${name}'`);
      if (seen.has(name)) throw bad(`duplicate tensor '${name}'`);
      seen.add(name);
      const fileType = GGML_TYPES[ttype];
      if (!fileType) throw bad(`tensor '${name}' has unsupported type ${ttype}`);
      const nelements = ne[0]! * ne[1]! * ne[2]! * ne[3]!;
      if (ne[0] !== want.ne[0] || ne[1] !== want.ne[1] || ne[2] !== want.ne[2] || nelements !== want.ne[0] * want.ne[1] * want.ne[2]) {
        throw bad(`tensor '${name}' has shape [${ne.slice(0, nDims).join(', ')}], expected [${want.ne.join(', ')}]`);
      }
      const [blck, tsize] = want.type === wtype ? wtypeInfo : GGML_TYPES[want.type]!;
      if (want.ne[0] % blck !== 0) throw bad(`tensor '${name}' row size ${want.ne[0]} is not a multiple of its block size ${blck}`);
      const nbytes = (nelements / blck) * tsize;
      if (Math.floor((nelements * fileType[1]) / blck) !== nbytes) {
        throw bad(`tensor '${name}' has type ${ttype}, which does not match the file's weight type`);
      }
      cur.skip(nbytes, `tensor '${name}'`);
    }
    if (seen.size === 0) {
      throw bad('it contains no weights (only the header and vocabulary, like whisper.cpp\'s for-tests files)');
    }
    if (seen.size !== expected.size) {
      const missing = [...expected.keys()].filter((n) => !seen.has(n));
      throw bad(`${missing.length} tensors missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); is the file truncated?`);
    }
    return { hparams: hp, tensors: seen.size, fileBytes: st.size, multilingual: hp.n_vocab >= 51865 };
  } catch (err) {
    if (err instanceof TruncatedError) {
      throw new Error(`${file} is truncated or corrupt (${err.message}); download it again. ${hint}`);
    }
    throw err;
  } finally {
    await fh.close();
  }
}
