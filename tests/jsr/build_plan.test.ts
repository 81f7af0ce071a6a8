/**
 * The package's own build (ffi/build_plan.ts, ffi/toolchain.ts) runs the Makefile's commands: compared with
 * `make -n` on this machine's toolchain, and on a planted toolkit with every optional part (cuDNN, cuBLASLt,
 * TensorRT headers) so each flag is exercised wherever the test runs. Selection without optional headers, the
 * header search in pip's wheels, and the missing-nvcc error are checked directly.
 */
import { LibraryError } from "../../lib/core/errors.ts";
import { planBuild, selectSources } from "../../ffi/build_plan.ts";
import { SHIM_SOURCES } from "../../ffi/shim_sources.ts";
import {
  detectToolchain,
  findCudnnInclude,
  findNvcc,
  locateNvcc,
  type Toolchain,
  whichSync,
} from "../../ffi/toolchain.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { repoRoot } from "./_tree.ts";

const hasMake = !!whichSync("make");
if (!hasMake) console.log("[skip] make comparisons skipped: no make on PATH");

interface Commands {
  /** source → its compile command without `-o <object>`. */
  compiles: Map<string, string[]>;
  /** The link command with objects replaced by their sources and the output by "OUT". */
  link: string[];
}

// `-I<dir>/` and `-I<dir>` are the same directory (the Makefile's $(dir) leaves the slash).
const norm = (a: string) => a.replace(/^(-I.+?)\/+$/, "$1").replace(/^(\/.+?)\/+$/, "$1");

/** The compile and link commands `make -n` prints for `lib`, with objects under `build`. */
async function makeCommands(env: Record<string, string>, build: string, nvcc: string, cc: string): Promise<Commands> {
  const out = await new Deno.Command("make", {
    args: ["-s", "-n", "-B", "V=1", "lib", `BUILD=${build}`],
    cwd: repoRoot(),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  const compiles = new Map<string, string[]>();
  let link: string[] = [];
  for (const line of text.split("\n")) {
    const argv = line.trim().split(/\s+/).map(norm);
    if (argv[0] !== nvcc && argv[0] !== cc) continue;
    const o = argv.indexOf("-o");
    if (argv.includes("-c")) compiles.set(argv[argv.indexOf("-c") + 1], argv.slice(0, o));
    else {
      link = argv.map((a, i) =>
        i === o + 1 ? "OUT" : a.startsWith(`${build}/obj/`) ? `c_shim/src/${a.slice(build.length + 5, -2)}` : a
      );
    }
  }
  return { compiles, link };
}

function planCommands(tc: Toolchain): Commands {
  const plan = planBuild(tc, SHIM_SOURCES);
  const compiles = new Map(plan.compiles.map((c) => [c.src, c.argv.map(norm)]));
  // The link command, as ffi/build.ts runs it, with the same substitutions as makeCommands.
  const link = [
    tc.nvcc,
    "-gencode",
    "arch=compute_90,code=sm_90",
    "-gencode",
    "arch=compute_90,code=compute_90",
    ...plan.compiles.map((c) => c.src),
    "-o",
    "OUT",
    "-shared",
    "-Xlinker",
    "-z,defs",
    "-lpthread",
    "-ldl",
    "-lrt",
  ];
  return { compiles, link };
}

async function compare(env: Record<string, string>, label: string): Promise<Toolchain> {
  const tc = detectToolchain((name) => env[name] || undefined);
  const build = await Deno.makeTempDir({ prefix: "denotrt-make-n-" });
  try {
    const make = await makeCommands(env, build, tc.nvcc, tc.cc);
    const ours = planCommands(tc);
    assertEquals([...ours.compiles.keys()].sort(), [...make.compiles.keys()].sort(), `${label}: the same sources`);
    for (const [src, argv] of make.compiles) assertEquals(ours.compiles.get(src), argv, `${label}: ${src}`);
    assertEquals(ours.link, make.link, `${label}: the link command`);
    return tc;
  } finally {
    await Deno.remove(build, { recursive: true });
  }
}

Deno.test({
  name: "the package's build runs the Makefile's commands on this machine's toolchain",
  ignore: !hasMake,
  async fn() {
    const env = Deno.env.toObject();
    if (!("nvcc" in locateNvcc((n) => env[n] || undefined))) {
      console.log("[skip] no nvcc here: only the planted toolkit is compared");
      return;
    }
    const tc = await compare(env, "this machine");
    const cu = planBuild(tc, SHIM_SOURCES).compiles.find((c) => c.src.endsWith(".cu"))!;
    for (
      const flag of ["arch=compute_90,code=sm_90", "arch=compute_90,code=compute_90", "-fPIC,-fvisibility=hidden,-Wall"]
    ) {
      assert(cu.argv.includes(flag), `${flag} in ${cu.argv.join(" ")}`);
    }
  },
});

/** A fake toolkit: bin/nvcc (prints a release), cudnn/cuBLASLt/TensorRT headers, as a directory tree. */
async function plantToolkit(dir: string, withHeaders: boolean): Promise<Record<string, string>> {
  await Deno.mkdir(`${dir}/cuda/bin`, { recursive: true });
  await Deno.mkdir(`${dir}/cuda/include`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/cuda/bin/nvcc`,
    "#!/bin/sh\necho 'Cuda compilation tools, release 13.0, V13.0.88'\n",
  );
  await Deno.chmod(`${dir}/cuda/bin/nvcc`, 0o755);
  await Deno.writeTextFile(`${dir}/cuda/include/cuda.h`, "#define CUDA_VERSION 13000\n");
  if (withHeaders) {
    await Deno.writeTextFile(`${dir}/cuda/include/cudnn.h`, "\n");
    await Deno.writeTextFile(
      `${dir}/cuda/include/cudnn_version.h`,
      "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 14\n#define CUDNN_PATCHLEVEL 0\n",
    );
    await Deno.writeTextFile(`${dir}/cuda/include/cublasLt.h`, "\n");
    await Deno.mkdir(`${dir}/trt`, { recursive: true });
    for (const h of ["NvInfer.h", "NvOnnxParser.h"]) await Deno.writeTextFile(`${dir}/trt/${h}`, "\n");
    await Deno.writeTextFile(`${dir}/trt/NvInferVersion.h`, "#define NV_TENSORRT_MAJOR 10\n");
  }
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: dir,
    CUDA_HOME: `${dir}/cuda`,
    CC: "cc",
    PYTHON: "false", // no pip wheels: only the planted headers count
    ...(withHeaders ? { TENSORRT_INCLUDE: `${dir}/trt`, CUDA_INCLUDE: `${dir}/cuda/include` } : {}),
  };
}

Deno.test({
  name: "on a toolkit with cuDNN, cuBLASLt and TensorRT headers, every optional part is built as make builds it",
  ignore: !hasMake || !whichSync("cc"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "denotrt-toolkit-" });
    try {
      const tc = await compare(await plantToolkit(dir, true), "planted toolkit");
      assertEquals(tc.cudnnVersion, "9.14.0");
      assertEquals(tc.tensorrt, { include: `${dir}/trt`, major: "10" });
      const plan = planBuild(tc, SHIM_SOURCES);
      assertEquals(plan.parts, { cudnn: true, cublaslt: true, tensorrt: true });
      const srcs = plan.compiles.map((c) => c.src);
      for (const part of ["cudnn/", "cublaslt/", "tensorrt/runtime.cpp"]) {
        assert(srcs.some((s) => s.includes(part)), part);
      }
      const cpp = plan.compiles.find((c) => c.src.endsWith("tensorrt/runtime.cpp"))!;
      assertEquals(cpp.argv.slice(-4), ["-x", "cu", "-c", "c_shim/src/tensorrt/runtime.cpp"]);
      assert(cpp.argv.includes("-DDENOTRT_WITH_TENSORRT") && cpp.argv.includes(`${dir}/trt`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("without optional headers the build leaves their sources and defines out", () => {
  const tc: Toolchain = {
    nvcc: "/cuda/bin/nvcc",
    cudaHome: "/cuda",
    from: "CUDA_HOME",
    cc: "cc",
    cudaVersion: "13.0",
    cudaIncludeForTensorRT: "/usr/local/cuda/include",
  };
  const plan = planBuild(tc, SHIM_SOURCES);
  assertEquals(plan.parts, { cudnn: false, cublaslt: false, tensorrt: false });
  const srcs = plan.compiles.map((c) => c.src);
  assert(!srcs.some((s) => /\/(cudnn|cublaslt)\//.test(s)), srcs.join(" "));
  assertEquals(srcs.filter((s) => s.includes("/tensorrt/")), ["c_shim/src/tensorrt/plan_header.cpp"]);
  assert(!plan.compiles.some((c) => c.argv.some((a) => a.startsWith("-DDENOTRT_WITH_"))));
  // Headers are compiled only through the sources that include them.
  assert(!srcs.some((s) => /\.(h|cuh)$/.test(s)));
  assertEquals(
    selectSources(SHIM_SOURCES, { cudnn: true, cublaslt: false, tensorrt: false }).filter((s) => s.includes("/cudnn/"))
      .length,
    3, // cudnn_loader.cu, cudnn_conv.cu, cudnn_graph_conv.cu
  );
});

Deno.test("cuDNN headers are found in pip's nvidia-cudnn wheel under a site-packages directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denotrt-wheel-" });
  try {
    const wheel = `${dir}/venv/lib/python3.12/site-packages/nvidia`;
    await Deno.mkdir(`${wheel}/cudnn/include`, { recursive: true });
    await Deno.writeTextFile(`${wheel}/cudnn/include/cudnn.h`, "\n");
    const found = findCudnnInclude(`${dir}/no-cuda`, [wheel], () => undefined);
    assertEquals(found, `${wheel}/cudnn/include`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an explicit CUDA_HOME without nvcc is one LibraryError saying what to install and about DENOTRT_LIB", () => {
  const e = assertThrows(() => findNvcc((n) => (n === "CUDA_HOME" ? "/nonexistent/cuda" : undefined)), LibraryError);
  assert(e.message.includes("/nonexistent/cuda/bin/nvcc"), e.message);
  assert(/Install the CUDA toolkit/.test(e.message) && e.message.includes("DENOTRT_LIB"), e.message);
});
