/** Deterministic N(0, 1) values (mulberry32 + Box–Muller), so the files are byte-identical. */
export function seededNormals(seed: number, count: number, scale: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta) * scale;
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta) * scale;
  }
  return out;
}
