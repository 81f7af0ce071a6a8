"""PyTorch peers for the ResNet-50 comparison, run on the device in the same call as denotrt.

Prints one JSON line per configuration: eager and CUDA-graph replay, fp32 (TF32 off, as denotrt's fp32 path),
inputs already on the GPU, median of 50 runs after warm-up, timed with CUDA events. (The session-1 first look in
bench/RESULTS.md; `deno task bench` runs bench/peers/torch_peers.py, whose model loading and capture this shares.)
usage: python3 bench/peers_torch.py [batch ...]
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from torch_peers import capture, load_torchvision, set_tf32  # noqa: E402

import torch  # noqa: E402

torch.backends.cudnn.benchmark = False  # as this first look always ran (the bench's peers turn it on)
set_tf32(False)


def median_ms(fn, runs=50):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    times.sort()
    return times[len(times) // 2]


model = load_torchvision().models.resnet50(weights=None).eval().cuda()
for batch in [int(b) for b in sys.argv[1:]] or [1]:
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        eager = median_ms(lambda: model(x))
        g, _ = capture(model, x)
        graph = median_ms(lambda: g.replay())
    print(json.dumps({"peer": "pytorch", "model": "resnet50", "batch": batch, "precision": "fp32",
                      "eager_ms": round(eager, 3), "cuda_graph_ms": round(graph, 3), "torch": torch.__version__}))
