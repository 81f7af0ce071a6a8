#!/usr/bin/env bash
# One call on the GPU device (see README "Testing on a GPU"): make the fixtures there (torch and onnxruntime are
# installed on the device; the big models are too large to carry), run every test with the GPU required, then the
# benchmark. Carry [".device", "node_modules", "build"] and run from the repo root: `bash .ci/device_run.sh [bench args]`.
# Logs go to $OUT (the device tool's folder) or build/device/.
set -uo pipefail
OUT=${OUT:-build/device}
mkdir -p "$OUT"
source .device/env.sh
export DENOTRT_LIB=$PWD/build/libdenotrt.so PYTHONUNBUFFERED=1
strip='s/\x1b\[[0-9;]*m//g'
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader | tee "$OUT/gpu.txt"
{
  python3 tests/fixtures/make_fixtures.py --big
  for f in tests/fixtures/make_*.py; do [ "$f" = tests/fixtures/make_fixtures.py ] || python3 "$f"; done
} > "$OUT/fixtures.log" 2>&1 || { echo "fixtures failed:"; tail -20 "$OUT/fixtures.log"; }
DENOTRT_REQUIRE_GPU=1 timeout "${TEST_TIMEOUT:-330}" deno test -A tests/ 2>&1 | sed "$strip" > "$OUT/test-gpu.log"
echo "tests exit ${PIPESTATUS[0]}"
grep -E "FAILED|^error|passed \|" "$OUT/test-gpu.log" | tail -25
if [ "${SKIP_BENCH:-0}" != 1 ]; then
  timeout "${BENCH_TIMEOUT:-240}" deno task bench "$@" 2>&1 | sed "$strip" | tee "$OUT/bench.log" | tail -40
fi
