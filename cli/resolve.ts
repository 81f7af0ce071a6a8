/**
 * From the shape flags to a build profile and run-time shapes, as trtexec does: --min/opt/maxShapes give the profile
 * (a missing one taken from the others); otherwise --shapes fixes min = opt = max for the inputs it names; other
 * dynamic inputs get the batch (--batch, default 1) as their first dimension; the run uses --shapes, else opt.
 */
import { InvalidArgumentError, type ProfileShapes, type ShapeRange, ShapeError } from "../mod.ts";
import type { OnnxInput } from "./onnx_inputs.ts";
import { formatShape, type ShapeSpec } from "./shapes.ts";

export interface ShapeFlags {
  shapes: ShapeSpec;
  minShapes: ShapeSpec;
  optShapes: ShapeSpec;
  maxShapes: ShapeSpec;
  batch?: number;
}

function dimsText(dims: readonly number[]): string {
  return `[${dims.map((d) => (d < 0 ? "?" : d)).join(", ")}]`;
}

function checkNames(inputs: readonly OnnxInput[], flags: ShapeFlags): void {
  const names = new Set(inputs.map((i) => i.name));
  for (const [flag, spec] of Object.entries({ shapes: flags.shapes, minShapes: flags.minShapes, optShapes: flags.optShapes, maxShapes: flags.maxShapes })) {
    for (const name of spec.keys()) {
      if (!names.has(name)) {
        throw new InvalidArgumentError(`--${flag} names '${name}', which is not an input; the model's inputs are: ${[...names].join(", ") || "(none)"}`);
      }
    }
  }
}

/** Checks that `shape` fits the model's declared dims (same rank, static dims equal). */
function checkFits(input: OnnxInput, shape: readonly number[], flag: string): void {
  const ok = shape.length === input.dims.length && shape.every((d, i) => input.dims[i] < 0 || input.dims[i] === d);
  if (!ok) throw new ShapeError(`${flag}: '${input.name}' is ${dimsText(input.dims)} in the model, got ${formatShape(shape)}`);
}

function explicitRange(input: OnnxInput, flags: ShapeFlags): ShapeRange | undefined {
  const min = flags.minShapes.get(input.name), opt = flags.optShapes.get(input.name), max = flags.maxShapes.get(input.name);
  if (!min && !opt && !max) return undefined;
  const o = opt ?? max ?? min!;
  const r = { min: min ?? o, opt: o, max: max ?? o };
  for (const [k, s] of Object.entries(r)) checkFits(input, s, `--${k}Shapes`);
  for (let i = 0; i < r.opt.length; i++) {
    if (!(r.min[i] <= r.opt[i] && r.opt[i] <= r.max[i])) {
      throw new ShapeError(`profile of '${input.name}': need min <= opt <= max in every dimension, got min ${formatShape(r.min)}, opt ${formatShape(r.opt)}, max ${formatShape(r.max)}`);
    }
  }
  return r;
}

/** The shape a dynamic input gets from --batch: the batch first, every other dimension must be static. */
function batchShape(input: OnnxInput, batch: number): number[] {
  const shape = input.dims.map((d, i) => (d < 0 && i === 0 ? batch : d));
  if (shape.some((d) => d < 0)) {
    const example = input.dims.map((d, i) => (d >= 0 ? d : i === 0 ? batch : "N")).join("x");
    throw new ShapeError(`input '${input.name}' has dynamic dimensions ${dimsText(input.dims)}: give its shape, e.g. --shapes=${input.name}:${example}`);
  }
  return shape;
}

/** The optimization profile to build with (one range per dynamic or named input), or undefined for the default. */
export function resolveProfile(inputs: readonly OnnxInput[], flags: ShapeFlags): ProfileShapes | undefined {
  checkNames(inputs, flags);
  const profile: ProfileShapes = {};
  for (const input of inputs) {
    const range = explicitRange(input, flags);
    const fixed = flags.shapes.get(input.name);
    if (fixed) checkFits(input, fixed, "--shapes");
    if (range) {
      if (fixed && fixed.some((d, i) => d < range.min[i] || d > range.max[i])) {
        throw new ShapeError(`--shapes: '${input.name}' ${formatShape(fixed)} is outside its profile [${formatShape(range.min)} .. ${formatShape(range.max)}]`);
      }
      profile[input.name] = range;
    } else if (fixed) {
      profile[input.name] = { min: fixed, opt: fixed, max: fixed };
    } else if (input.dims.some((d) => d < 0)) {
      const s = batchShape(input, flags.batch ?? 1);
      profile[input.name] = { min: s, opt: s, max: s };
    }
  }
  return Object.keys(profile).length ? profile : undefined;
}

/** An engine's view of one input: its dims (-1 dynamic) and its profile-0 opt shape. */
export interface EngineInput {
  name: string;
  shape: number[];
  opt: number[];
}

/** Run-time shapes: --shapes, else (for dynamic inputs with --batch) the batch, else the profile's opt shape. */
export function resolveRunShapes(inputs: readonly EngineInput[], flags: Pick<ShapeFlags, "shapes" | "batch">): Map<string, number[]> {
  const names = new Set(inputs.map((i) => i.name));
  for (const name of flags.shapes.keys()) {
    if (!names.has(name)) throw new InvalidArgumentError(`--shapes names '${name}', which is not an input; the engine's inputs are: ${[...names].join(", ")}`);
  }
  const out = new Map<string, number[]>();
  for (const input of inputs) {
    const given = flags.shapes.get(input.name);
    if (given) out.set(input.name, given);
    else if (flags.batch !== undefined && input.shape[0] < 0) out.set(input.name, [flags.batch, ...input.opt.slice(1)]);
    else out.set(input.name, input.opt);
  }
  return out;
}
