/** A fixture built on CUDA with the built-in engine and checked against expected outputs, run twice. */
import { createEngine, type CreateEngineOptions, type InferenceEngine } from "../../lib/engine/session.ts";
import type { AnyTypedArray } from "../../lib/core/dtype.ts";
import { assert } from "../_assert.ts";
import { FIXTURES, profilesOf, type Reference, relativeL2 } from "../engine/_models.ts";

type Tensors = Record<string, { data: AnyTypedArray; shape: number[] }>;

/**
 * Builds `name` (its reference's shapes as the one profile unless `options` names profiles), runs `inputs` twice
 * (the second run replays the CUDA graph) and asserts every output of `want` is there, of its shape and within `tol`
 * relative L2 (`against` names the reference in the message). The caller owns the engine (`await using`), e.g. to
 * inspect its kernels.
 */
export async function buildAndCheck(
  name: string,
  ref: Reference,
  options: Partial<CreateEngineOptions>,
  inputs: Tensors,
  want: Tensors,
  tol: number,
  against = "onnxruntime",
): Promise<InferenceEngine> {
  const engine = await createEngine({
    onnx: `${FIXTURES}${name}.onnx`,
    device: "cuda",
    provider: "builtin",
    profiles: profilesOf(ref),
    ...options,
  });
  try {
    const label = `${name} (${options.precision ?? "fp32"}, ${options.layout ?? "auto"} layout)`;
    for (let run = 0; run < 2; run++) {
      const got = await engine.infer(inputs);
      for (const [k, w] of Object.entries(want)) {
        assert(got[k], `${label}: missing output ${k}`);
        assert(
          JSON.stringify(got[k].shape) === JSON.stringify(w.shape),
          `${label}/${k}: shape ${got[k].shape} vs ${w.shape}`,
        );
        const err = relativeL2(got[k].data as ArrayLike<number>, w.data as ArrayLike<number>);
        assert(err <= tol, `${label}/${k} (run ${run}): relative L2 ${err} > ${tol} against ${against}`);
      }
    }
    return engine;
  } catch (e) {
    await engine[Symbol.asyncDispose]();
    throw e;
  }
}
