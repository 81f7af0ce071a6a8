/* exec_cuda.h: the CUDA executor for built-in plans (exec_cuda*.cu). It implements builtin_executor_ops
 * (executor.h) and is reached through denotrt_exec_cuda_ops(), which executor.h declares weak. */
#ifndef DENOTRT_BUILTIN_EXEC_CUDA_H
#define DENOTRT_BUILTIN_EXEC_CUDA_H
#include "executor.h"

#ifdef __cplusplus
extern "C" {
#endif
const builtin_executor_ops* denotrt_exec_cuda_ops(void);
#ifdef __cplusplus
}
#endif
#endif
