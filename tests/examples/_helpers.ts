/** Shared by the example tests: where the models and references live, and running an example as a subprocess. */
export const ROOT = new URL("../../", import.meta.url).pathname;
export const OCR_MODEL = `${ROOT}.tools/models/ch_PP-OCRv4_det_infer.onnx`;
export const OCR_REF = `${ROOT}tests/fixtures/out/ocr/`;
export const YOLOX_DIR = `${ROOT}tests/fixtures/out/yolox/`;
export const SAMPLE_IMAGE = `${ROOT}examples/data/ocr_sample.png`;
export const SAMPLE_LINES = `${ROOT}examples/data/ocr_sample.json`;

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const told = new Set<string>();
/** Whether the files `make models` makes are there; prints one skip reason per kind when not. */
export function present(what: string, ...paths: string[]): boolean {
  const missing = paths.filter((p) => !exists(p));
  if (missing.length && !told.has(what)) {
    told.add(what);
    console.log(`[skip] ${what} tests skipped: ${missing.map((p) => p.replace(ROOT, "")).join(", ")} missing (run \`make models\`)`);
  }
  return missing.length === 0;
}

/** A raw little-endian float32 file as an array. */
export function readF32(path: string): Float32Array<ArrayBuffer> {
  const b = Deno.readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export interface ExampleRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs examples/<script> with the permissions its usage line names, from the repository root, without colour. */
export async function runExample(script: string, args: string[], env: Record<string, string> = {}): Promise<ExampleRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", "--allow-write", "--allow-env", `examples/${script}`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** ‖a − b‖ / ‖b‖ in float64. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
