// Device queries. Safe without a GPU or driver: they return DENOTRT_NO_DEVICE instead of crashing.
#include <cuda_runtime.h>

#include "common.h"

extern "C" {

int32_t denotrt_cuda_versions(int32_t* driver, int32_t* runtime, denotrt_error* err) {
  int d = 0, r = 0;
  DENOTRT_CUDA_CHECK(err, cudaDriverGetVersion(&d));  // 0 when no driver is installed; not an error
  DENOTRT_CUDA_CHECK(err, cudaRuntimeGetVersion(&r));
  if (driver) *driver = d;
  if (runtime) *runtime = r;
  return DENOTRT_OK;
}

int32_t denotrt_device_count(int32_t* count, denotrt_error* err) {
  if (!count) return DENOTRT_BAD_ARG(err, "denotrt_device_count", "count must not be NULL");
  int n = 0;
  DENOTRT_CUDA_CHECK(err, cudaGetDeviceCount(&n));
  *count = n;
  return DENOTRT_OK;
}

int32_t denotrt_device_get_info(int32_t device, denotrt_device_info* info, denotrt_error* err) {
  if (!info) return DENOTRT_BAD_ARG(err, "denotrt_device_get_info", "info must not be NULL");
  int n = 0;
  DENOTRT_CUDA_CHECK(err, cudaGetDeviceCount(&n));
  if (device < 0 || device >= n)
    return DENOTRT_BAD_ARG(err, "denotrt_device_get_info", "device %d does not exist (%d visible)", device, n);
  cudaDeviceProp p;
  DENOTRT_CUDA_CHECK(err, cudaGetDeviceProperties(&p, device));
  denotrt_copy_str(info->name, sizeof info->name, p.name);
  info->compute_major = p.major;
  info->compute_minor = p.minor;
  info->multiprocessors = p.multiProcessorCount;
  info->l2_bytes = p.l2CacheSize;
  info->pci_bus_id = p.pciBusID;
  int d = 0, r = 0;
  DENOTRT_CUDA_CHECK(err, cudaDriverGetVersion(&d));
  DENOTRT_CUDA_CHECK(err, cudaRuntimeGetVersion(&r));
  info->driver_version = d;
  info->runtime_version = r;
  int current = 0;
  DENOTRT_CUDA_CHECK(err, cudaGetDevice(&current));
  DENOTRT_CUDA_CHECK(err, cudaSetDevice(device));
  size_t free_b = 0, total_b = 0;
  cudaError_t e = cudaMemGetInfo(&free_b, &total_b);
  cudaSetDevice(current);
  if (e != cudaSuccess) return denotrt_cuda_fail(err, e, "cudaMemGetInfo");
  info->total_memory = total_b;
  info->free_memory = free_b;
  return DENOTRT_OK;
}

int32_t denotrt_device_set(int32_t device, denotrt_error* err) {
  DENOTRT_CUDA_CHECK(err, cudaSetDevice(device));
  return DENOTRT_OK;
}

int32_t denotrt_device_synchronize(denotrt_error* err) {
  DENOTRT_CUDA_CHECK(err, cudaDeviceSynchronize());
  return DENOTRT_OK;
}

}  // extern "C"
