/**
 * Random input data for timing runs. Never zeros: zeros hide unwritten outputs and can run faster than real data.
 * Small tensors are drawn element by element (a xorshift generator seeded from crypto); large ones tile one random
 * block from a different starting element per input set, so ResNet-50 at batch 128 (4 sets of 19 M floats) fills
 * at memcpy speed instead of taking seconds, and the sets still differ.
 */
import { type DType, DTYPE_BYTES } from "../mod.ts";

/** A generator of uniform floats in [0, 1), seeded from the system's entropy unless a seed is given. */
export function makeRng(seed?: number): () => number {
  let s = (seed ?? crypto.getRandomValues(new Uint32Array(1))[0]) >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Fills `bytes` (a whole number of `dtype` elements) with random values suitable as network inputs. */
export function fillRandom(dtype: DType, bytes: Uint8Array, rng: () => number = makeRng()): void {
  const n = Math.floor(bytes.byteLength / DTYPE_BYTES[dtype]);
  const { buffer, byteOffset } = bytes;
  switch (dtype) {
    case "float32": {
      const v = new Float32Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = rng() * 2 - 1;
      return;
    }
    case "float64": {
      const v = new Float64Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = rng() * 2 - 1;
      return;
    }
    case "float16": {
      // Random sign, exponent 10..14 (|x| in [2^-5, 2)), random mantissa: never zero, never inf or NaN.
      const v = new Uint16Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) {
        const r = rng();
        v[i] = ((r < 0.5 ? 0 : 1) << 15) | ((10 + Math.floor(rng() * 5)) << 10) | Math.floor(rng() * 1024);
      }
      return;
    }
    case "bfloat16": {
      const f = new Float32Array(1), u = new Uint16Array(f.buffer);
      const v = new Uint16Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) {
        f[0] = rng() * 2 - 1 || 0.5;
        v[i] = u[1]; // the upper half of a float32 is its bfloat16
      }
      return;
    }
    case "int32": {
      const v = new Int32Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = 1 + Math.floor(rng() * 3);
      return;
    }
    case "int64": {
      const v = new BigInt64Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = BigInt(1 + Math.floor(rng() * 3));
      return;
    }
    case "bool": {
      const v = new Uint8Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = rng() < 0.5 ? 0 : 1;
      if (n > 0) v[0] = 1;
      return;
    }
    default: {
      // int8, uint8, fp8_e4m3: small positive values (1..63 is a finite positive number in e4m3 too)
      const v = new Uint8Array(buffer, byteOffset, n);
      for (let i = 0; i < n; i++) v[i] = 1 + Math.floor(rng() * 63);
    }
  }
}

/** Elements drawn one by one below this size; larger tensors tile a block of this many random elements. */
export const BLOCK_ELEMENTS = 1 << 20;

/**
 * Fills `bytes` with input set `set`: a random block of `dtype` elements (drawn once per call of makeBlock) repeated
 * from element `set * 7919 mod block` on, so consecutive sets hold different values at every position.
 */
export function fillSet(dtype: DType, bytes: Uint8Array, set: number, block: Uint8Array): void {
  const size = DTYPE_BYTES[dtype];
  const start = ((set * 7919) % Math.max(1, block.byteLength / size)) * size;
  let at = 0;
  let from = start;
  while (at < bytes.byteLength) {
    const n = Math.min(block.byteLength - from, bytes.byteLength - at);
    bytes.set(block.subarray(from, from + n), at);
    at += n;
    from = 0;
  }
}

/** A random block for fillSet: as long as the tensor, up to BLOCK_ELEMENTS elements. */
export function makeBlock(dtype: DType, elements: number, rng: () => number = makeRng()): Uint8Array {
  const block = new Uint8Array(Math.max(1, Math.min(elements, BLOCK_ELEMENTS)) * DTYPE_BYTES[dtype]);
  fillRandom(dtype, block, rng);
  return block;
}
