// Test helper: hand-built IR graphs (lib/builder/ir.ts) for single-op and small-network tests.
import type { Attr, Dim, DType, Graph, Node, ShapeRange } from "../../lib/builder/ir.ts";

export class GraphBuilder {
  g: Graph = { name: "test", opset: 17, inputs: [], outputs: [], tensors: new Map(), nodes: [], profiles: [] };
  private n = 0;

  input(name: string, shape: Dim[], dtype: DType = "float32"): string {
    this.g.tensors.set(name, { name, dtype, shape });
    this.g.inputs.push(name);
    return name;
  }
  constF32(name: string, shape: number[], values: ArrayLike<number>): string {
    const data = new Uint8Array(new Float32Array(Array.from(values)).buffer);
    this.g.tensors.set(name, { name, dtype: "float32", shape, data });
    return name;
  }
  constI64(name: string, values: number[]): string {
    const data = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.g.tensors.set(name, { name, dtype: "int64", shape: [values.length], data });
    return name;
  }
  /** Adds a node; each output is declared with the given shape (symbolic dims allowed) and dtype. */
  node(
    op: string,
    inputs: string[],
    outShapes: Dim[][],
    attrs: Record<string, Attr> = {},
    dtype: DType = "float32",
  ): string[] {
    const outs = outShapes.map((shape, i) => {
      const name = `${op.toLowerCase()}_${this.n}_${i}`;
      this.g.tensors.set(name, { name, dtype, shape });
      return name;
    });
    const node: Node = { name: `${op}_${this.n++}`, op, inputs, outputs: outs, attrs };
    this.g.nodes.push(node);
    return outs;
  }
  output(...names: string[]): this {
    this.g.outputs.push(...names);
    return this;
  }
  profile(p: Record<string, ShapeRange>): this {
    this.g.profiles.push(p);
    return this;
  }
}

export const ints = (value: number[]): Attr => ({ type: "ints", value });
export const int = (value: number): Attr => ({ type: "int", value });
export const float = (value: number): Attr => ({ type: "float", value });
export const str = (value: string): Attr => ({ type: "string", value });
