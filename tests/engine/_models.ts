/** Fixture models with onnxruntime reference outputs (tests/fixtures/out, made by make_fixtures.py). */
import { type AnyTypedArray, type DType, viewOf } from "../../lib/core/dtype.ts";

export const FIXTURES = new URL("../fixtures/out/", import.meta.url).pathname;

interface JsonTensor {
  dtype: DType;
  shape: number[];
  b64: string;
}
export interface Reference {
  inputs: Record<string, { data: AnyTypedArray; shape: number[] }>;
  outputs: Record<string, { data: AnyTypedArray; shape: number[] }>;
}

function decode(t: JsonTensor): { data: AnyTypedArray; shape: number[] } {
  const bin = atob(t.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return { data: viewOf(t.dtype, bytes.buffer) as AnyTypedArray, shape: t.shape };
}

export function fixturesPresent(): boolean {
  try {
    Deno.statSync(`${FIXTURES}conv_basic.json`);
    return true;
  } catch {
    return false;
  }
}

/** Names of fixtures that have an ONNX model and a reference. */
export function referenceModels(): string[] {
  if (!fixturesPresent()) return [];
  const names: string[] = [];
  for (const e of Deno.readDirSync(FIXTURES)) {
    if (!e.name.endsWith(".json")) continue;
    const name = e.name.slice(0, -5);
    try {
      Deno.statSync(`${FIXTURES}${name}.onnx`);
      names.push(name);
    } catch { /* a reference without a model */ }
  }
  return names.sort();
}

export function loadReference(name: string): Reference {
  const json = JSON.parse(Deno.readTextFileSync(`${FIXTURES}${name}.json`));
  const conv = (r: Record<string, JsonTensor>) =>
    Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, decode(v)]));
  return { inputs: conv(json.inputs), outputs: conv(json.outputs) };
}

/** ‖a − b‖ / ‖b‖ in float64 (bigint and bool arrays compare exactly: 0 or Infinity). */
export function relativeL2(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]), y = Number(b[i]);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    num += (x - y) ** 2;
    den += y * y;
  }
  if (den === 0) return num === 0 ? 0 : Infinity;
  return Math.sqrt(num / den);
}

/** One optimization profile fixed at the reference's input shapes (min = opt = max). */
export function profilesOf(ref: Reference): Record<string, { min: number[]; opt: number[]; max: number[] }>[] {
  return [Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, { min: v.shape, opt: v.shape, max: v.shape }]))];
}
