#!/usr/bin/env bash
# One call on the device machine (a GPU, no network, no Deno): make the model fixtures, then
#   smoke: the GPU tests of the CLI and the bench, the CLI on ResNet-50 (copies, CUDA graph, fp16, --streams=2),
#          `deno task bench --quick`;
#   full:  `deno task bench` (appends to bench/RESULTS.md and writes bench/charts/).
# Everything worth keeping is copied to $OUT (the device tool brings it back). Run from the repo root with the shim
# built here and carried: carry [".device", "node_modules", "build/libdenotrt.so", ".tools/models"].
#   bash bench/device.sh smoke|full
set -uo pipefail
mode=${1:-full}
OUT=${OUT:-bench/out/device}
mkdir -p "$OUT" bench/out
source .device/env.sh
export DENOTRT_LIB=$PWD/build/libdenotrt.so PYTHONUNBUFFERED=1
t0=$(date +%s)
stamp() { echo "=== $(( $(date +%s) - t0 )) s: $*"; }
{
  stamp "machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv
  nproc; python3 -c 'import torch, onnxruntime; print("torch", torch.__version__, "onnxruntime", onnxruntime.__version__)'
  stamp "fixtures"
  python3 tests/fixtures/make_fixtures.py --big 2>&1 | tail -3
  if [ -f tests/fixtures/make_yolox.py ]; then python3 tests/fixtures/make_yolox.py dynamic 2>&1 | tail -2; fi
  if [ "$mode" = smoke ]; then
    stamp "GPU tests of the CLI and the bench"
    DENOTRT_REQUIRE_GPU=1 deno test -A tests/cli tests/bench 2>&1 | grep -E "ok|FAILED|failed|passed|error|Error|skip" | tail -60
    stamp "CLI on ResNet-50, batch 8, with copies"
    deno task cli --onnx=tests/fixtures/out/resnet50.onnx --shapes=x:8x3x224x224 --duration=1 2>&1 | grep -v "^building"
    stamp "CLI on ResNet-50, batch 8, CUDA graph, no copies"
    deno task cli --onnx=tests/fixtures/out/resnet50.onnx --batch=8 --duration=1 --useCudaGraph --noDataTransfers \
      --exportTimes="$OUT/times.json" 2>&1 | grep -E "Throughput|Latency|Compute|PASSED|FAILED|error"
    stamp "CLI on ResNet-50, fp16"
    deno task cli --onnx=tests/fixtures/out/resnet50.onnx --fp16 --batch=8 --duration=1 2>&1 | grep -E "Engine|Throughput|GPU Compute|PASSED|FAILED|error"
    stamp "CLI on ResNet-50 fp16 b128: compute only, then copies on 1 and on 2 streams (issue #11: within 10%)"
    deno task cli --onnx=tests/fixtures/out/resnet50.onnx --fp16 --batch=128 --saveEngine=bench/out/r50b128h.plan \
      --duration=1 --noDataTransfers 2>&1 | grep -E "Engine|Throughput|GPU Compute|PASSED|FAILED|error"
    for s in 1 2; do
      deno task cli --loadEngine=bench/out/r50b128h.plan --batch=128 --duration=1 --streams=$s 2>&1 \
        | grep -E "Timing trace|Throughput|Latency|H2D|GPU Compute|PASSED|FAILED|error"
    done
    stamp "bench --quick"
    deno task bench --quick --no-append --out bench/out 2>&1
  else
    stamp "bench"
    deno task bench --out bench/out 2>&1
    cp bench/RESULTS.md "$OUT/RESULTS.md"
    cp bench/charts/*.svg bench/out/results.json bench/out/results.md bench/out/chart.svg "$OUT/" 2>/dev/null
    stamp "CLI: the engine's own per-shape graph against --useCudaGraph (ResNet-50 b8 fp32, no copies)"
    deno task cli --onnx=tests/fixtures/out/resnet50.onnx --batch=8 --saveEngine=bench/out/r50b8.plan --duration=0.5 --noDataTransfers --json 2>/dev/null \
      | python3 -c 'import json,sys; s=json.load(sys.stdin); print("default enqueue: compute median", s["compute"]["median"])'
    for g in 1 0; do for extra in "" "--useCudaGraph"; do
      DENOTRT_CUDA_GRAPHS=$g deno task cli --loadEngine=bench/out/r50b8.plan --batch=8 --duration=0.5 --noDataTransfers $extra --json 2>/dev/null \
        | python3 -c "import json,sys; s=json.load(sys.stdin); print('DENOTRT_CUDA_GRAPHS=$g $extra: compute median', s['compute']['median'], 'enqueue median', s['enqueue']['median'])"
    done; done
    stamp "CLI tests (subprocess, CPU and GPU)"
    DENOTRT_REQUIRE_GPU=1 deno test -A tests/cli/cli_subprocess.test.ts 2>&1 | grep -E "ok|FAILED|passed|failed" | tail -12
  fi
  stamp "done"
} 2>&1 | tee "$OUT/device.log"
cp bench/out/results.json bench/out/results.md bench/out/chart.svg "$OUT/" 2>/dev/null
tar czf "$OUT/logs.tgz" bench/out/*.log bench/out/*.config.json 2>/dev/null
exit 0
