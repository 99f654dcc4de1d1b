import fc from 'fast-check';

/** One edit of a byte buffer, as a mutation fuzzer makes them. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'word'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; at: number; count: number };

/** 32-bit values that break size and count fields: zero, one, sign and width boundaries. */
const INTERESTING_WORDS = [0, 1, 2, 3, 4, 7, 8, 16, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/**
 * Edits biased to where file formats keep their structure: positions are fractions of the length
 * (so the same edit lands in the header of any file) and, half the time, inside the first 128 bytes.
 */
const position = fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 1_000_000 }).map((n) => -n - 1));

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: position, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING_WORDS), fc.integer({ min: 0, max: 0xffffffff })) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, count: fc.integer({ min: 1, max: 256 }) }),
);

/** A seed file with 1–8 edits. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutationArbitrary, { minLength: 1, maxLength: 8 }))
    .map(([index, mutations]) => mutations.reduce((bytes, m) => applyMutation(bytes, m), seeds[index] as Uint8Array));
}

export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  // Negative positions count from anywhere in the file (a fraction of its length).
  const at = n === 0 ? 0 : m.at >= 0 ? Math.min(m.at, n) : Math.floor(((-m.at - 1) / 1_000_000) * n);
  switch (m.kind) {
    case 'flip': {
      if (at >= n) return bytes;
      const out = bytes.slice();
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (at >= n) return bytes;
      const out = bytes.slice();
      out[at] = m.value;
      return out;
    }
    case 'word': {
      const out = bytes.slice();
      for (let b = 0; b < 4 && at + b < n; b++) out[at + b] = (m.value >>> (8 * b)) & 0xff;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at);
    case 'insert':
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    case 'delete':
      return concat(bytes.subarray(0, at), bytes.subarray(Math.min(n, at + m.count)));
    case 'duplicate':
      return concat(bytes.subarray(0, at), bytes.subarray(at, Math.min(n, at + m.count)), bytes.subarray(at));
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
