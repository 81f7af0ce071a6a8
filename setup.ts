/**
 * Builds libdenotrt.so ahead of time for a package used from JSR (otherwise the first API call builds it) and says
 * what it found: the CUDA toolkit, the GPU (or none), cuDNN, cuBLASLt and TensorRT (headers for the build,
 * libraries for run time), and where the library went.
 *
 * ```sh
 * deno run -A jsr:@denotrt/trt/setup            # build if needed, then report
 * deno run -A jsr:@denotrt/trt/setup --force    # relink even if a valid build is there (objects are reused)
 * deno run -A jsr:@denotrt/trt/setup --clean    # recompile everything
 * ```
 * @module
 */
import { LibraryError } from "./lib/core/errors.ts";
import { VERSION } from "./lib/version.ts";
import { buildLibrary, PACKAGE_ROOT } from "./ffi/build.ts";
import { findCachedLibrary } from "./ffi/cache.ts";
import { readEnv } from "./ffi/env.ts";
import { library } from "./ffi/load.ts";
import { detectToolchain, type Toolchain } from "./ffi/toolchain.ts";
import { cudaVersions, formatCudaVersion, getDeviceCount, getDeviceInfo } from "./lib/cuda/device.ts";

const line = (key: string, value: string) => console.log(`  ${`${key}:`.padEnd(20)}${value}`);

/** Whether the dynamic linker finds `name` (what the shim's own dlopen at run time will see). */
function loadable(name: string): boolean {
  try {
    Deno.dlopen(name, {}).close();
    return true;
  } catch {
    return false;
  }
}

function reportHeaders(tc: Toolchain): void {
  line("CUDA toolkit", `${tc.cudaVersion} (nvcc ${tc.nvcc}, found via ${tc.from})`);
  line("C compiler", tc.cc);
  line(
    "cuDNN headers",
    tc.cudnnInclude
      ? `${tc.cudnnVersion ?? "version unknown"} in ${tc.cudnnInclude}`
      : "not found: building without cuDNN convolutions (`pip install nvidia-cudnn-cu13` provides them)",
  );
  line(
    "cuBLASLt headers",
    tc.cublasInclude
      ? tc.cublasInclude
      : "not found: building without cuBLASLt GEMMs (`pip install nvidia-cublas` provides them)",
  );
  line(
    "TensorRT headers",
    tc.tensorrt
      ? `TensorRT ${tc.tensorrt.major ?? "(version unknown)"} in ${tc.tensorrt.include}`
      : `not found${tc.tensorrtNote ? ` (${tc.tensorrtNote})` : ""}: building without the TensorRT provider ` +
        "(set TENSORRT_INCLUDE to TensorRT's include/ to add it)",
  );
}

function reportRuntime(tc: Toolchain): void {
  const lib = (name: string, absent: string) => (loadable(name) ? `${name} found` : `${name} not found: ${absent}`);
  line("cuDNN library", lib("libcudnn.so.9", "cuDNN convolutions are off at run time (own kernels are used)"));
  line("cuBLASLt library", lib("libcublasLt.so.13", "cuBLASLt GEMMs are off at run time (own kernels are used)"));
  const majors = tc.tensorrt?.major ? [tc.tensorrt.major] : ["10", "11"];
  const found = majors.map((m) => `libnvinfer.so.${m}`).find(loadable);
  line(
    "TensorRT library",
    found ? `${found} found` : `libnvinfer.so.${majors.join("/.")} not found: the built-in engine is used`,
  );
}

function reportGpu(): void {
  try {
    const n = getDeviceCount();
    if (n === 0) return line("GPU", "none visible");
    const v = cudaVersions();
    for (let i = 0; i < n; i++) {
      const d = getDeviceInfo(i);
      const gib = (d.totalMemory / 2 ** 30).toFixed(0);
      line(i === 0 ? "GPU" : "", `${i}: ${d.name} (sm_${d.computeCapability.join("")}, ${gib} GiB)`);
    }
    line("CUDA driver", formatCudaVersion(v.driver));
  } catch (e) {
    line("GPU", `none (${e instanceof Error ? e.message : e})`);
  }
}

function main(args: string[]): number {
  const force = args.includes("--force") || args.includes("--clean");
  const clean = args.includes("--clean");
  console.log(`denotrt ${VERSION} setup (package at ${PACKAGE_ROOT.href})`);
  const fromEnv = readEnv("DENOTRT_LIB");
  if (fromEnv) line("DENOTRT_LIB", `${fromEnv} (set: denotrt loads that library and never builds one)`);
  const slot = findCachedLibrary();
  if (!slot) {
    console.error("setup: no cache directory: set DENOTRT_CACHE or HOME (and run with --allow-env)");
    return 1;
  }
  let tc: Toolchain;
  try {
    tc = detectToolchain();
  } catch (e) {
    console.error(`setup: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  reportHeaders(tc);
  try {
    const r = buildLibrary({ versionDir: slot.versionDir, cuda: slot.cuda, force, clean, log: (l) => console.log(l) });
    line(
      "library",
      `${r.path} (${
        r.built
          ? `built in ${r.seconds.toFixed(0)} s: ${r.compiled} compiled, ${r.reused} reused`
          : "already built; --force relinks, --clean recompiles"
      })`,
    );
  } catch (e) {
    if (!(e instanceof LibraryError)) throw e;
    console.error(`setup: ${e.message}`);
    return 1;
  }
  reportRuntime(tc);
  try {
    line("in use", library().path);
  } catch (e) {
    console.error(`setup: the library does not load: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
  reportGpu();
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
