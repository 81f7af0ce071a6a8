/**
 * What `deno task bench` measures: the models (and where their ONNX comes from), the batches, precisions and peer
 * variants, and the timing settings, for the full run and for --quick (the smoke run).
 */

export interface ModelSpec {
  name: string;
  label: string;
  /**
   * The fixture file in tests/fixtures/out, or a pattern matched against the file names in tests/fixtures/out (and
   * its subfolders) and .tools/models; among matches, one with a dynamic batch wins, then the shortest name.
   */
  file: string | RegExp;
  /** Per-sample input dimensions where the ONNX leaves them dynamic (the detectors' H and W). */
  sampleDims: number[];
  batches: number[];
  /** How the PyTorch peers build the model: a torchvision constructor, or the ONNX graph itself (onnx_torch.py). */
  torch: string;
}

export interface Timing {
  warmUpMs: number;
  minIters: number;
  minS: number;
  maxIters: number;
  inputSets: number;
}

export interface PeerVariant {
  runtime: "pytorch-eager" | "pytorch-cudagraph";
  precision: "fp32" | "fp16";
  channels_last?: boolean;
  transfers: boolean;
}

/**
 * The extra "with H2D/D2H on several streams" rows (issue #11: copies overlapped with compute through pinned buffers,
 * so throughput with transfers stays within 10% of compute only): per model the batches, at these precisions.
 */
export interface StreamsPlan {
  count: number;
  batches: Record<string, number[]>;
  precisions: ("fp32" | "tf32" | "fp16")[];
}

export interface BenchPlan {
  models: ModelSpec[];
  precisions: ("fp32" | "tf32" | "fp16")[];
  providers: ("builtin" | "tensorrt")[];
  timing: Timing;
  streams: StreamsPlan;
  variants: PeerVariant[];
  /** torch.compile: per model, the batches to compile (each batch is a separate compile). */
  compile: { mode: string; batches: Record<string, number[]>; timeoutS: number };
  ort: { batches: number[]; minIters: number; maxS: number; timeoutS: number };
  torchTimeoutS: number;
  /** Seconds the whole bench may take; sections that would start later are skipped with the reason. */
  budgetS: number;
}

const RESNET: ModelSpec = {
  name: "resnet50",
  label: "ResNet-50",
  file: "resnet50.onnx",
  sampleDims: [3, 224, 224],
  batches: [1, 8, 32, 128],
  torch: "torchvision:resnet50",
};
const MOBILENET: ModelSpec = {
  name: "mobilenet_v3_large",
  label: "MobileNetV3-Large",
  file: "mobilenet_v3_large.onnx",
  sampleDims: [3, 224, 224],
  batches: [1, 8, 32, 128],
  torch: "torchvision:mobilenet_v3_large",
};
const YOLOX: ModelSpec = {
  name: "yolox_m",
  label: "YOLOX-m-shaped detector (640×640)",
  file: /^yolox.*\.onnx$/i, // tests/fixtures/make_yolox.py: out/yolox/yolox_m.onnx (batch 1), yolox_m_dyn.onnx
  sampleDims: [3, 640, 640],
  batches: [1, 16], // the b1 and b16
  torch: "onnx",
};
const PPOCR: ModelSpec = {
  name: "ppocr_det",
  label: "PP-OCRv4 detection (960×960)",
  file: /pp-?ocr.*det.*\.onnx$/i, // ch_PP-OCRv4_det_infer.onnx (`make models` puts it in .tools/models)
  sampleDims: [3, 960, 960],
  batches: [1],
  torch: "onnx",
};

const VARIANTS: PeerVariant[] = [
  { runtime: "pytorch-eager", precision: "fp32", transfers: false },
  { runtime: "pytorch-eager", precision: "fp16", channels_last: true, transfers: false },
  { runtime: "pytorch-cudagraph", precision: "fp32", transfers: false },
  { runtime: "pytorch-cudagraph", precision: "fp16", channels_last: true, transfers: false },
  { runtime: "pytorch-cudagraph", precision: "fp16", channels_last: true, transfers: true },
];

export function fullPlan(): BenchPlan {
  return {
    models: [RESNET, MOBILENET, YOLOX, PPOCR],
    precisions: ["fp32", "tf32", "fp16"],
    providers: ["builtin", "tensorrt"],
    timing: { warmUpMs: 60, minIters: 20, minS: 0.2, maxIters: 1000, inputSets: 4 },
    streams: { count: 2, batches: { resnet50: [32, 128] }, precisions: ["fp16"] },
    variants: VARIANTS,
    // Issue #11 compares with torch.compile on every model: the detectors at their batches, MobileNet at b1 and b32.
    compile: {
      mode: "default",
      batches: { resnet50: [1, 32], mobilenet_v3_large: [1, 32], yolox_m: [1, 16], ppocr_det: [1] },
      timeoutS: 300,
    },
    ort: { batches: [1], minIters: 10, maxS: 1.5, timeoutS: 40 },
    torchTimeoutS: 180,
    budgetS: 420, // the "under ~8 minutes" with fixtures; --budget 240 fits a 5-minute device call
  };
}

/** The smoke run: every section once, at the smallest sizes. */
export function quickPlan(): BenchPlan {
  const p = fullPlan();
  return {
    ...p,
    models: [{ ...RESNET, batches: [1, 32] }, { ...MOBILENET, batches: [1] }, { ...YOLOX, batches: [1] }, { ...PPOCR, batches: [1] }],
    timing: { warmUpMs: 100, minIters: 20, minS: 0.2, maxIters: 500, inputSets: 4 },
    streams: { count: 2, batches: { resnet50: [32] }, precisions: ["fp16"] },
    variants: [VARIANTS[0], VARIANTS[3], VARIANTS[4]],
    compile: { mode: "default", batches: { resnet50: [1] }, timeoutS: 60 },
    ort: { batches: [1], minIters: 5, maxS: 1, timeoutS: 30 },
    torchTimeoutS: 60,
    budgetS: 150,
  };
}
