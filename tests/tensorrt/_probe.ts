/**
 * One TensorRT loader scenario per process (see probe() in _shim.ts). Usage:
 *   deno run --allow-ffi --allow-read --allow-env _probe.ts load
 *   deno run --allow-ffi --allow-read --allow-env _probe.ts deserialize <base64 plan>
 * Prints one JSON line: { rc, error?, version?, path? }.
 */
import { sym } from "../../ffi/load.ts";
import { newErrorRecord, readErrorRecord, trtLib } from "./_shim.ts";

const [action, planB64] = Deno.args;
const t = trtLib();
if (!t) {
  console.log(JSON.stringify({ rc: -1, error: { message: "no library" } }));
  Deno.exit(0);
}
const err = newErrorRecord();
if (action === "load") {
  const version = new Int32Array(1);
  const path = new Uint8Array(1024);
  const rc = t.lib.symbols.denotrt_tensorrt_load!(version, path, BigInt(path.length), err);
  const p = new TextDecoder().decode(path.subarray(0, Math.max(0, path.indexOf(0))));
  console.log(JSON.stringify(rc === 0 ? { rc, version: version[0], path: p } : { rc, error: readErrorRecord(err) }));
} else if (action === "deserialize") {
  const plan = Uint8Array.from(atob(planB64), (c) => c.charCodeAt(0));
  const out = new BigUint64Array(1);
  const rc = sym().denotrt_engine_deserialize(plan, BigInt(plan.length), 0, out, err);
  if (rc === 0) {
    const engine = Deno.UnsafePointer.create(out[0]);
    sym().denotrt_engine_destroy(engine, newErrorRecord());
  }
  console.log(JSON.stringify(rc === 0 ? { rc } : { rc, error: readErrorRecord(err) }));
} else {
  throw new Error(`unknown action ${action}`);
}
