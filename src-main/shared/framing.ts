/**
 * Binary framing of audio on the web-mode WebSocket (browser and Node alike; no dependencies).
 *
 * client → server: one binary message = one mic frame, raw Float32 little-endian samples at 16 kHz.
 * server → client: one binary message = one `audio` engine event:
 *   [uint32 LE headerBytes][JSON header, space-padded to a multiple of 4][Float32 LE samples]
 *   header = { type: 'audio', turn, unit, t, sampleRate }
 * Everything else (commands, events, host notices) travels as JSON text messages.
 */

export interface AudioFrameHeader {
  type: 'audio';
  turn: number;
  unit: number;
  t: number;
  sampleRate: number;
}

export interface AudioFrame extends AudioFrameHeader {
  samples: Float32Array;
}

/** Upper bound on the JSON header, so a hostile length prefix cannot make us allocate. */
export const MAX_AUDIO_HEADER_BYTES = 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

type BinaryInput = ArrayBuffer | ArrayBufferView;

function asBytes(data: BinaryInput): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** Reads Float32 LE samples from any byte range (copies, so unaligned Node Buffers are fine). */
function readFloat32(bytes: Uint8Array, what: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new Error(`${what}: ${bytes.byteLength} bytes is not a whole number of Float32 samples`);
  }
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

function writeFloat32(target: Uint8Array, samples: Float32Array): void {
  if (LITTLE_ENDIAN) {
    target.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  } else {
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i] ?? 0, true);
  }
}

/** client → server: the mic frame as its own ArrayBuffer (ready to pass to WebSocket.send). */
export function encodeMicFrame(samples: Float32Array): ArrayBuffer {
  const out = new Uint8Array(samples.byteLength);
  writeFloat32(out, samples);
  return out.buffer;
}

/** server side: a binary client message → samples. Throws a clear error on malformed input. */
export function decodeMicFrame(data: BinaryInput, maxSamples = 16000): Float32Array {
  const bytes = asBytes(data);
  if (bytes.byteLength === 0) throw new Error('mic frame: empty binary message');
  if (bytes.byteLength / 4 > maxSamples) {
    throw new Error(`mic frame: ${bytes.byteLength / 4} samples exceeds the limit of ${maxSamples}`);
  }
  return readFloat32(bytes, 'mic frame');
}

/** server → client: one `audio` event as a binary message. */
export function encodeAudioFrame(frame: AudioFrame): ArrayBuffer {
  const header: AudioFrameHeader = {
    type: 'audio',
    turn: frame.turn,
    unit: frame.unit,
    t: frame.t,
    sampleRate: frame.sampleRate,
  };
  let json = JSON.stringify(header);
  while (json.length % 4 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json); // ASCII only: numbers and fixed keys
  const out = new Uint8Array(4 + headerBytes.byteLength + frame.samples.byteLength);
  new DataView(out.buffer).setUint32(0, headerBytes.byteLength, true);
  out.set(headerBytes, 4);
  writeFloat32(out.subarray(4 + headerBytes.byteLength), frame.samples);
  return out.buffer;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** client side: a binary server message → the audio event. Throws a clear error on malformed input. */
export function decodeAudioFrame(data: BinaryInput): AudioFrame {
  const bytes = asBytes(data);
  if (bytes.byteLength < 4) throw new Error('audio frame: shorter than its 4-byte header length');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (headerLength === 0 || headerLength > MAX_AUDIO_HEADER_BYTES || 4 + headerLength > bytes.byteLength) {
    throw new Error(`audio frame: bad header length ${headerLength} for a ${bytes.byteLength}-byte message`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  } catch {
    throw new Error('audio frame: header is not valid JSON');
  }
  const h = parsed as Partial<AudioFrameHeader> | null;
  if (
    !h ||
    h.type !== 'audio' ||
    !isFiniteNumber(h.turn) ||
    !isFiniteNumber(h.unit) ||
    !isFiniteNumber(h.t) ||
    !isFiniteNumber(h.sampleRate) ||
    h.sampleRate <= 0
  ) {
    throw new Error('audio frame: header must be { type: "audio", turn, unit, t, sampleRate }');
  }
  const samples = readFloat32(bytes.subarray(4 + headerLength), 'audio frame');
  return { type: 'audio', turn: h.turn, unit: h.unit, t: h.t, sampleRate: h.sampleRate, samples };
}
