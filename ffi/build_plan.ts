/**
 * The compile and link commands of libdenotrt.so, the same ones the Makefile runs (tests/jsr/build_plan.test.ts
 * compares them with `make -n`): the same flags (sm_90 machine code plus compute_90 PTX, hidden visibility,
 * `-z defs`), the same optional parts (cuDNN, cuBLASLt, TensorRT, each only when its headers were found) and the
 * same source selection. Paths of sources are relative to the package root, which is the compiler's working
 * directory, as in `make`.
 */
import type { Toolchain } from "./toolchain.ts";

// Hopper machine code plus PTX, so newer GPUs can JIT it; never nvcc's default target.
export const GENCODE: readonly string[] = [
  "-gencode",
  "arch=compute_90,code=sm_90",
  "-gencode",
  "arch=compute_90,code=compute_90",
];
const CFLAGS = [
  "-std=c11",
  "-O2",
  "-fPIC",
  "-pthread",
  "-Wall",
  "-Wextra",
  "-Wno-unused-parameter",
  "-fvisibility=hidden",
  "-Ic_shim/include",
];
const NVCCFLAGS = [
  "-std=c++17",
  "-O2",
  ...GENCODE,
  "-Xcompiler",
  "-fPIC,-fvisibility=hidden,-Wall",
  "-Ic_shim/include",
];
const LDFLAGS = ["-shared", "-Xlinker", "-z,defs", "-lpthread", "-ldl", "-lrt"];

const SRC = "c_shim/src/";
// c_shim/tensorrt.mk: the plan-header reader is in every build, the provider only with TensorRT's headers.
const TRT_ALWAYS = `${SRC}tensorrt/plan_header.cpp`;
const TRT_ALL = ["loader.cpp", "runtime.cpp", "builder.cpp"].map((f) => `${SRC}tensorrt/${f}`);

export interface BuildParts {
  cudnn: boolean;
  cublaslt: boolean;
  tensorrt: boolean;
}

export interface Compile {
  /** The source, relative to the package root. */
  src: string;
  /** The command without its output (`-o <object>` is appended). */
  argv: string[];
}

export interface BuildPlan {
  parts: BuildParts;
  compiles: Compile[];
}

/** Which optional parts this toolchain can build. */
export function partsOf(tc: Toolchain): BuildParts {
  return { cudnn: !!tc.cudnnInclude, cublaslt: !!tc.cublasInclude, tensorrt: !!tc.tensorrt };
}

/** The sources the Makefile compiles, picked from the package's source list (ffi/shim_sources.ts), in its order. */
export function selectSources(all: readonly string[], parts: BuildParts): string[] {
  const sorted = [...all].sort();
  const compiled = /\.(c|cu|cpp)$/;
  const under = (dir: string) => sorted.filter((p) => p.startsWith(`${SRC}${dir}/`) && compiled.test(p));
  const top = sorted.filter((p) => p.startsWith(SRC) && !p.slice(SRC.length).includes("/") && /\.(c|cu)$/.test(p));
  const out = [...top, ...under("builtin"), ...under("cuda_ops")];
  if (parts.cudnn) out.push(...under("cudnn"));
  if (parts.cublaslt) out.push(...under("cublaslt"));
  if (all.includes(TRT_ALWAYS) && !out.includes(TRT_ALWAYS)) out.push(TRT_ALWAYS);
  if (parts.tensorrt) out.push(...TRT_ALL.filter((p) => all.includes(p)));
  return out;
}

/** Every compile command for `sources` (all paths relative to the package root). */
export function planBuild(tc: Toolchain, sources: readonly string[]): BuildPlan {
  const parts = partsOf(tc);
  const cflags = [...CFLAGS];
  const nvccflags = [...NVCCFLAGS];
  if (tc.cudnnInclude) {
    cflags.push("-DDENOTRT_WITH_CUDNN", `-I${tc.cudnnInclude}`);
    nvccflags.push("-DDENOTRT_WITH_CUDNN", `-I${tc.cudnnInclude}`);
  }
  if (tc.cublasInclude) {
    cflags.push("-DDENOTRT_WITH_CUBLASLT", `-I${tc.cublasInclude}`);
    nvccflags.push("-DDENOTRT_WITH_CUBLASLT", `-I${tc.cublasInclude}`);
  }
  if (tc.tensorrt) {
    // -isystem keeps TensorRT's deprecation warnings quiet; /usr/include is a system directory already (naming it
    // again with -isystem breaks libstdc++'s #include_next).
    nvccflags.push("-DDENOTRT_WITH_TENSORRT");
    if (tc.tensorrt.include !== "/usr/include") nvccflags.push("-isystem", tc.tensorrt.include);
    nvccflags.push("-isystem", tc.cudaIncludeForTensorRT);
    cflags.push("-DDENOTRT_WITH_TENSORRT");
  }
  const compiles = selectSources(sources, parts).map((src): Compile => {
    if (src.endsWith(".c")) return { src, argv: [tc.cc, ...cflags, "-c", src] };
    if (src.endsWith(".cpp")) return { src, argv: [tc.nvcc, ...nvccflags, "-x", "cu", "-c", src] };
    return { src, argv: [tc.nvcc, ...nvccflags, "-c", src] };
  });
  return { parts, compiles };
}

/** The link command: every object into one shared library that must resolve all of its symbols (-z defs). */
export function linkArgv(tc: Toolchain, objects: readonly string[], out: string): string[] {
  return [tc.nvcc, ...GENCODE, ...objects, "-o", out, ...LDFLAGS];
}
