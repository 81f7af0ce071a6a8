// PaddleOCR's DetResizeForTest sizes and NormalizeImage values, by hand.
import { assert, assertEquals } from "../_assert.ts";
import { detInputSize, preprocessDet, roundHalfEven } from "../../examples/lib/ocr_preprocess.ts";
import { maxSideFor, ocrIo, ocrProfile } from "../../examples/lib/ocr_io.ts";
import { ShapeError, TensorIOMode } from "../../mod.ts";
import { assertThrows } from "../_assert.ts";

Deno.test("roundHalfEven is Python's round()", () => {
  assertEquals([0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 3].map(roundHalfEven), [0, 2, 2, 4, 2, 3, 3]);
});

Deno.test("detInputSize: shrink to the limit, never enlarge, sides to multiples of 32 (at least 32)", () => {
  assertEquals(detInputSize(640, 416), { width: 640, height: 416 });
  assertEquals(detInputSize(1000, 600), { width: 960, height: 576 }); // r = 0.96: 960, 576
  assertEquals(detInputSize(100, 50), { width: 96, height: 64 }); // 3.125 -> 3, 1.5625 -> 2
  assertEquals(detInputSize(10, 10), { width: 32, height: 32 });
  assertEquals(detInputSize(80, 48), { width: 64, height: 64 }); // 2.5 -> 2 (half to even), 1.5 -> 2
  assertEquals(detInputSize(2000, 100, 480), { width: 480, height: 32 }); // 100 * 0.24 = 24 -> round(0.75) = 1
  assertEquals([maxSideFor(960), maxSideFor(976), maxSideFor(977), maxSideFor(10)], [960, 960, 992, 32]);
});

Deno.test("preprocessDet: B, G, R planes, (v / 255 - mean) / std in float32", () => {
  const img = { width: 32, height: 32, data: new Uint8ClampedArray(32 * 32 * 4) };
  img.data.set([255, 0, 128, 255]); // pixel (0, 0): R 255, G 0, B 128
  const x = preprocessDet(img);
  assertEquals([x.width, x.height, x.data.length], [32, 32, 3 * 32 * 32]);
  const f = Math.fround;
  const want = [f(f(f(128 * f(1 / 255)) - f(0.485)) / f(0.229)), f(f(0 - f(0.456)) / f(0.224)), f(f(f(255 * f(1 / 255)) - f(0.406)) / f(0.225))];
  assertEquals([x.data[0], x.data[1024], x.data[2048]], want);
  assert(Math.abs(want[0] - (128 / 255 - 0.485) / 0.229) < 1e-6);
  const fixed = preprocessDet({ width: 10, height: 20, data: new Uint8ClampedArray(800) }, 960, { width: 64, height: 32 });
  assertEquals([fixed.width, fixed.height], [64, 32]);
});

Deno.test("ocrIo accepts a DB detector and says why other models do not fit", () => {
  const t = (name: string, shape: number[], mode = TensorIOMode.INPUT) => ({ name, dtype: "float32" as const, shape, mode });
  assertEquals(ocrIo([t("x", [-1, 3, -1, -1])], [t("y", [-1, 1, -1, -1], TensorIOMode.OUTPUT)]), { input: "x", output: "y", fixed: undefined });
  assertEquals(ocrIo([t("x", [1, 3, 640, 640])], [t("y", [1, 1, 640, 640], TensorIOMode.OUTPUT)]).fixed, { width: 640, height: 640 });
  assertThrows(() => ocrIo([t("a", [1, 3, 8, 8]), t("b", [1])], []), ShapeError, /2 inputs/);
  assertThrows(() => ocrIo([t("x", [1, 1, 28, 28])], [t("y", [1, 10], TensorIOMode.OUTPUT)]), ShapeError, /input is 'x' float32 \[1, 1, 28, 28\]/);
  assertThrows(() => ocrIo([t("x", [1, 3, 8, 8])], [t("y", [1, 8400, 85], TensorIOMode.OUTPUT)]), ShapeError, /output is 'y'/);
  assertEquals(ocrProfile("x", 960), [{ x: { min: [1, 3, 32, 32], opt: [1, 3, 640, 640], max: [1, 3, 960, 960] } }]);
});
