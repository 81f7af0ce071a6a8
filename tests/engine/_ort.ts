// Test helper: runs an ONNX model in onnxruntime (Python, CPU) on given float inputs, for an independent reference.
// Returns undefined (and says why once) where python3 with onnxruntime is not installed (e.g. the GPU device).
const SCRIPT = `
import json, sys
import numpy as np, onnxruntime as ort
model, feeds_path, out_path = sys.argv[1:4]
feeds = json.load(open(feeds_path))
inputs = {k: np.array(v["values"], dtype=np.float16 if v["dtype"] == "float16" else np.float32).reshape(v["shape"])
          for k, v in feeds.items()}
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
outs = sess.run(None, inputs)
json.dump({o.name: {"shape": list(r.shape), "values": r.astype(np.float64).ravel().tolist()}
           for o, r in zip(sess.get_outputs(), outs)}, open(out_path, "w"))
`;

let missing: string | undefined;

export interface OrtOutput {
  shape: number[];
  values: number[];
}

export async function runOnnxruntime(
  model: Uint8Array,
  feeds: Record<string, { dtype: string; shape: number[]; values: number[] }>,
): Promise<Record<string, OrtOutput> | undefined> {
  if (missing !== undefined) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "denotrt_ort_" });
  try {
    await Deno.writeFile(`${dir}/model.onnx`, model);
    await Deno.writeTextFile(`${dir}/feeds.json`, JSON.stringify(feeds));
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("python3", {
        args: ["-c", SCRIPT, `${dir}/model.onnx`, `${dir}/feeds.json`, `${dir}/out.json`],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (e) {
      missing = `python3 is not runnable (${e instanceof Error ? e.message : e})`;
      console.log(`[note] onnxruntime comparisons skipped: ${missing}`);
      return undefined;
    }
    const err = new TextDecoder().decode(out.stderr);
    if (!out.success && /No module named '(onnxruntime|numpy)'/.test(err)) {
      missing = "python3 has no onnxruntime";
      console.log(`[note] onnxruntime comparisons skipped: ${missing}`);
      return undefined;
    }
    if (!out.success) throw new Error(`onnxruntime failed: ${err}`);
    return JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
