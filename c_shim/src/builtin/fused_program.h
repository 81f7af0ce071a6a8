/* fused_program.h: the bytecode of the FusedElementwise layer (docs/OPS.md, "FusedElementwise"), shared by the CPU
 * kernel (cpu_ops/fused_elementwise.c) and the CUDA launcher (cuda_ops/fused_elementwise.cu). The builder writes it
 * (lib/builder/fused_program.ts, which must agree with the numbers here).
 *
 * A program is a postfix sequence of instruction words `opcode | (arg << 8)` run once per output element on a stack
 * of float32 values:
 *   FE_INPUT k   push input k, read at the element's broadcast position
 *   FE_CONST j   push constants[j]
 *   unary        replace the top x by u(x); HardSigmoid, LeakyRelu and Clip read their parameters from
 *                constants[arg] (and constants[arg + 1])
 *   binary       pop y, pop x, push x op y
 * and leaves exactly one value, the output element. The limits keep the CUDA kernel's parameters a fixed-size struct
 * passed by value. */
#ifndef DENOTRT_BUILTIN_FUSED_PROGRAM_H
#define DENOTRT_BUILTIN_FUSED_PROGRAM_H

#include <stdio.h>
#include <string.h>

#include "plan.h"

#define FUSED_MAX_INPUTS 8
#define FUSED_MAX_PROGRAM 64
#define FUSED_MAX_CONSTANTS 64
#define FUSED_MAX_STACK 8

enum fused_opcode {
  FE_INPUT = 0,
  FE_CONST = 1,
  /* unary */
  FE_RELU = 16, FE_SIGMOID = 17, FE_TANH = 18, FE_SILU = 19, FE_HARDSWISH = 20, FE_HARDSIGMOID = 21 /* alpha, beta */,
  FE_LEAKYRELU = 22 /* alpha */, FE_CLIP = 23 /* min, max */, FE_EXP = 24, FE_LOG = 25, FE_SQRT = 26, FE_ABS = 27,
  FE_NEG = 28, FE_RECIPROCAL = 29, FE_ERF = 30, FE_FLOOR = 31, FE_CEIL = 32,
  /* binary */
  FE_ADD = 48, FE_SUB = 49, FE_MUL = 50, FE_DIV = 51, FE_POW = 52, FE_MAX = 53, FE_MIN = 54
};

typedef struct fused_program {
  int32_t len;                          /* instructions */
  int32_t num_inputs;
  int32_t num_constants;
  int32_t code[FUSED_MAX_PROGRAM];      /* validated instruction words */
  float constants[FUSED_MAX_CONSTANTS]; /* unused entries are 0 */
} fused_program;

#ifdef __CUDACC__
#define FUSED_HOST_DEVICE __host__ __device__
#else
#define FUSED_HOST_DEVICE
#endif

/* Parameters a unary opcode reads from the constants: 0, 1 or 2; -1 when `op` is not unary. */
FUSED_HOST_DEVICE static inline int fused_unary_params(int32_t op) {
  if (op == FE_HARDSIGMOID || op == FE_CLIP) return 2;
  if (op == FE_LEAKYRELU) return 1;
  return op >= FE_RELU && op <= FE_CEIL ? 0 : -1;
}

/* Reads and checks the layer's `program` and `constants` against its inputs. Returns 1, or 0 with the reason in msg:
 * executors run a program only after this accepted it, so they index inputs, constants and the stack unchecked. */
static inline int fused_program_load(const plan_layer* l, fused_program* fp, char* msg, size_t cap) {
  int32_t n = 0, nc = 0, depth = 0;
  const int64_t* prog = plan_attr_ints(l, "program", &n);
  const float* consts = plan_attr_floats(l, "constants", &nc);
  memset(fp, 0, sizeof *fp);
  if (l->num_inputs < 1 || l->num_inputs > FUSED_MAX_INPUTS)
    return snprintf(msg, cap, "%d inputs (1 to %d allowed)", l->num_inputs, FUSED_MAX_INPUTS), 0;
  for (int32_t k = 0; k < l->num_inputs; k++)
    if (l->inputs[k] < 0) return snprintf(msg, cap, "input %d is omitted", k), 0;
  if (!prog || n < 1 || n > FUSED_MAX_PROGRAM)
    return snprintf(msg, cap, "a program of %d instructions (1 to %d allowed)", n, FUSED_MAX_PROGRAM), 0;
  if (nc > FUSED_MAX_CONSTANTS) return snprintf(msg, cap, "%d constants (at most %d)", nc, FUSED_MAX_CONSTANTS), 0;
  for (int32_t pc = 0; pc < n; pc++) {
    int64_t w = prog[pc];
    if (w < 0 || w > 0x7fffffff) return snprintf(msg, cap, "instruction %d (%lld) is out of range", pc, (long long)w), 0;
    int32_t op = (int32_t)(w & 255), arg = (int32_t)(w >> 8);
    int params = fused_unary_params(op);
    if (op == FE_INPUT || op == FE_CONST) {
      if (arg >= (op == FE_INPUT ? l->num_inputs : nc))
        return snprintf(msg, cap, "instruction %d reads a missing %s %d", pc, op == FE_INPUT ? "input" : "constant", arg), 0;
      if (++depth > FUSED_MAX_STACK)
        return snprintf(msg, cap, "instruction %d overflows the %d-entry stack", pc, FUSED_MAX_STACK), 0;
    } else if (params >= 0) {
      if (depth < 1) return snprintf(msg, cap, "instruction %d pops an empty stack", pc), 0;
      if (params > 0 && arg + params > nc)
        return snprintf(msg, cap, "instruction %d reads parameters past the constants", pc), 0;
    } else if (op >= FE_ADD && op <= FE_MIN) {
      if (depth < 2) return snprintf(msg, cap, "instruction %d pops an empty stack", pc), 0;
      depth--;
    } else {
      return snprintf(msg, cap, "instruction %d has the unknown opcode %d", pc, op), 0;
    }
    fp->code[pc] = (int32_t)w;
  }
  if (depth != 1) return snprintf(msg, cap, "the program leaves %d values on the stack (1 expected)", depth), 0;
  fp->len = n;
  fp->num_inputs = l->num_inputs;
  fp->num_constants = nc;
  for (int32_t j = 0; j < nc; j++) fp->constants[j] = consts[j];
  return 1;
}

#endif
