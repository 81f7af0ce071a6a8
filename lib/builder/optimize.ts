// Runs the builder passes in order and reports what each did.
// The graph is modified in place; shapes are re-inferred where a pass may
// have invalidated them.

import type { Graph } from "./ir.ts";
import { inferShapes } from "./shape_inference.ts";
import { eliminateIdentity } from "./passes/eliminate_identity.ts";
import { foldConstants } from "./passes/fold_constants.ts";
import { eliminateDeadCode } from "./passes/eliminate_dead_code.ts";
import { foldBatchNorm } from "./passes/fold_batchnorm.ts";
import { mergeAddedConvs } from "./passes/merge_added_convs.ts";
import { fuseSiLU } from "./passes/fuse_silu.ts";
import { fuseConvActivation } from "./passes/fuse_conv_activation.ts";
import { fuseElementwise } from "./passes/fuse_elementwise.ts";
import { markHostTensors } from "./passes/mark_host_tensors.ts";
import { markHostInputs } from "./passes/mark_host_inputs.ts";
import { applyPrecision, type PlanPrecision } from "./passes/precision.ts";
import { type MemoryReport, planMemory } from "./passes/plan_memory.ts";
import { chooseLayout, type PlanLayout } from "./passes/choose_layout.ts";

export interface PassReport {
  pass: string;
  nodesBefore: number;
  nodesAfter: number;
  /** Pass-specific count: nodes folded/fused/removed, tensors marked. */
  changed: number;
}

export interface OptimizeReport {
  passes: PassReport[];
  memory: MemoryReport;
}

export interface OptimizeOptions {
  /** Pass names to skip (e.g. "fuse_conv_activation" for an executor without fused convs). */
  skip?: string[];
  /** The precision the plan is built in (passes/precision.ts); default "fp32". */
  precision?: PlanPrecision;
  /** Where rank-4 activations around convolutions are stored (passes/choose_layout.ts); default "nchw". */
  layout?: PlanLayout;
}

const PASSES: [string, (g: Graph, opts: OptimizeOptions) => number][] = [
  ["eliminate_identity", eliminateIdentity],
  ["fold_constants", foldConstants],
  ["eliminate_dead_code", eliminateDeadCode],
  ["fold_batchnorm", foldBatchNorm],
  // After BN folding (the convs then carry biases); before fuse_conv_activation (it would take the Add as residual).
  ["merge_added_convs", mergeAddedConvs],
  ["fuse_silu", fuseSiLU],
  ["fuse_conv_activation", fuseConvActivation],
  // After Conv took its activation; before placement (it leaves shape arithmetic alone) and precision (fp16 rule).
  ["fuse_elementwise", (g, opts) => fuseElementwise(g, { precision: opts.precision })],
  ["eliminate_identity", eliminateIdentity],
  ["eliminate_dead_code", eliminateDeadCode],
  ["mark_host_tensors", markHostTensors],
  ["mark_host_inputs", markHostInputs],
  // After placement (host tensors stay as they are), before plan_memory (float16 halves activation sizes).
  ["precision", (g, opts) => applyPrecision(g, opts.precision ?? "fp32")],
  // After precision (its transposes then move float16), before plan_memory.
  ["choose_layout", (g, opts) => chooseLayout(g, opts.layout ?? "nchw")],
];

/** The names `skip` may hold (plan_memory always runs). */
export const PASS_NAMES: readonly string[] = [...new Set(PASSES.map(([name]) => name))];

export function optimize(g: Graph, opts: OptimizeOptions = {}): OptimizeReport {
  const passes: PassReport[] = [];
  for (const [name, fn] of PASSES) {
    if (opts.skip?.includes(name)) continue;
    const before = g.nodes.length;
    const changed = fn(g, opts);
    inferShapes(g);
    passes.push({ pass: name, nodesBefore: before, nodesAfter: g.nodes.length, changed });
  }
  const before = g.nodes.length;
  const memory = planMemory(g);
  passes.push({ pass: "plan_memory", nodesBefore: before, nodesAfter: g.nodes.length, changed: memory.planned });
  return { passes, memory };
}
