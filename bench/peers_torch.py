"""PyTorch peers for the ResNet-50 comparison, run on the device in the same call as denotrt.

Prints one JSON line per configuration: eager and CUDA-graph replay, fp32 (TF32 off, as denotrt's fp32 path),
inputs already on the GPU, median of 50 runs after warm-up, timed with CUDA events.
usage: python3 bench/peers_torch.py [batch ...]
"""
import json
import sys

import torch
import torch.library

real = torch.library.register_fake
torch.library.register_fake = lambda *a, **k: (lambda f: f)  # torchvision's compiled ops are not needed here
try:
    import torchvision
finally:
    torch.library.register_fake = real

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


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


model = torchvision.models.resnet50(weights=None).eval().cuda()
for batch in [int(b) for b in sys.argv[1:]] or [1]:
    x = torch.randn(batch, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        eager = median_ms(lambda: model(x))
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            y = model(x)
        graph = median_ms(lambda: g.replay())
    print(json.dumps({"peer": "pytorch", "model": "resnet50", "batch": batch, "precision": "fp32",
                      "eager_ms": round(eager, 3), "cuda_graph_ms": round(graph, 3), "torch": torch.__version__}))
