/**
 * Running peer scripts: rows come back from stdout, a time limit ends a script and keeps what it printed, owed rows
 * become n/a; the ONNX-graph-in-PyTorch peer model computes what onnxruntime computes.
 */
import { fillMissing, runPeer } from "../../bench/peers.ts";
import { assert, assertEquals } from "../_assert.ts";
import { FIXTURES, fixturesPresent } from "../engine/_models.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

async function hasPython(modules: string[] = []): Promise<boolean> {
  try {
    const o = await new Deno.Command("python3", { args: ["-c", modules.map((m) => `import ${m}`).join(";") || "pass"], stdout: "null", stderr: "null" }).output();
    return o.success;
  } catch {
    return false;
  }
}
const python = await hasPython();
if (!python) console.log("[skip] peer-script tests skipped: no python3");

const ROW = (batch: number) => JSON.stringify({ model: "m", batch, runtime: "pytorch-eager", precision: "fp32", transfers: false, status: "ok", latencyMs: { min: 1, max: 1, mean: 1, median: 1, p90: 1, p95: 1, p99: 1 }, throughput: 10 });

Deno.test({
  name: "runPeer: rows from stdout, stderr to the log, the config passed as a file",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const script = `${dir}/peer.py`;
      await Deno.writeTextFile(script, `import json, sys\ncfg = json.load(open(sys.argv[1][1:]))\nprint("noise")\nprint(${JSON.stringify(ROW(1))})\nprint("to the log", file=sys.stderr)\nprint(json.dumps({"model": "m", "batch": cfg["b"], "runtime": "pytorch-eager", "precision": "fp32", "transfers": False, "status": "n/a", "reason": "r"}))\n`);
      const r = await runPeer("python3", script, { b: 8 }, { timeoutS: 30, logFile: `${dir}/p.log`, configFile: `${dir}/c.json` });
      assertEquals(r.failure, undefined);
      assertEquals(r.rows.map((x) => [x.batch, x.status]), [[1, "ok"], [8, "n/a"]]);
      assert((await Deno.readTextFile(`${dir}/p.log`)).includes("to the log"));
      const bad = await runPeer("python3", `${dir}/missing.py`, {}, { timeoutS: 30, logFile: `${dir}/p2.log`, configFile: `${dir}/c2.json` });
      assert(/exited with code 2/.test(bad.failure ?? ""), bad.failure);
      const nopy = await runPeer("/nonexistent/python", script, {}, { timeoutS: 30, logFile: `${dir}/p3.log`, configFile: `${dir}/c3.json` });
      assert(/cannot start \/nonexistent\/python/.test(nopy.failure ?? ""), nopy.failure);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runPeer: a script past its time limit is ended; what it printed counts",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/slow.py`, `import time\nprint(${JSON.stringify(ROW(1))}, flush=True)\ntime.sleep(60)\n`);
      const t0 = performance.now();
      const r = await runPeer("python3", `${dir}/slow.py`, {}, { timeoutS: 2, logFile: `${dir}/l`, configFile: `${dir}/c` });
      assert(performance.now() - t0 < 20_000, "ended well before the script would");
      assertEquals(r.failure, "timed out after 2 s");
      assertEquals(r.rows.length, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("fillMissing: owed rows become n/a; a whole-model n/a (batch 0) covers its batches", () => {
  const k = (model: string, batch: number, transfers = false) => ({ model, batch, runtime: "pytorch-eager", precision: "fp32", transfers });
  const got = [
    { ...k("a", 1), status: "ok" as const, throughput: 1 },
    { ...k("b", 0), status: "n/a" as const, reason: "cannot build b" },
  ];
  const rows = fillMissing([k("a", 1), k("a", 8), k("a", 8, true), k("b", 1), k("b", 8)], got, "the peer timed out");
  assertEquals(rows.length, 4);
  assertEquals(rows.slice(2).map((r) => [r.model, r.batch, r.transfers, r.status, r.reason]), [["a", 8, false, "n/a", "the peer timed out"], ["a", 8, true, "n/a", "the peer timed out"]]);
});

const torchOk = python && fixturesPresent() && await hasPython(["torch", "onnx", "onnxruntime"]);
if (!torchOk) console.log("[skip] ONNX-in-PyTorch peer check skipped: needs python3 with torch, onnx, onnxruntime and the fixtures");

Deno.test({
  name: "the ONNX-in-PyTorch peer model matches onnxruntime on the fixture models (fresh random inputs)",
  ignore: !torchOk,
  fn: async () => {
    const models = ["residual_block", "silu_chain", "dynamic_batch", "shape_reshape", "conv_chain", "conv_grouped", "convtranspose", "maxpool_ceil", "resize_nearest", "resize_linear_pt", "concat", "split_op13", "gemm", "softmax_op13", "pad_reflect", "hardswish_op17", "hardsigmoid_op17", "globalaveragepool_op17", "slice_op9", "gather", "transpose_op17"];
    const script = `import json, sys
import numpy as np, onnxruntime as ort, torch
sys.path.insert(0, "bench/peers")
from onnx_torch import OnnxModule
out = {}
for name in sys.argv[2:]:
    path = sys.argv[1] + name + ".onnx"
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 2 for d in i.shape]
        feeds[i.name] = np.random.uniform(-1, 1, shape).astype(np.float32)
    want = sess.run(None, feeds)
    with torch.inference_mode():
        got = OnnxModule(path).eval()(*[torch.from_numpy(feeds[i.name]) for i in sess.get_inputs()])
    got = got if isinstance(got, tuple) else (got,)
    out[name] = max(float(np.linalg.norm(g.numpy() - w) / max(np.linalg.norm(w), 1e-12)) if g.shape == w.shape else 1e9
                    for g, w in zip(got, want))
print(json.dumps(out))`;
    const o = await new Deno.Command("python3", { args: ["-c", script, FIXTURES, ...models], cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
    assert(o.success, new TextDecoder().decode(o.stderr));
    const errors: Record<string, number> = JSON.parse(new TextDecoder().decode(o.stdout));
    assertEquals(Object.keys(errors).sort(), [...models].sort());
    for (const [name, e] of Object.entries(errors)) assert(e < 1e-5, `${name}: relative L2 ${e}`);
  },
});
