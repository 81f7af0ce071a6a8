/** Reading an ONNX model's graph inputs (the library's onnxInputs, as the CLI sees them), against the onnx package. */
import { onnxInputs } from "../../cli/onnx_inputs.ts";
import { InvalidArgumentError } from "../../mod.ts";
import { assertEquals, assertThrows } from "../_assert.ts";
import { FIXTURES, fixturesPresent } from "../engine/_models.ts";

const present = fixturesPresent();
if (!present) console.log(`[skip] ONNX input tests on fixtures skipped: ${FIXTURES} not generated (make fixtures)`);

Deno.test({
  name: "inputs of fixture models: names, dims, symbolic dims as -1, initializers left out",
  ignore: !present,
  fn: async () => {
    const read = async (n: string) => onnxInputs(await Deno.readFile(`${FIXTURES}${n}.onnx`));
    assertEquals(await read("dynamic_batch"), [{ name: "x", dims: [-1, 3, 8, 8] }]);
    assertEquals(await read("matmul"), [{ name: "x0", dims: [2, 3, 4, 5] }, { name: "x1", dims: [5, 6] }]);
    assertEquals(await read("conv_basic"), [{ name: "x0", dims: [1, 3, 8, 8] }]); // its weights are initializers
  },
});

Deno.test("inputs agree with the onnx package on every fixture", { ignore: !present }, async () => {
  const script = `import glob, json, onnx, os, sys
out = {}
for p in sorted(glob.glob(sys.argv[1] + "*.onnx")):
    g = onnx.load(p, load_external_data=False).graph
    inits = {i.name for i in g.initializer}
    out[os.path.basename(p)] = [{"name": i.name, "dims": [d.dim_value if d.HasField("dim_value") else -1
        for d in i.type.tensor_type.shape.dim]} for i in g.input if i.name not in inits]
print(json.dumps(out))`;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("python3", { args: ["-c", script, FIXTURES], stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    console.log(`[skip] no python3: ${e instanceof Error ? e.message : e}`);
    return;
  }
  if (!out.success) {
    console.log(`[skip] python3 cannot import onnx: ${new TextDecoder().decode(out.stderr).split("\n").at(-2)}`);
    return;
  }
  const expected: Record<string, unknown> = JSON.parse(new TextDecoder().decode(out.stdout));
  for (const [file, inputs] of Object.entries(expected)) {
    assertEquals(onnxInputs(await Deno.readFile(`${FIXTURES}${file}`)), inputs, file);
  }
});

Deno.test("bytes that are not an ONNX model are refused", () => {
  assertThrows(() => onnxInputs(new Uint8Array([0x0f, 0x01])), InvalidArgumentError, /not an ONNX model/); // wire type 7
  assertThrows(() => onnxInputs(new Uint8Array([0x08, 0x07])), InvalidArgumentError, /no graph/); // ir_version only
  assertThrows(() => onnxInputs(new Uint8Array([0x3a, 0x10, 0x01])), InvalidArgumentError, /not an ONNX model/); // truncated
  assertThrows(() => onnxInputs(new Uint8Array([0x08, 0xff])), InvalidArgumentError, /not an ONNX model/); // bad varint
});
