#!/usr/bin/env bash
# One device call for performance work (issue #11): fixtures, the GPU tests that cover the CUDA executor, then the
# per-layer profile of ResNet-50 (bench/layer_profile.ts) at the batches and layouts given. Logs under $OUT.
#   bash bench/device_profile.sh [tests|notests]
set -uo pipefail
OUT=${OUT:-bench/out/device}
mkdir -p "$OUT"
source .device/env.sh
export DENOTRT_LIB=$PWD/build/libdenotrt.so PYTHONUNBUFFERED=1
strip='s/\x1b\[[0-9;]*m//g'
t0=$(date +%s)
stamp() { echo "=== $(( $(date +%s) - t0 )) s: $*"; }
{
  stamp "fixtures"
  python3 tests/fixtures/make_fixtures.py --big 2>&1 | tail -1
  if [ "${1:-tests}" = tests ]; then
    stamp "GPU tests (CUDA executor)"
    DENOTRT_REQUIRE_GPU=1 timeout 300 deno test -A ${GPU_TESTS:-tests/gpu} 2>&1 | sed "$strip" > "$OUT/test-gpu.log"
    grep -E "FAILED|^error|passed \|" "$OUT/test-gpu.log" | tail -25
  fi
  # PROFILES: model:batch:precision:layout entries (model resnet50 or mobilenet_v3_large).
  for spec in ${PROFILES:-resnet50:32:fp16:nhwc resnet50:1:fp16:nhwc resnet50:128:fp16:nhwc}; do
    IFS=: read -r model b prec lay <<< "$spec"
    gflop=8.2; [ "$model" = resnet50 ] || gflop=0.44
    stamp "profile $model b$b $prec $lay"
    timeout 120 deno run -A bench/layer_profile.ts --onnx "tests/fixtures/out/$model.onnx" --batch "$b" --precision "$prec" \
      --layout "$lay" --gflop "$gflop" --top 12 --json "$OUT/profile_${model}_b${b}_${prec}_${lay}.json" 2>&1 | sed "$strip"
  done
  stamp "done"
} 2>&1 | tee "$OUT/device.log"
