/** Helpers shared by the GPU precision tests. */

/** float16's smallest normal value: below it a float16 tensor keeps few or no significant bits. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;

/**
 * True when every value of a reference output lies below float16's normal range, so that no fp16 engine can
 * represent it (random-weight MobileNetV3-Large: ~1e-9 at the output). Such outputs are noted, not compared.
 */
export function belowFloat16Range(data: ArrayLike<number | bigint>): boolean {
  if (data.length === 0 || typeof data[0] === "bigint") return false;
  let peak = 0;
  for (let i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(Number(data[i])));
  return peak < FLOAT16_MIN_NORMAL;
}
