/** What the loaded shim is: its version, where it was loaded from, what it was built with. */
import { library } from "../../ffi/load.ts";
import { readCString } from "./call.ts";

export interface LibraryInfo {
  path: string;
  version: string;
  abiVersion: number;
  /** The CUDA executor is compiled in. */
  cuda: boolean;
  /** The TensorRT provider is compiled in (libnvinfer is still loaded only at run time). */
  tensorrt: boolean;
}

export function libraryInfo(): LibraryInfo {
  const { symbols: s, path } = library();
  const features = s.denotrt_build_features();
  return {
    path,
    version: readCString(s.denotrt_version()),
    abiVersion: s.denotrt_abi_version(),
    cuda: (features & 1) !== 0,
    tensorrt: (features & 2) !== 0,
  };
}
