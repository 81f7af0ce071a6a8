/**
 * A few-line protobuf writer for the tiny ONNX models the TensorRT tests build (no Python or onnx package needed):
 * y = Relu(x + w), x: float32[n, 4] with a dynamic n, w: a float32[4] initializer.
 */
type Field = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const cat = (parts: (Field | number[])[]): Field => {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const int = (field: number, v: number | bigint): Field => cat([key(field, 0), varint(v)]);
const bytes = (field: number, v: Field): Field => cat([key(field, 2), varint(v.length), v]);
const str = (field: number, s: string): Field => bytes(field, new TextEncoder().encode(s));
const msg = (field: number, ...parts: Field[]): Field => bytes(field, cat(parts));

const FLOAT = 1;

function valueInfo(field: number, name: string, dims: (number | string)[]): Field {
  const shape = dims.map((d) => msg(1, typeof d === "number" ? int(1, d) : str(2, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, FLOAT), msg(2, ...shape))));
}

function node(inputs: string[], outputs: string[], op: string, name: string): Field {
  return msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op));
}

/** ModelProto bytes for y = Relu(x + w). `op` replaces Relu (a bogus op tests the parser's error path). */
export function reluAddModel(w: Float32Array, op = "Relu"): Uint8Array<ArrayBuffer> {
  const init = msg(5, int(1, w.length), int(2, FLOAT), str(8, "w"), bytes(9, new Uint8Array(w.buffer.slice(0))));
  const graph = msg(
    7,
    node(["x", "w"], ["s"], "Add", "add0"),
    node(["s"], ["y"], op, "act0"),
    str(2, "g"),
    init,
    valueInfo(11, "x", ["n", w.length]),
    valueInfo(12, "y", ["n", w.length]),
  );
  const model = cat([int(1, 8), str(2, "denotrt-tests"), graph, msg(8, str(1, ""), int(2, 17))]);
  return new Uint8Array(model);
}
