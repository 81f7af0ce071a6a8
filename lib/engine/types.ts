/** Shared types of the engine API (the same for the built-in engine and TensorRT). */
import type { AnyTypedArray, DType } from "../core/dtype.ts";

export type Provider = "builtin" | "tensorrt";
export type DeviceKind = "cuda" | "cpu";
export type Precision = "fp32" | "tf32" | "fp16";
/** Built-in engine: storage of activations around convolutions ("auto": NHWC for CUDA plans, NCHW for CPU plans). */
export type LayoutChoice = "auto" | "nchw" | "nhwc";
export const LAYOUT_CHOICES: readonly LayoutChoice[] = ["auto", "nchw", "nhwc"];

/** TensorRT's TensorIOMode. */
export enum TensorIOMode {
  NONE = 0,
  INPUT = 1,
  OUTPUT = 2,
}

export interface TensorInfo {
  name: string;
  dtype: DType;
  /** -1 where the dimension is dynamic. */
  shape: number[];
  mode: TensorIOMode;
}

export interface ShapeRange {
  min: number[];
  opt: number[];
  max: number[];
}

/** One optimization profile: a shape range per dynamic input. */
export type ProfileShapes = Record<string, ShapeRange>;

/** An input to infer(): a typed array (static shapes) or data with its shape. */
export type InferInput = AnyTypedArray | { data: AnyTypedArray; shape: number[] };

/** An output of infer(). */
export interface InferOutput {
  data: AnyTypedArray;
  shape: number[];
  dtype: DType;
}
