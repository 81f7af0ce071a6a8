"""PyTorch peers for `deno task bench`: what a user would run instead of denotrt, on the same models and input shapes.

Sections (config "section"):
  "torch":   eager and CUDA-graph replay, fp32 (TF32 off, as denotrt's fp32) and fp16 with channels_last, with the
             inputs resident on the GPU and (config "transfers") with pinned H2D/D2H copies around each iteration;
  "compile": torch.compile (config compile.mode) in fp16 channels_last at the batches config compile.batches names.
Timing as denotrt's (cli/measure.ts): warm-up, then at least min_iters iterations and min_s seconds, CUDA events
around each iteration, two iterations in flight, 4 rotating random input sets; throughput over the GPU span.
cudnn.benchmark is on: a user who cares about speed turns it on, and it makes the peer stronger, not weaker.
usage: python3 bench/peers/torch_peers.py '<json config>'   (see bench/peers.ts for the config)
"""
import copy
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit, load_config, log, na_row, ok_row, one_line  # noqa: E402

import torch  # noqa: E402

torch.backends.cudnn.benchmark = True
BUDGET_REASON = "skipped: the bench's time budget ran out"


def load_torchvision():
    import torch.library
    real = torch.library.register_fake
    torch.library.register_fake = lambda *a, **k: (lambda f: f)  # torchvision's compiled ops are not needed here
    try:
        import torchvision
    finally:
        torch.library.register_fake = real
    return torchvision


def build_model(spec):
    kind = spec["torch"]
    if kind.startswith("torchvision:"):
        return getattr(load_torchvision().models, kind.split(":", 1)[1])(weights=None).eval()
    if kind == "onnx":
        from onnx_torch import OnnxModule
        return OnnxModule(spec["onnx"]).eval()
    raise ValueError(f"unknown model source {kind!r}")


def set_tf32(on):
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


def variant_model(base, precision, channels_last):
    m = copy.deepcopy(base).cuda()
    if precision == "fp16":
        m = m.half()
    if channels_last:
        m = m.to(memory_format=torch.channels_last)
    dtype = torch.float16 if precision == "fp16" else torch.float32
    fmt = torch.channels_last if channels_last else torch.contiguous_format

    def fwd(x):
        # fp32 in and out, as denotrt's engines take them; the cast and layout change are part of the peer's cost.
        y = m(x.to(dtype=dtype, memory_format=fmt))
        ys = y if isinstance(y, (tuple, list)) else (y,)
        return tuple(t.float() for t in ys)
    return m, fwd


def time_cuda(step, t):
    """Times step(i) (which queues iteration i on the current stream); returns (latencies ms, queries/s)."""
    sets = t["input_sets"]
    w0, w = time.perf_counter(), 0
    while w < sets or (time.perf_counter() - w0) * 1000 < t["warmup_ms"]:
        step(w)
        w += 1
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(2)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(2)]
    first = torch.cuda.Event(enable_timing=True)
    lats, i = [], 0
    t0 = time.perf_counter()
    first.record()
    while (i < t["min_iters"] or time.perf_counter() - t0 < t["min_s"]) and i < t["max_iters"]:
        s = i % 2
        starts[s].record()
        step(i)
        ends[s].record()
        if i > 0:
            p = (i - 1) % 2
            ends[p].synchronize()
            lats.append(starts[p].elapsed_time(ends[p]))
        i += 1
    p = (i - 1) % 2
    ends[p].synchronize()
    lats.append(starts[p].elapsed_time(ends[p]))
    span_ms = first.elapsed_time(ends[p])
    return lats, i / span_ms * 1000


def capture(fwd, x):
    """A CUDA graph of fwd on the static input x (warmed up on a side stream first, as PyTorch's docs do)."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            fwd(x)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        y = fwd(x)
    return g, y


def run_variant(spec, base, batch, v, t):
    """Measures one variant; returns the row."""
    name, precision, runtime, transfers = spec["name"], v["precision"], v["runtime"], v["transfers"]
    cl = v.get("channels_last", False)
    set_tf32(precision == "tf32")
    shape = [batch, *spec["sample_shape"]]
    m, fwd = variant_model(base, precision, cl)
    host = [torch.rand(shape).mul_(2).sub_(1).pin_memory() for _ in range(t["input_sets"])]
    dev = [h.cuda() for h in host] if not transfers else None
    with torch.inference_mode():
        outs = fwd(host[0].cuda())
        out_host = [torch.empty(o.shape, dtype=o.dtype, pin_memory=True) for o in outs]
        if runtime == "pytorch-eager":
            if transfers:
                def step(i):
                    ys = fwd(host[i % len(host)].to("cuda", non_blocking=True))
                    for oh, y in zip(out_host, ys):
                        oh.copy_(y, non_blocking=True)
            else:
                def step(i):
                    fwd(dev[i % len(dev)])
        elif runtime == "pytorch-cudagraph":
            if transfers:
                static = host[0].cuda()
                g, ys = capture(fwd, static)

                def step(i):
                    static.copy_(host[i % len(host)], non_blocking=True)
                    g.replay()
                    for oh, y in zip(out_host, ys):
                        oh.copy_(y, non_blocking=True)
            else:
                graphs = [capture(fwd, x)[0] for x in dev]  # one graph per resident input set

                def step(i):
                    graphs[i % len(graphs)].replay()
        else:
            raise ValueError(f"unknown runtime {runtime}")
        lats, qps = time_cuda(step, t)
    del m, fwd, host, dev
    return ok_row(name, batch, runtime, precision, transfers, lats, qps * batch, "channels_last" if cl else None,
                  {"torch": torch.__version__, "cudnn_benchmark": True})


def section_torch(cfg):
    t = cfg["timing"]
    # Every model's first batch before any model's second: a time limit then cuts big batches, not whole models.
    pairs = sorted(((i, m, spec, batch) for m, spec in enumerate(cfg["models"]) for i, batch in enumerate(spec["batches"])),
                   key=lambda p: (p[0], p[1]))
    bases, failed = {}, {}
    for _, _, spec, batch in pairs:
        name = spec["name"]
        if name not in bases and name not in failed:
            try:
                bases[name] = build_model(spec)
            except Exception as e:  # noqa: BLE001 - any failure to build the peer becomes its n/a rows
                failed[name] = one_line(e)
                for v in cfg["variants"]:
                    emit(na_row(name, 0, v["runtime"], v["precision"], v["transfers"], failed[name],
                                "channels_last" if v.get("channels_last") else None))
        if name in failed:
            continue
        for v in cfg["variants"]:
            variant = "channels_last" if v.get("channels_last") else None
            if time.time() > cfg["deadline"]:
                emit(na_row(name, batch, v["runtime"], v["precision"], v["transfers"], BUDGET_REASON, variant))
                continue
            try:
                emit(run_variant(spec, bases[name], batch, v, t))
            except Exception as e:  # noqa: BLE001
                emit(na_row(name, batch, v["runtime"], v["precision"], v["transfers"], one_line(e), variant))
            torch.cuda.synchronize()
            torch.cuda.empty_cache()


def section_compile(cfg):
    t, c = cfg["timing"], cfg["compile"]
    mode = c.get("mode", "default")
    for spec in cfg["models"]:
        batches = c["batches"].get(spec["name"], [])
        if not batches:
            continue
        base = build_model(spec)
        m, fwd = variant_model(base, "fp16", True)
        compiled = torch.compile(fwd, mode=None if mode == "default" else mode, dynamic=False)
        for batch in batches:
            if time.time() > cfg["deadline"]:
                emit(na_row(spec["name"], batch, "torch.compile", "fp16", False, BUDGET_REASON, f"channels_last, {mode}"))
                continue
            try:
                dev = [torch.rand([batch, *spec["sample_shape"]], device="cuda") * 2 - 1 for _ in range(t["input_sets"])]
                with torch.inference_mode():
                    t0 = time.perf_counter()
                    compiled(dev[0])
                    torch.cuda.synchronize()
                    compile_s = time.perf_counter() - t0
                    log(f"torch.compile {spec['name']} b{batch}: compiled in {compile_s:.1f} s")
                    lats, qps = time_cuda(lambda i: compiled(dev[i % len(dev)]), t)
                emit(ok_row(spec["name"], batch, "torch.compile", "fp16", False, lats, qps * batch,
                            f"channels_last, {mode}", {"compile_s": round(compile_s, 1), "torch": torch.__version__}))
            except Exception as e:  # noqa: BLE001
                emit(na_row(spec["name"], batch, "torch.compile", "fp16", False, one_line(e), f"channels_last, {mode}"))


def main():
    cfg = load_config()
    if not torch.cuda.is_available():
        for spec in cfg["models"]:
            emit(na_row(spec["name"], 0, "pytorch-eager", "fp32", False, "no CUDA device visible to PyTorch"))
        return
    log(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    {"torch": section_torch, "compile": section_compile}[cfg["section"]](cfg)


if __name__ == "__main__":
    main()
