/** The command line's flags: trtexec's names and --flag=value form, strict, one clear error per mistake. */
import { parseCliArgs } from "../../cli/args.ts";
import { InvalidArgumentError } from "../../mod.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";

Deno.test("defaults are trtexec's", () => {
  const o = parseCliArgs(["--onnx=m.onnx"])!;
  assertEquals(o.onnx, "m.onnx");
  assertEquals([o.precision, o.iterations, o.durationS, o.warmUpMs, o.inputSets], ["fp32", 10, 3, 200, 4]);
  assertEquals([o.useCudaGraph, o.noDataTransfers, o.json, o.provider, o.device, o.deviceIndex], [false, false, false, "auto", undefined, 0]);
  assertEquals(o.streams, 1);
  assertEquals(o.shapes.size, 0);
});

Deno.test("every flag of the issue parses", () => {
  const o = parseCliArgs([
    "--onnx=m.onnx", "--saveEngine=m.plan", "--fp16", "--shapes=x:8x3x224x224", "--minShapes=x:1x3x224x224",
    "--optShapes=x:8x3x224x224", "--maxShapes=x:32x3x224x224", "--batch=8", "--iterations=50", "--duration=1.5",
    "--warmUp=0", "--useCudaGraph", "--noDataTransfers", "--provider=builtin", "--device=cuda", "--exportTimes=t.json",
    "--exportLayerInfo=l.json", "--json", "--inputSets=2", "--verbose", "--streams=2",
    "--timingCacheFile=m.timing",
  ])!;
  assertEquals(o.streams, 2);
  assertEquals(o.timingCacheFile, "m.timing");
  assertEquals(o.precision, "fp16");
  assertEquals(o.shapes.get("x"), [8, 3, 224, 224]);
  assertEquals(o.maxShapes.get("x"), [32, 3, 224, 224]);
  assertEquals([o.batch, o.iterations, o.durationS, o.warmUpMs, o.inputSets], [8, 50, 1.5, 0, 2]);
  assertEquals([o.useCudaGraph, o.noDataTransfers, o.json, o.verbose], [true, true, true, true]);
  assertEquals([o.provider, o.device, o.exportTimes, o.exportLayerInfo, o.saveEngine], ["builtin", "cuda", "t.json", "l.json", "m.plan"]);
  assertEquals(parseCliArgs(["--loadEngine=m.plan", "--tf32"])!.precision, "tf32");
  assertEquals(parseCliArgs(["--onnx=m", "--fp16", "--tf32"])!.precision, "fp16"); // trtexec allows both: fp16 wins
  const d = parseCliArgs(["--onnx=m", "--device=1"])!;
  assertEquals([d.device, d.deviceIndex], ["cuda", 1]);
  assertEquals(parseCliArgs(["--onnx=m", "--device=cpu"])!.device, "cpu");
  assertEquals(parseCliArgs(["--help"]), null);
  assertEquals(parseCliArgs(["-h"]), null);
});

Deno.test("mistakes give one clear line", () => {
  const cases: [string[], RegExp][] = [
    [[], /give a model: --onnx=model.onnx or --loadEngine=model.plan/],
    [["--onnx=m", "--loadEngine=p"], /--onnx or --loadEngine, not both/],
    [["--loadEngine=p", "--saveEngine=q"], /--saveEngine needs --onnx/],
    [["--loadEngine=p", "--minShapes=x:1"], /describe a build: use them with --onnx/],
    [["--onnx=m", "--fp8"], /unknown flag --fp8 \(see --help\)/],
    [["--onnx=m", "--iterations=ten"], /--iterations must be an integer of at least 1, got "ten"/],
    [["--onnx=m", "--iterations=0"], /--iterations must be an integer of at least 1/],
    [["--onnx=m", "--batch=-2"], /--batch must be an integer/],
    [["--onnx=m", "--duration=-1"], /--duration must be a non-negative number/],
    [["--onnx=m", "--warmUp=1e3"], /--warmUp must be a non-negative number/],
    [["--onnx=m", "--provider=onnxruntime"], /--provider must be auto, builtin or tensorrt/],
    [["--onnx=m", "--device=gpu"], /--device must be cuda, cpu or a CUDA device index/],
    [["--onnx=m", "--device=cpu", "--useCudaGraph"], /--useCudaGraph needs a CUDA device/],
    [["--onnx=m", "--fp16=true"], /--fp16 takes no value/],
    [["--onnx"], /--onnx needs a value/],
    [["--onnx="], /--onnx needs a file name/],
    [["--onnx=m", "extra.onnx"], /unexpected argument "extra.onnx"/],
    [["--onnx=m", "--shapes=x"], /--shapes: "x" is not name:dims/],
    [["--onnx=m", "--streams=0"], /^--streams must be an integer from 1 to 64, got "0"$/],
    [["--onnx=m", "--streams=-2"], /^--streams must be an integer from 1 to 64, got "-2"$/],
    [["--onnx=m", "--streams=two"], /^--streams must be an integer from 1 to 64, got "two"$/],
    [["--onnx=m", "--streams=1.5"], /^--streams must be an integer from 1 to 64, got "1.5"$/],
    [["--onnx=m", "--streams=65"], /^--streams must be an integer from 1 to 64, got "65"$/],
    [["--onnx=m", "--streams="], /^--streams must be an integer from 1 to 64, got ""$/],
    [["--onnx=m", "--streams"], /^--streams needs a value/],
  ];
  for (const [args, pattern] of cases) {
    const e = assertThrows(() => parseCliArgs(args), InvalidArgumentError, pattern);
    assert(!e.message.includes("\n"), `one line for ${args.join(" ")}: ${e.message}`);
  }
});
