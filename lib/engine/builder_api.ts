/**
 * TensorRT-shaped build API for users who know TensorRT's Python samples:
 *   const builder = new Builder(); const network = builder.createNetwork();
 *   await new OnnxParser(network).parseFromFile("model.onnx");
 *   const config = builder.createBuilderConfig(); config.setFlag(BuilderFlag.FP16); ...
 *   const plan = await builder.buildSerializedNetwork(network, config);
 *   using engine = new Runtime().deserializeCudaEngine(plan);
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { getDeviceInfo } from "../cuda/device.ts";
import { buildBuiltinPlan } from "./builtin_builder.ts";
import { Engine } from "./engine.ts";
import { chooseDevice } from "./select.ts";
import { TimingCache } from "./timing_cache.ts";
import type { DeviceKind, Precision, ProfileShapes } from "./types.ts";

export enum BuilderFlag {
  FP16 = "fp16",
  TF32 = "tf32",
}

/** The network an OnnxParser fills: the model's bytes and where its external data lives. */
export class NetworkDefinition {
  onnx: Uint8Array | null = null;
  baseDir?: string;
}

export class OnnxParser {
  constructor(readonly network: NetworkDefinition) {}

  /** Takes the model's bytes (parsing happens at build time, where errors name the node). */
  parse(bytes: Uint8Array, baseDir?: string): boolean {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw new InvalidArgumentError("parse() needs the ONNX model's bytes");
    this.network.onnx = bytes;
    this.network.baseDir = baseDir;
    return true;
  }

  async parseFromFile(path: string): Promise<boolean> {
    const bytes = await Deno.readFile(path);
    const slash = path.lastIndexOf("/");
    return this.parse(bytes, slash < 0 ? "." : path.slice(0, slash) || "/");
  }
}

export class OptimizationProfile {
  readonly shapes: ProfileShapes = {};
  setShape(input: string, min: number[], opt: number[], max: number[]): void {
    if (min.length !== opt.length || opt.length !== max.length) throw new InvalidArgumentError(`profile shapes of '${input}' differ in rank`);
    for (let i = 0; i < min.length; i++) {
      if (!(min[i] <= opt[i] && opt[i] <= max[i])) throw new InvalidArgumentError(`profile of '${input}' needs min ≤ opt ≤ max in every dimension (dimension ${i})`);
    }
    this.shapes[input] = { min: [...min], opt: [...opt], max: [...max] };
  }
}

export class BuilderConfig {
  readonly flags: Set<BuilderFlag> = new Set();
  readonly profiles: OptimizationProfile[] = [];
  memoryPoolLimit = Number.POSITIVE_INFINITY;
  device?: DeviceKind;
  #timingCache: TimingCache | null = null;
  #ignoreMismatch = false;

  setFlag(flag: BuilderFlag): void {
    this.flags.add(flag);
  }
  clearFlag(flag: BuilderFlag): void {
    this.flags.delete(flag);
  }
  addOptimizationProfile(profile: OptimizationProfile): number {
    this.profiles.push(profile);
    return this.profiles.length - 1;
  }
  /** Caps the activation memory a context of the plan may need (TensorRT's workspace pool limit). */
  setMemoryPoolLimit(bytes: number): void {
    if (!(bytes > 0)) throw new InvalidArgumentError(`the memory pool limit must be a positive number of bytes, got ${bytes}`);
    this.memoryPoolLimit = bytes;
  }
  /** A timing cache, empty or from serialized bytes (TensorRT's createTimingCache); the caller disposes it. */
  createTimingCache(bytes?: Uint8Array): TimingCache {
    return new TimingCache(bytes);
  }
  /**
   * The cache the build takes kernel choices from and adds its measurements to (TensorRT's setTimingCache). A cache
   * measured on another GPU makes the build fail unless ignoreMismatch.
   */
  setTimingCache(cache: TimingCache, ignoreMismatch = false): boolean {
    if (!(cache instanceof TimingCache)) throw new InvalidArgumentError("setTimingCache needs a TimingCache (createTimingCache())");
    this.#timingCache = cache;
    this.#ignoreMismatch = ignoreMismatch;
    return true;
  }
  getTimingCache(): TimingCache | null {
    return this.#timingCache;
  }
  /** Whether the build may take choices from a cache measured on another GPU. */
  get timingCacheIgnoresMismatch(): boolean {
    return this.#ignoreMismatch;
  }
  get precision(): Precision {
    return this.flags.has(BuilderFlag.FP16) ? "fp16" : this.flags.has(BuilderFlag.TF32) ? "tf32" : "fp32";
  }
}

export class Builder {
  createNetwork(): NetworkDefinition {
    return new NetworkDefinition();
  }
  createBuilderConfig(): BuilderConfig {
    return new BuilderConfig();
  }
  createOptimizationProfile(): OptimizationProfile {
    return new OptimizationProfile();
  }

  /** Builds the plan bytes (TensorRT's IHostMemory). */
  async buildSerializedNetwork(network: NetworkDefinition, config: BuilderConfig): Promise<Uint8Array> {
    if (!network.onnx) throw new InvalidArgumentError("the network is empty: parse an ONNX model into it first");
    const device = chooseDevice(config.device);
    const gpu = device === "cuda" ? getDeviceInfo(0) : undefined;
    const { plan } = await buildBuiltinPlan(network.onnx, {
      precision: config.precision,
      profiles: config.profiles.map((p) => p.shapes),
      device,
      baseDir: network.baseDir,
      gpu: gpu && { name: gpu.name, computeCapability: gpu.computeCapability },
      memoryLimit: config.memoryPoolLimit,
      timing: { cache: config.getTimingCache() ?? undefined, ignoreMismatch: config.timingCacheIgnoresMismatch },
    });
    return plan;
  }
}

export class Runtime {
  constructor(readonly device?: DeviceKind) {}
  deserializeCudaEngine(plan: Uint8Array): Engine {
    return new Engine(plan, chooseDevice(this.device));
  }
}
