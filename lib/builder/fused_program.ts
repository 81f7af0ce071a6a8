// The bytecode of the FusedElementwise op (docs/OPS.md, "FusedElementwise"): a postfix program run once per output
// element on a small stack of float32 values (float64 here, in the reference evaluator). This file is the format's
// one TypeScript definition: the fuse_elementwise pass writes programs with it and cpu_kernels.ts evaluates them.
// The C side mirrors it in c_shim/src/builtin/fused_program.h; the numbers below must match that header.
//
// Instruction word: `opcode | (arg << 8)`, arg >= 0.
//   INPUT k     push input k (broadcast to the output shape)
//   CONST j     push constants[j]
//   unary u     pop x, push u(x); ops with parameters read them from constants[arg], constants[arg + 1]
//   binary b    pop y, pop x, push x b y

/** Limits every executor relies on (the CUDA kernel passes the program by value in its launch parameters). */
export const FUSED_MAX_INPUTS = 8;
export const FUSED_MAX_PROGRAM = 64;
export const FUSED_MAX_CONSTANTS = 64;
export const FUSED_MAX_STACK = 8;

export const OP_INPUT = 0;
export const OP_CONST = 1;

/** Unary opcodes by the ONNX (or internal) op they evaluate; `params` constants follow at `arg`. */
export const FUSED_UNARY: Readonly<Record<string, { code: number; params: number }>> = {
  Relu: { code: 16, params: 0 },
  Sigmoid: { code: 17, params: 0 },
  Tanh: { code: 18, params: 0 },
  SiLU: { code: 19, params: 0 },
  HardSwish: { code: 20, params: 0 },
  HardSigmoid: { code: 21, params: 2 }, // alpha, beta
  LeakyRelu: { code: 22, params: 1 }, // alpha
  Clip: { code: 23, params: 2 }, // min, max
  Exp: { code: 24, params: 0 },
  Log: { code: 25, params: 0 },
  Sqrt: { code: 26, params: 0 },
  Abs: { code: 27, params: 0 },
  Neg: { code: 28, params: 0 },
  Reciprocal: { code: 29, params: 0 },
  Erf: { code: 30, params: 0 },
  Floor: { code: 31, params: 0 },
  Ceil: { code: 32, params: 0 },
};

/** Binary opcodes by ONNX op: pop y, pop x, push x op y. */
export const FUSED_BINARY: Readonly<Record<string, number>> = {
  Add: 48,
  Sub: 49,
  Mul: 50,
  Div: 51,
  Pow: 52,
  Max: 53,
  Min: 54,
};

export function instr(opcode: number, arg = 0): number {
  return opcode + arg * 256;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** erf in float64 to ~1e-14: Taylor series near 0, the Lentz continued fraction of erfc further out. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (Number.isNaN(x)) return x;
  if (a > 6) return Math.sign(x);
  if (a < 2) {
    let term = x, sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x * x / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return sum * 2 / Math.sqrt(Math.PI);
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + ...)))))
  const tiny = 1e-300;
  let f = a, c = a, d = 0;
  for (let k = 1; k < 200; k++) {
    const num = k / 2;
    d = a + num * d;
    d = d === 0 ? tiny : d;
    c = a + num / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function unaryFn(code: number, p: number, q: number): (x: number) => number {
  switch (code) {
    case 16: return (x) => (x > 0 ? x : 0);
    case 17: return sigmoid;
    case 18: return Math.tanh;
    case 19: return (x) => x * sigmoid(x);
    case 20: return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 21: return (x) => Math.max(0, Math.min(1, p * x + q));
    case 22: return (x) => (x >= 0 ? x : p * x);
    case 23: return (x) => Math.min(Math.max(x, p), q);
    case 24: return Math.exp;
    case 25: return Math.log;
    case 26: return Math.sqrt;
    case 27: return Math.abs;
    case 28: return (x) => -x;
    case 29: return (x) => 1 / x;
    case 30: return erf;
    case 31: return Math.floor;
    case 32: return Math.ceil;
  }
  throw new Error(`FusedElementwise: unknown unary opcode ${code}`);
}

function binaryFn(code: number): (x: number, y: number) => number {
  switch (code) {
    case 48: return (x, y) => x + y;
    case 49: return (x, y) => x - y;
    case 50: return (x, y) => x * y;
    case 51: return (x, y) => x / y;
    case 52: return Math.pow;
    case 53: return Math.max;
    case 54: return Math.min;
  }
  throw new Error(`FusedElementwise: unknown binary opcode ${code}`);
}

const UNARY_PARAMS = new Map(Object.values(FUSED_UNARY).map((u) => [u.code, u.params]));
const BINARY_CODES = new Set(Object.values(FUSED_BINARY));

/** Why `program` is not a valid program over `inputs` inputs and `constants` constants, or undefined when it is. */
export function programError(program: readonly number[], constants: number, inputs: number): string | undefined {
  if (inputs < 1 || inputs > FUSED_MAX_INPUTS) return `${inputs} inputs (1..${FUSED_MAX_INPUTS} allowed)`;
  if (program.length < 1 || program.length > FUSED_MAX_PROGRAM) {
    return `a program of ${program.length} instructions (1..${FUSED_MAX_PROGRAM} allowed)`;
  }
  if (constants > FUSED_MAX_CONSTANTS) return `${constants} constants (at most ${FUSED_MAX_CONSTANTS})`;
  let depth = 0;
  for (const [pc, word] of program.entries()) {
    if (!Number.isInteger(word) || word < 0) return `instruction ${pc} is not a non-negative integer`;
    const op = word % 256, arg = Math.floor(word / 256);
    const params = UNARY_PARAMS.get(op);
    if (op === OP_INPUT || op === OP_CONST) {
      if (op === OP_INPUT ? arg >= inputs : arg >= constants) return `instruction ${pc} reads a missing operand ${arg}`;
      if (++depth > FUSED_MAX_STACK) return `instruction ${pc} overflows the ${FUSED_MAX_STACK}-entry stack`;
    } else if (params !== undefined) {
      if (depth < 1) return `instruction ${pc} pops an empty stack`;
      if (params && arg + params > constants) return `instruction ${pc} reads parameters past the constants`;
    } else if (BINARY_CODES.has(op)) {
      if (depth < 2) return `instruction ${pc} pops an empty stack`;
      depth--;
    } else {
      return `instruction ${pc} has the unknown opcode ${op}`;
    }
  }
  return depth === 1 ? undefined : `the program leaves ${depth} values on the stack (1 expected)`;
}

/** Compiles a (valid) program into a float64 function of the input values at one element. */
export function programEvaluator(program: readonly number[], constants: readonly number[]): (xs: number[]) => number {
  const steps = program.map((word): (stack: number[], xs: number[]) => void => {
    const op = word % 256, arg = Math.floor(word / 256);
    if (op === OP_INPUT) return (s, xs) => void s.push(xs[arg]);
    if (op === OP_CONST) return (s) => void s.push(constants[arg]);
    if (UNARY_PARAMS.has(op)) {
      const f = unaryFn(op, constants[arg] ?? 0, constants[arg + 1] ?? 0);
      return (s) => void s.push(f(s.pop()!));
    }
    const f = binaryFn(op);
    return (s) => {
      const y = s.pop()!, x = s.pop()!;
      s.push(f(x, y));
    };
  });
  return (xs) => {
    const stack: number[] = [];
    for (const step of steps) step(stack, xs);
    return stack[0];
  };
}
