# tensorrt.mk: the TensorRT provider's part of the shim's build. The main Makefile includes it after defining
# CORE_SRCS (paths are relative to the repository root):
#
#   -include c_shim/tensorrt.mk       # appends $(TRT_ALWAYS_SRCS) to CORE_SRCS itself (see below)
#   ifeq ($(TRT_FOUND),1)
#   CORE_SRCS += $(TRT_SRCS)          # compile with $(TRT_CFLAGS); nothing to link but -ldl (libnvinfer is dlopen'ed)
#   NVCCFLAGS += $(TRT_CFLAGS)
#   endif
#
# Provides:
#   TRT_INCLUDE_DIR  the directory holding NvInfer.h, or empty
#   TRT_FOUND        1 when TensorRT's headers were found (NvInfer.h and NvOnnxParser.h), else 0
#   TRT_MAJOR        NV_TENSORRT_MAJOR of those headers (e.g. 10), or empty
#   TRT_SRCS         the provider's sources (only when TRT_FOUND = 1)
#   TRT_ALWAYS_SRCS  sources compiled in every build
#   TRT_CFLAGS       -DDENOTRT_WITH_TENSORRT -I<headers> -I<cuda> (only when TRT_FOUND = 1)
#   TRT_LDLIBS       -ldl
# Targets:
#   check-tensorrt   compiles every TensorRT source (g++ -fsyntax-only, and nvcc -x cu when nvcc is present)
#                    against TENSORRT_INCLUDE, e.g. make check-tensorrt TENSORRT_INCLUDE=.tensorrt/10/include
#
# Header search, first hit wins: TENSORRT_INCLUDE, $(TENSORRT_ROOT)/include, /usr/include/x86_64-linux-gnu,
# /usr/include/aarch64-linux-gnu, /usr/include, /usr/local/tensorrt/include. TensorRT's public headers (NVIDIA's
# tarball, the libnvinfer-headers-dev deb, or include/ of github.com/NVIDIA/TensorRT at a release tag) are enough:
# the shim never links TensorRT.

TRT_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
CUDA_INCLUDE ?= /usr/local/cuda/include
TRT_CXX ?= g++

TRT_HEADER_CANDIDATES := $(TENSORRT_INCLUDE) \
  $(if $(TENSORRT_ROOT),$(TENSORRT_ROOT)/include) \
  /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu /usr/include /usr/local/tensorrt/include
TRT_INCLUDE_DIR := $(patsubst %/NvInfer.h,%,$(firstword $(wildcard $(addsuffix /NvInfer.h,$(TRT_HEADER_CANDIDATES)))))
ifneq ($(TENSORRT_INCLUDE),)
ifeq ($(wildcard $(TENSORRT_INCLUDE)/NvInfer.h),)
$(warning TENSORRT_INCLUDE=$(TENSORRT_INCLUDE) has no NvInfer.h)
TRT_INCLUDE_DIR :=
endif
endif

ifneq ($(and $(TRT_INCLUDE_DIR),$(wildcard $(TRT_INCLUDE_DIR)/NvOnnxParser.h)),)
TRT_FOUND := 1
TRT_MAJOR := $(shell sed -n 's/^\#define TRT_MAJOR_ENTERPRISE \([0-9]*\).*/\1/p;s/^\#define NV_TENSORRT_MAJOR \([0-9][0-9]*\).*/\1/p' $(TRT_INCLUDE_DIR)/NvInferVersion.h | head -n1)
else
TRT_FOUND := 0
TRT_MAJOR :=
endif

TRT_ALWAYS_SRCS := $(TRT_MK_DIR)/src/tensorrt/plan_header.cpp
TRT_ALL_SRCS := $(TRT_MK_DIR)/src/tensorrt/loader.cpp $(TRT_MK_DIR)/src/tensorrt/runtime.cpp \
  $(TRT_MK_DIR)/src/tensorrt/builder.cpp
TRT_LDLIBS := -ldl
TRT_WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter

# The plan header reader is part of every build (denotrt_tensorrt_plan_version is tested without TensorRT).
ifneq ($(origin CORE_SRCS),undefined)
ifeq ($(filter $(TRT_ALWAYS_SRCS),$(CORE_SRCS)),)
CORE_SRCS += $(TRT_ALWAYS_SRCS)
endif
endif

ifeq ($(TRT_FOUND),1)
TRT_SRCS := $(TRT_ALL_SRCS)
# -isystem keeps TensorRT's own deprecation warnings out of -Werror; /usr/include is already a system directory
# (naming it again with -isystem breaks libstdc++'s #include_next).
TRT_CFLAGS := -DDENOTRT_WITH_TENSORRT $(if $(filter /usr/include,$(TRT_INCLUDE_DIR)),,-isystem $(TRT_INCLUDE_DIR)) \
  -isystem $(CUDA_INCLUDE)
else
TRT_SRCS :=
TRT_CFLAGS :=
endif

.PHONY: check-tensorrt tensorrt-info
tensorrt-info:
	@echo "TRT_FOUND=$(TRT_FOUND) TRT_MAJOR=$(TRT_MAJOR) TRT_INCLUDE_DIR=$(TRT_INCLUDE_DIR)"

# Syntax and semantic check of the provider (templates instantiated, overrides checked) against the headers found,
# with g++ and with nvcc's host compiler path; no TensorRT library is needed.
check-tensorrt:
	@if [ "$(TRT_FOUND)" != 1 ]; then \
	  echo "check-tensorrt: no TensorRT headers (NvInfer.h + NvOnnxParser.h); set TENSORRT_INCLUDE=<dir>" >&2; exit 1; fi
	@echo "check-tensorrt: TensorRT $(TRT_MAJOR) headers in $(TRT_INCLUDE_DIR)"
	$(TRT_CXX) -std=c++17 $(TRT_WARNINGS) -fsyntax-only $(TRT_ALWAYS_SRCS)
	$(TRT_CXX) -std=c++17 $(TRT_WARNINGS) -fsyntax-only $(TRT_CFLAGS) $(TRT_ALL_SRCS)
	@if command -v nvcc >/dev/null 2>&1; then \
	  for f in $(TRT_ALL_SRCS); do \
	    echo "nvcc -std=c++17 -x cu -fsyntax-only $$f"; \
	    nvcc -std=c++17 -x cu $(TRT_CFLAGS) -Xcompiler -fsyntax-only -c $$f -o /dev/null || exit 1; \
	  done; \
	else echo "check-tensorrt: nvcc not found, checked with $(TRT_CXX) only"; fi
	@echo "check-tensorrt: OK (TensorRT $(TRT_MAJOR))"
