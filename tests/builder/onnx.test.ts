import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { FIXTURES, hasFixture, loadFixture, NO_FIXTURES } from "./_fixtures.ts";
import { loadOnnx, loadOnnxFile } from "../../lib/builder/onnx.ts";
import { UnsupportedOpError } from "../../lib/builder/errors.ts";
import { decodeData } from "../../lib/builder/tensor_data.ts";

Deno.test({
  name: "onnx: unsupported op fails at build time with a typed error",
  ignore: NO_FIXTURES || !hasFixture("unsupported"),
  fn: async () => {
    const e = await assertRejects(() => loadOnnxFile(`${FIXTURES}unsupported.onnx`), UnsupportedOpError);
    assertEquals(e.op, "Erf");
    assertEquals(e.node, "my_erf");
    assert(e.message.includes("Erf") && e.message.includes("my_erf"), e.message);
    assert(e.message.includes("Supported ops:") && e.message.includes("Conv"), e.message);
  },
});

Deno.test({
  name: "onnx: unsupported attribute value fails (Resize cubic)",
  ignore: NO_FIXTURES || !hasFixture("resize_nearest"),
  fn: async () => {
    const bytes = await Deno.readFile(`${FIXTURES}resize_nearest.onnx`);
    // Patch the mode string in place: "nearest" -> "cubic\0\0" is not valid
    // protobuf, so flip to a same-length unsupported value instead.
    const s = new TextDecoder("latin1").decode(bytes);
    const i = s.indexOf("nearest");
    assert(i > 0);
    const patched = bytes.slice();
    patched.set(new TextEncoder().encode("bicubic"), i);
    const e = await assertRejects(() => loadOnnx(patched), UnsupportedOpError);
    assertEquals(e.op, "Resize");
    assert(e.detail.includes("bicubic"), e.detail);
  },
});

Deno.test({
  name: "onnx: external data is read relative to the model directory",
  ignore: NO_FIXTURES || !hasFixture("external_data"),
  fn: async () => {
    const { graph: g } = await loadFixture("external_data");
    const w = g.tensors.get("W")!;
    assertEquals(w.shape, [4, 3, 3, 3]);
    assertEquals(w.data!.byteLength, 4 * 27 * 4);
    // Without a base directory the loader must refuse, not guess.
    const bytes = await Deno.readFile(`${FIXTURES}external_data.onnx`);
    await assertRejects(() => loadOnnx(bytes), Error);
  },
});

Deno.test({
  name: "onnx: fp16 initializers from raw_data and int32_data",
  ignore: NO_FIXTURES || !hasFixture("fp16_init"),
  fn: async () => {
    const { graph: g } = await loadFixture("fp16_init");
    for (const name of ["Wh", "Bh"]) {
      const t = g.tensors.get(name)!;
      assertEquals(t.dtype, "float16");
      const v = decodeData(t.data!, "float16");
      assert(v.every((x) => Number.isFinite(x)) && v.some((x) => x !== 0), `${name} decodes`);
    }
    assertEquals(g.tensors.get("Bh")!.data!.byteLength, 10);
  },
});

Deno.test({
  name: "onnx: Constant nodes become initializers; typed int64 fields decode",
  ignore: NO_FIXTURES || !hasFixture("const_chain") || !hasFixture("typed_fields"),
  fn: async () => {
    const { graph: g } = await loadFixture("const_chain");
    assertEquals(g.nodes.some((n) => n.op === "Constant"), false);
    assertEquals([...decodeData(g.tensors.get("k")!.data!, "float32")], [1, 2, 3, 4]);
    assertEquals(g.tensors.get("two")!.shape, []);
    const { graph: t } = await loadFixture("typed_fields");
    assertEquals([...decodeData(t.tensors.get("shp")!.data!, "int64")], [3, -1]);
    assertEquals(t.tensors.get("r")!.shape, [3, 4]);
  },
});

Deno.test({
  name: "onnx: Conv defaults are explicit",
  ignore: NO_FIXTURES || !hasFixture("conv_basic"),
  fn: async () => {
    const { graph: g } = await loadFixture("conv_basic");
    const c = g.nodes[0];
    assertEquals(c.attrs.strides, { type: "ints", value: [1, 1] });
    assertEquals(c.attrs.dilations, { type: "ints", value: [1, 1] });
    assertEquals(c.attrs.kernel_shape, { type: "ints", value: [3, 3] });
    assertEquals(c.attrs.group, { type: "int", value: 1 });
    assertEquals(g.opset, 17);
    assertEquals(g.profiles, [{ x0: { min: [1, 3, 8, 8], opt: [1, 3, 8, 8], max: [1, 3, 8, 8] } }]);
  },
});

Deno.test("bytes that are not an ONNX model fail with a ModelError", async () => {
  const { ModelError } = await import("../../lib/builder/errors.ts");
  await assertRejects(() => loadOnnx(new TextEncoder().encode("definitely not protobuf \u00ff\u00fe")), ModelError, /not an ONNX model|no graph/);
});

Deno.test({
  name: "a profile naming an unknown input, or with min > max, is refused naming the input",
  ignore: !hasFixture("dynamic_batch"),
  async fn() {
    const { InvalidArgumentError } = await import("../../lib/core/errors.ts");
    const bytes = await Deno.readFile(`${FIXTURES}dynamic_batch.onnx`);
    const r = { min: [1, 3, 8, 8], opt: [1, 3, 8, 8], max: [1, 3, 8, 8] };
    await assertRejects(() => loadOnnx(bytes, { profiles: [{ nope: r }] }), InvalidArgumentError, /'nope', which is not an input/);
    await assertRejects(() => loadOnnx(bytes, { profiles: [{ x: { min: [4, 3, 8, 8], opt: [2, 3, 8, 8], max: [8, 3, 8, 8] } }] }), InvalidArgumentError, /min ≤ opt ≤ max/);
  },
});
