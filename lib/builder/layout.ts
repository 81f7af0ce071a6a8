// Memory layouts of rank-4 activations (docs/IR.md, "Layouts").
//
// A layer with the attribute `layout: "NHWC"` computes ONNX's NCHW semantics on activations stored NHWC: every
// non-constant rank-4 input and every rank-4 output of that layer is physically [N, H, W, C]. Its attributes and its
// other inputs (weights, scales, pads) keep their ONNX meaning. Shape inference, the reference evaluator and both
// executors apply this one rule, so a layer needs no NHWC-specific code to be correct (the CUDA executor adds native
// NHWC kernels where they are faster).

import type { Dim, Node, Tensor } from "./ir.ts";

/** Physical position j holds logical (NCHW) dimension NHWC_PERM[j]; also the Transpose perm from NCHW to NHWC. */
export const NHWC_PERM: readonly number[] = [0, 2, 3, 1];
/** The Transpose perm from NHWC back to NCHW. */
export const NCHW_PERM: readonly number[] = [0, 3, 1, 2];

export function isNhwcLayer(n: Node): boolean {
  const a = n.attrs.layout;
  return a?.type === "string" && a.value === "NHWC";
}

export function toNhwc<T>(shape: readonly T[]): T[] {
  return NHWC_PERM.map((p) => shape[p]);
}

export function toNchw<T>(shape: readonly T[]): T[] {
  return NCHW_PERM.map((p) => shape[p]);
}

/** Where logical (NCHW) axis `axis` of a rank-4 tensor lies in NHWC storage. */
export function nhwcAxis(axis: number): number {
  return NHWC_PERM.indexOf(axis);
}

/** Whether input `t` of an NHWC layer is stored NHWC (the rule above). */
export function isLaidOut(t: Pick<Tensor, "shape" | "data">): boolean {
  return t.data === undefined && t.shape.length === 4;
}

/** Transposes row-major `data` of `shape` by `perm` (out dim j = in dim perm[j]). */
export function transposeData<A extends { length: number; [i: number]: number }>(
  data: A,
  shape: readonly number[],
  perm: readonly number[],
  make: (n: number) => A,
): A {
  const rank = shape.length;
  const out = make(data.length);
  const inStrides = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * shape[d + 1];
  const outShape = perm.map((p) => shape[p]);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** The physical shape of a tensor of logical `shape` inside an NHWC region (rank-4 only). */
export function physicalShape(shape: readonly Dim[]): Dim[] {
  return shape.length === 4 ? toNhwc(shape) : [...shape];
}
