/**
 * Finds what building libdenotrt.so needs, the way the Makefile does: nvcc (CUDA_HOME, CUDA_PATH, PATH, then
 * /usr/local/cuda), the host C compiler (CC, else cc), and the optional headers: cuDNN and cuBLASLt (the toolkit,
 * pip's nvidia-cudnn-cu13 / nvidia-cublas wheels, the system) and TensorRT (c_shim/tensorrt.mk's search). Missing
 * optional headers only leave their part out of the build; a missing nvcc or cc is a LibraryError saying what to
 * install.
 */
import { LibraryError } from "../lib/core/errors.ts";
import { dirName, type EnvLookup, isFile, joinPath, listDir, readEnv, readTextOrUndefined } from "./env.ts";

export interface NvccLocation {
  nvcc: string;
  /** The toolkit directory the Makefile calls CUDA_HOME (its include/ is searched for cuDNN and cuBLASLt). */
  cudaHome: string;
  /** Where it was found: "CUDA_HOME", "CUDA_PATH", "PATH" or "/usr/local/cuda". */
  from: string;
}

export interface TensorRTHeaders {
  include: string;
  /** NV_TENSORRT_MAJOR of the headers (e.g. "10"), when it could be read. */
  major?: string;
}

export interface Toolchain extends NvccLocation {
  /** The host C compiler for the .c files (CC, else cc). */
  cc: string;
  /** The toolkit's release, "13.0", from `nvcc --version`. */
  cudaVersion: string;
  cudnnInclude?: string;
  /** From cudnn_version.h, e.g. "9.14.0". */
  cudnnVersion?: string;
  cublasInclude?: string;
  tensorrt?: TensorRTHeaders;
  /** Why TensorRT headers were not used, when some were seen (e.g. NvInfer.h without NvOnnxParser.h). */
  tensorrtNote?: string;
  /** The CUDA include directory given to the TensorRT sources (tensorrt.mk's CUDA_INCLUDE). */
  cudaIncludeForTensorRT: string;
}

const DEFAULT_CUDA = "/usr/local/cuda";

/** The first executable named `name` on PATH. */
export function whichSync(name: string, env: EnvLookup = readEnv): string | undefined {
  if (name.includes("/")) return isFile(name) ? name : undefined;
  for (const dir of (env("PATH") ?? "").split(":")) {
    if (dir && isFile(joinPath(dir, name))) return joinPath(dir, name);
  }
  return undefined;
}

/** Where nvcc is, or the places looked at when it is nowhere (for the error message). */
export function locateNvcc(env: EnvLookup = readEnv): NvccLocation | { tried: string[] } {
  const tried: string[] = [];
  const nvccOverride = env("NVCC");
  const pick = (cudaHome: string, from: string): NvccLocation | undefined => {
    const nvcc = nvccOverride ?? joinPath(cudaHome, "bin", "nvcc");
    if (isFile(nvcc)) return { nvcc, cudaHome, from };
    tried.push(`${from}: ${nvcc} does not exist`);
    return undefined;
  };
  // An explicit CUDA_HOME or CUDA_PATH is the only place looked at, as in the Makefile: a wrong one should say so,
  // not silently build with another toolkit.
  for (const name of ["CUDA_HOME", "CUDA_PATH"]) {
    const home = env(name);
    if (home) return pick(home, `${name}=${home}`) ?? { tried };
    tried.push(`${name} is not set`);
  }
  const onPath = whichSync("nvcc", env);
  if (onPath) {
    const bin = dirName(onPath);
    return { nvcc: nvccOverride ?? onPath, cudaHome: bin.endsWith("/bin") ? dirName(bin) : bin, from: "PATH" };
  }
  tried.push(`no nvcc on PATH (${env("PATH") ?? "PATH is not readable"})`);
  return pick(DEFAULT_CUDA, DEFAULT_CUDA) ?? { tried };
}

/** Where nvcc is; a LibraryError that says what to install (or how to use a prebuilt library) when it is absent. */
export function findNvcc(env: EnvLookup = readEnv): NvccLocation {
  const found = locateNvcc(env);
  if ("nvcc" in found) return found;
  throw new LibraryError(
    `libdenotrt.so is not built for this machine, and it cannot be built here: no CUDA compiler (nvcc) was found ` +
      `(${found.tried.join("; ")}). Install the CUDA toolkit 13 (https://developer.nvidia.com/cuda-downloads, or ` +
      `your distribution's cuda-toolkit package) and put its bin/ on PATH or set CUDA_HOME; or set DENOTRT_LIB to ` +
      `a prebuilt libdenotrt.so (\`make lib\` in a checkout of denotrt builds one).`,
    found.tried,
  );
}

function parseCudaVersionDefine(header: string | undefined): string | undefined {
  const m = header?.match(/^#define\s+CUDA_VERSION\s+(\d+)/m);
  if (!m) return undefined;
  const v = Number(m[1]);
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/** The include directories of a toolkit: include/ and targets/<arch>/include/ (where the .deb toolkits put headers). */
function toolkitIncludes(cudaHome: string): string[] {
  return [
    joinPath(cudaHome, "include"),
    ...listDir(joinPath(cudaHome, "targets")).map((t) => joinPath(cudaHome, "targets", t, "include")),
  ];
}

/**
 * The toolkit's CUDA version read from its cuda.h without running anything (the loader uses it to pick the cache
 * directory, so a run that only loads needs no --allow-run); undefined when no cuda.h sits next to nvcc.
 */
export function cudaVersionFromHeaders(loc: NvccLocation): string | undefined {
  const homes = [loc.cudaHome];
  try {
    const real = Deno.realPathSync(loc.nvcc);
    homes.push(dirName(dirName(real)));
  } catch {
    // unreadable: the configured home is all there is
  }
  for (const home of homes) {
    for (const inc of toolkitIncludes(home)) {
      const v = parseCudaVersionDefine(readTextOrUndefined(joinPath(inc, "cuda.h")));
      if (v) return v;
    }
  }
  return undefined;
}

function runText(cmd: string, args: string[]): string | undefined {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** `nvcc --version`'s release ("13.0"); a LibraryError when nvcc does not run. */
export function nvccVersion(nvcc: string): string {
  const text = runText(nvcc, ["--version"]);
  const m = text?.match(/release (\d+\.\d+)/);
  if (!m) throw new LibraryError(`${nvcc} --version did not run or did not print a release number`, [nvcc]);
  return m[1];
}

/**
 * The directories of pip's `nvidia` namespace package (where nvidia-cudnn-cu13 and nvidia-cublas put their
 * headers): what python3 reports first (as the Makefile asks it), then the usual site-packages directories.
 */
export function pythonNvidiaDirs(env: EnvLookup = readEnv): string[] {
  const out: string[] = [];
  const python = env("PYTHON") ?? "python3";
  const text = runText(python, ["-c", 'import nvidia;print("\\n".join(list(nvidia.__path__)))']);
  for (const line of text?.split("\n") ?? []) if (line.trim()) out.push(line.trim());
  const prefixes = [
    env("VIRTUAL_ENV"),
    env("CONDA_PREFIX"),
    env("HOME") && joinPath(env("HOME")!, ".local"),
    "/usr/local",
    "/usr",
  ];
  for (const prefix of prefixes) {
    if (!prefix) continue;
    const lib = joinPath(prefix, "lib");
    for (const py of listDir(lib).filter((n) => /^python3(\.\d+)?$/.test(n))) {
      for (const pkgs of ["site-packages", "dist-packages"]) out.push(joinPath(lib, py, pkgs, "nvidia"));
    }
  }
  return [...new Set(out)].filter((d) => listDir(d).length > 0);
}

function firstDirHolding(file: string, dirs: string[]): string | undefined {
  return dirs.find((d) => isFile(joinPath(d, file)));
}

/** cuDNN's include directory: CUDNN_INCLUDE; the toolkit; pip's nvidia-cudnn wheel; /usr/include (and multiarch). */
export function findCudnnInclude(cudaHome: string, pyDirs: string[], env: EnvLookup = readEnv): string | undefined {
  const given = env("CUDNN_INCLUDE");
  if (given) return given;
  return firstDirHolding("cudnn.h", [
    joinPath(cudaHome, "include"),
    ...pyDirs.map((d) => joinPath(d, "cudnn", "include")),
    "/usr/include",
    ...toolkitIncludes(cudaHome).slice(1),
    "/usr/include/x86_64-linux-gnu",
    "/usr/include/aarch64-linux-gnu",
    ...toolkitIncludes(DEFAULT_CUDA),
  ]);
}

/** cuBLASLt's include directory: CUBLAS_INCLUDE; the toolkit; pip's nvidia-cublas wheel (cu13/ or cublas/). */
export function findCublasInclude(cudaHome: string, pyDirs: string[], env: EnvLookup = readEnv): string | undefined {
  const given = env("CUBLAS_INCLUDE");
  if (given) return given;
  return firstDirHolding("cublasLt.h", [
    joinPath(cudaHome, "include"),
    ...pyDirs.flatMap((d) => [joinPath(d, "cu13", "include"), joinPath(d, "cublas", "include")]),
    ...toolkitIncludes(cudaHome).slice(1),
    ...toolkitIncludes(DEFAULT_CUDA),
    "/usr/include",
  ]);
}

function cudnnVersionAt(include: string): string | undefined {
  const h = readTextOrUndefined(joinPath(include, "cudnn_version.h"));
  const get = (name: string) => h?.match(new RegExp(`^#define\\s+${name}\\s+(\\d+)`, "m"))?.[1];
  const [a, b, c] = [get("CUDNN_MAJOR"), get("CUDNN_MINOR"), get("CUDNN_PATCHLEVEL")];
  return a ? [a, b ?? "0", c ?? "0"].join(".") : undefined;
}

/** TensorRT's headers, searched as c_shim/tensorrt.mk does; both NvInfer.h and NvOnnxParser.h are needed. */
export function findTensorRT(env: EnvLookup = readEnv): { headers?: TensorRTHeaders; note?: string } {
  const given = env("TENSORRT_INCLUDE");
  const root = env("TENSORRT_ROOT");
  const candidates = [
    ...(given ? [given] : []),
    ...(root ? [joinPath(root, "include")] : []),
    "/usr/include/x86_64-linux-gnu",
    "/usr/include/aarch64-linux-gnu",
    "/usr/include",
    "/usr/local/tensorrt/include",
  ];
  if (given && !isFile(joinPath(given, "NvInfer.h"))) return { note: `TENSORRT_INCLUDE=${given} has no NvInfer.h` };
  const include = firstDirHolding("NvInfer.h", candidates);
  if (!include) return {};
  if (!isFile(joinPath(include, "NvOnnxParser.h"))) return { note: `${include} has NvInfer.h but not NvOnnxParser.h` };
  const version = readTextOrUndefined(joinPath(include, "NvInferVersion.h")) ?? "";
  const major = version.match(/^#define (?:TRT_MAJOR_ENTERPRISE|NV_TENSORRT_MAJOR) ([0-9]+)/m)?.[1];
  return { headers: { include, major } };
}

/** Everything the build needs; a LibraryError when nvcc or the C compiler is missing. */
export function detectToolchain(env: EnvLookup = readEnv): Toolchain {
  const loc = findNvcc(env);
  const cc = env("CC") ?? "cc";
  if (!whichSync(cc, env)) {
    throw new LibraryError(
      `building libdenotrt.so needs a C compiler, and \`${cc}\` is not on PATH: install gcc (e.g. ` +
        `\`apt-get install build-essential\`; nvcc needs it too), or set DENOTRT_LIB to a prebuilt libdenotrt.so.`,
      [cc],
    );
  }
  const pyDirs = pythonNvidiaDirs(env);
  const cudnnInclude = findCudnnInclude(loc.cudaHome, pyDirs, env);
  const trt = findTensorRT(env);
  return {
    ...loc,
    cc,
    cudaVersion: nvccVersion(loc.nvcc),
    cudnnInclude,
    cudnnVersion: cudnnInclude ? cudnnVersionAt(cudnnInclude) : undefined,
    cublasInclude: findCublasInclude(loc.cudaHome, pyDirs, env),
    tensorrt: trt.headers,
    tensorrtNote: trt.note,
    cudaIncludeForTensorRT: env("CUDA_INCLUDE") ?? joinPath(DEFAULT_CUDA, "include"),
  };
}
