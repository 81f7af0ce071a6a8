"""An ONNX graph run by PyTorch ops, so the PyTorch peers can time models that exist only as ONNX fixtures (the
YOLOX-m-shaped detector, PP-OCRv4 detection) on exactly the same graph and weights denotrt builds.

Each node maps to the PyTorch call a hand-written module would make (F.conv2d, F.interpolate, ...), so eager,
CUDA-graph and channels_last behave as for a native module. Float constants become buffers (moved by .cuda(),
.half(), .to(memory_format=...)), except those read as host values (Resize scales, Clip bounds, Pad values); integer
tensors stay on the CPU, where shape arithmetic (Shape, Gather, Concat feeding Reshape or Resize) runs without
synchronizing the GPU, which keeps CUDA-graph capture legal.
An op outside the table raises NotImplementedError naming it: the bench reports the peer n/a with that reason.
"""
import math

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

ONNX_TO_TORCH = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 5: torch.int16, 6: torch.int32, 7: torch.int64,
                 9: torch.bool, 10: torch.float16, 11: torch.float64, 16: torch.bfloat16}
# Inputs read as host values (Python numbers or shapes): float constants feeding them stay on the CPU.
HOST_INPUTS = {"Resize": {1, 2, 3}, "Upsample": {1}, "Clip": {1, 2}, "Pad": {1, 2, 3}, "Range": {0, 1, 2},
               "ConstantOfShape": {0}}


def ints(t):
    return [int(v) for v in (t.tolist() if torch.is_tensor(t) else t)]


def axis_list(args, attrs, idx=1, key="axes"):
    if len(args) > idx and args[idx] is not None:
        return ints(args[idx])
    return list(attrs.get(key, []))


def same_pads(in_sizes, kernel, strides, dilations, upper):
    pads_begin, pads_end = [], []
    for n, k, s, d in zip(in_sizes, kernel, strides, dilations):
        out = math.ceil(n / s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        small, big = total // 2, total - total // 2
        pads_begin.append(small if upper else big)
        pads_end.append(big if upper else small)
    return pads_begin + pads_end


def conv_pads(x, w_spatial, attrs):
    nd = len(w_spatial)
    strides = attrs.get("strides", [1] * nd)
    dil = attrs.get("dilations", [1] * nd)
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return same_pads(list(x.shape[2:]), w_spatial, strides, dil, auto == "SAME_UPPER"), strides, dil
    if auto == "VALID":
        return [0] * (2 * nd), strides, dil
    return list(attrs.get("pads", [0] * (2 * nd))), strides, dil


def pad_input(x, pads, value=0.0):
    """Applies ONNX begin/end pads (x1_begin, x2_begin, ..., x1_end, ...) to the spatial dims; returns symmetric pads."""
    nd = len(pads) // 2
    begin, end = pads[:nd], pads[nd:]
    if begin == end:
        return x, begin
    torch_pads = []
    for b, e in zip(reversed(begin), reversed(end)):
        torch_pads += [b, e]
    return F.pad(x, torch_pads, value=value), [0] * nd


def op_conv(a, at):
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 else None
    pads, strides, dil = conv_pads(x, list(w.shape[2:]), at)
    x, sym = pad_input(x, pads)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[w.dim() - 2]
    return fn(x, w, b, strides, sym, dil, at.get("group", 1))


def op_conv_transpose(a, at):
    x, w = a[0], a[1]
    b = a[2] if len(a) > 2 else None
    nd = w.dim() - 2
    pads = list(at.get("pads", [0] * (2 * nd)))
    if pads[:nd] != pads[nd:]:
        raise NotImplementedError("ConvTranspose with asymmetric pads")
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    return fn(x, w, b, at.get("strides", [1] * nd), pads[:nd], at.get("output_padding", [0] * nd),
              at.get("group", 1), at.get("dilations", [1] * nd))


def op_pool(kind):
    def run(a, at):
        x = a[0]
        k = list(at["kernel_shape"])
        nd = len(k)
        pads, strides, dil = conv_pads(x, k, {**at, "strides": at.get("strides", [1] * nd)})
        if kind == "max":
            x, sym = pad_input(x, pads, value=-math.inf)
            fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[nd]
            return fn(x, k, strides, sym, dil, ceil_mode=bool(at.get("ceil_mode", 0)))
        include = bool(at.get("count_include_pad", 0))
        if pads[:nd] != pads[nd:]:
            raise NotImplementedError("AveragePool with asymmetric pads")
        fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[nd]
        return fn(x, k, strides, pads[:nd], ceil_mode=bool(at.get("ceil_mode", 0)), count_include_pad=include)
    return run


def op_resize(a, at):
    x = a[0]
    mode = at.get("mode", b"nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = at.get("coordinate_transformation_mode", b"half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    sizes = a[3] if len(a) > 3 and a[3] is not None and a[3].numel() else None
    scales = a[2] if len(a) > 2 and a[2] is not None and a[2].numel() else None
    if len(a) == 2:  # Upsample (opset 9): X, scales
        scales = a[1]
    if sizes is not None:
        size = ints(sizes)[2:]
    else:
        size = [int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales.tolist()[2:])]
    if mode == "nearest":
        return F.interpolate(x, size=size, mode="nearest")
    if mode == "linear":
        if ctm not in ("half_pixel", "pytorch_half_pixel", "align_corners") or len(a) == 2:
            raise NotImplementedError(f"linear Resize with coordinate_transformation_mode {ctm}")
        m = {3: "linear", 4: "bilinear", 5: "trilinear"}[x.dim()]
        return F.interpolate(x, size=size, mode=m, align_corners=(ctm == "align_corners"))
    raise NotImplementedError(f"Resize mode {mode}")


def op_slice(a, at):
    x = a[0]
    if len(a) > 1:
        starts, ends = ints(a[1]), ints(a[2])
        axes = ints(a[3]) if len(a) > 3 and a[3] is not None else list(range(len(starts)))
        steps = ints(a[4]) if len(a) > 4 and a[4] is not None else [1] * len(starts)
    else:
        starts, ends = list(at["starts"]), list(at["ends"])
        axes = list(at.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    idx = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        if st < 0:
            raise NotImplementedError("Slice with a negative step")
        n = x.shape[ax]
        idx[ax] = slice(max(min(s, n), -n), max(min(e, n), -n - 1) if e < 0 else min(e, n), st)
    return x[tuple(idx)]


def op_reshape(a, at):
    x, shape = a[0], ints(a[1])
    if not at.get("allowzero", 0):
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def op_split(a, at):
    x, axis = a[0], at.get("axis", 0)
    split = ints(a[1]) if len(a) > 1 and a[1] is not None else at.get("split")
    if split is None:
        n = at.get("num_outputs")
        if n is None:
            raise NotImplementedError("Split without split sizes or num_outputs")
        size = math.ceil(x.shape[axis] / n)
        split = [min(size, x.shape[axis] - i * size) for i in range(n)]
    return torch.split(x, list(split), dim=axis)


def op_gemm(a, at):
    x, w = a[0], a[1]
    if at.get("transA", 0):
        x = x.t()
    if at.get("transB", 0):
        w = w.t()
    y = at.get("alpha", 1.0) * (x @ w)
    if len(a) > 2 and a[2] is not None:
        y = y + at.get("beta", 1.0) * a[2]
    return y


def op_clip(a, at):
    lo = a[1] if len(a) > 1 and a[1] is not None else at.get("min")
    hi = a[2] if len(a) > 2 and a[2] is not None else at.get("max")
    lo = float(lo) if lo is not None else None
    hi = float(hi) if hi is not None else None
    return torch.clamp(a[0], lo, hi)


def op_unsqueeze(a, at):
    x = a[0]
    axes = sorted(ax if ax >= 0 else ax + x.dim() + len(axis_list(a, at)) for ax in axis_list(a, at))
    for ax in axes:
        x = x.unsqueeze(ax)
    return x


def op_squeeze(a, at):
    x = a[0]
    axes = axis_list(a, at)
    if not axes:
        return x.squeeze()
    for ax in sorted((ax % x.dim() for ax in axes), reverse=True):
        x = x.squeeze(ax)
    return x


def op_reduce(fn):
    def run(a, at):
        x = a[0]
        axes = axis_list(a, at)
        keep = bool(at.get("keepdims", 1))
        if not axes:
            if at.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.dim()))
        return fn(x, axes, keep)
    return run


def op_div(a, at):
    x, y = a
    if not x.is_floating_point() and not y.is_floating_point():
        return torch.div(x, y, rounding_mode="trunc")
    return x / y


def op_pad(a, at):
    x = a[0]
    mode = at.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = ints(a[1]) if len(a) > 1 else list(at["pads"])
    value = float(a[2]) if len(a) > 2 and a[2] is not None and a[2].numel() else float(at.get("value", 0.0))
    nd = len(pads) // 2
    torch_pads = []
    for i in reversed(range(nd)):
        torch_pads += [pads[i], pads[i + nd]]
    while len(torch_pads) > 2 and torch_pads[-2:] == [0, 0]:
        torch_pads = torch_pads[:-2]
    mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
    return F.pad(x, torch_pads, mode=mode, value=value if mode == "constant" else None)


def op_expand(a, at):
    x, shape = a[0], ints(a[1])
    return x.expand(torch.broadcast_shapes(tuple(x.shape), tuple(shape)))


def op_cast(a, at):
    return a[0].to(ONNX_TO_TORCH[at["to"]])


def op_shape(a, at):
    dims = list(a[0].shape)[at.get("start", 0):at.get("end", None)]
    return torch.tensor(dims, dtype=torch.int64)


def op_constant_of_shape(a, at):
    v = at.get("value")
    arr = numpy_helper.to_array(v) if v is not None else np.zeros(1, np.float32)
    return torch.full(ints(a[0]), arr.reshape(-1)[0].item(), dtype=torch.from_numpy(arr).dtype)


def op_gather(a, at):
    x, idx = a[0], a[1]
    axis = at.get("axis", 0)
    if idx.device != x.device:
        idx = idx.to(x.device)
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)  # ONNX allows negative indices
    if idx.dim() == 0:
        return x.select(axis, int(idx) if idx.device.type == "cpu" else idx)
    return torch.index_select(x, axis, idx.reshape(-1)).reshape(list(x.shape[:axis]) + list(idx.shape) + list(x.shape[axis + 1:]))


def op_flatten(a, at):
    x, axis = a[0], at.get("axis", 1)
    return x.reshape(int(np.prod(x.shape[:axis])) if axis else 1, -1)


UNARY = {"Relu": torch.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Exp": torch.exp, "Sqrt": torch.sqrt,
         "Neg": torch.neg, "Abs": torch.abs, "Floor": torch.floor, "Ceil": torch.ceil, "Erf": torch.erf,
         "Log": torch.log, "Reciprocal": torch.reciprocal, "HardSwish": F.hardswish, "Not": torch.logical_not,
         "Identity": lambda x: x, "Softplus": F.softplus, "Mish": F.mish}
BINARY = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Pow": torch.pow, "Equal": torch.eq,
          "Less": torch.lt, "Greater": torch.gt, "And": torch.logical_and, "Or": torch.logical_or}

OPS = {
    "Conv": op_conv, "ConvTranspose": op_conv_transpose,
    "BatchNormalization": lambda a, at: F.batch_norm(a[0], a[3], a[4], a[1], a[2], False, 0.0, at.get("epsilon", 1e-5)),
    "MaxPool": op_pool("max"), "AveragePool": op_pool("avg"),
    "GlobalAveragePool": lambda a, at: a[0].mean(dim=tuple(range(2, a[0].dim())), keepdim=True),
    "GlobalMaxPool": lambda a, at: a[0].amax(dim=tuple(range(2, a[0].dim())), keepdim=True),
    "LeakyRelu": lambda a, at: F.leaky_relu(a[0], at.get("alpha", 0.01)),
    "HardSigmoid": lambda a, at: torch.clamp(a[0] * at.get("alpha", 0.2) + at.get("beta", 0.5), 0, 1),
    "Elu": lambda a, at: F.elu(a[0], at.get("alpha", 1.0)),
    "Clip": op_clip, "Div": op_div,
    "Max": lambda a, at: torch.stack(torch.broadcast_tensors(*a)).amax(0) if len(a) > 2 else torch.maximum(a[0], a[1]),
    "Min": lambda a, at: torch.stack(torch.broadcast_tensors(*a)).amin(0) if len(a) > 2 else torch.minimum(a[0], a[1]),
    "Where": lambda a, at: torch.where(a[0], a[1], a[2]),
    "Concat": lambda a, at: torch.cat([t for t in a if t is not None and (t.numel() or t.dim() > 1)], dim=at["axis"]),
    "Split": op_split, "Slice": op_slice, "Gather": op_gather, "Reshape": op_reshape,
    "Transpose": lambda a, at: a[0].permute(*(at.get("perm") or list(reversed(range(a[0].dim()))))),
    "Flatten": op_flatten, "Unsqueeze": op_unsqueeze, "Squeeze": op_squeeze, "Shape": op_shape, "Cast": op_cast,
    "Dropout": lambda a, at: a[0], "Resize": op_resize, "Upsample": op_resize, "Pad": op_pad, "Expand": op_expand,
    "ConstantOfShape": op_constant_of_shape,
    "Range": lambda a, at: torch.arange(a[0].item(), a[1].item(), a[2].item(), dtype=a[0].dtype),
    "Softmax": lambda a, at: torch.softmax(a[0], dim=at.get("axis", -1)),
    "MatMul": lambda a, at: torch.matmul(a[0], a[1]), "Gemm": op_gemm,
    "ReduceMean": op_reduce(lambda x, ax, k: x.mean(dim=ax, keepdim=k)),
    "ReduceSum": op_reduce(lambda x, ax, k: x.sum(dim=ax, keepdim=k)),
    "ReduceMax": op_reduce(lambda x, ax, k: x.amax(dim=ax, keepdim=k)),
}
for _name, _fn in UNARY.items():
    OPS[_name] = (lambda f: lambda a, at: f(a[0]))(_fn)
for _name, _fn in BINARY.items():
    OPS[_name] = (lambda f: lambda a, at: f(a[0], a[1]))(_fn)
# Ops whose CPU-constant operands move next to their GPU operand (through a cache, so capture never copies).
DEVICE_OPERANDS = set(BINARY) | {"Div", "Max", "Min", "Where", "Gather", "MatMul", "Gemm"}


class OnnxModule(torch.nn.Module):
    def __init__(self, path):
        super().__init__()
        g = onnx.load(path).graph
        self._weights = {}  # graph name -> buffer attribute name
        self._consts = {}  # graph name -> CPU tensor
        self._cache = {}  # (name, device, dtype) -> a constant's copy next to the tensor it meets
        self._host = {n.input[i] for n in g.node for i in HOST_INPUTS.get(n.op_type, ()) if i < len(n.input)}
        for init in g.initializer:
            self._add(init.name, numpy_helper.to_array(init))
        self._nodes = []
        for n in g.node:
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Constant":
                if "value" in attrs:
                    self._add(n.output[0], numpy_helper.to_array(attrs["value"]))
                else:
                    key = next(iter(attrs))
                    self._add(n.output[0], np.array(attrs[key], dtype=np.float32 if "float" in key else np.int64))
                continue
            if n.domain not in ("", "ai.onnx") or n.op_type not in OPS:
                raise NotImplementedError(f"ONNX op {n.op_type} (node {n.name or n.output[0]}) has no PyTorch mapping here")
            self._nodes.append((n.op_type, list(n.input), list(n.output), attrs))
        names = {i.name for i in g.initializer}
        self._inputs = [i.name for i in g.input if i.name not in names]
        self._outputs = [o.name for o in g.output]

    def _add(self, name, arr):
        t = torch.from_numpy(np.array(arr, copy=True))
        if t.is_floating_point() and name not in self._host:
            attr = f"w{len(self._weights)}"
            self.register_buffer(attr, t, persistent=False)
            self._weights[name] = attr
        else:
            self._consts[name] = t

    def _near(self, name, t, like):
        """A CPU constant moved next to the GPU tensor it is combined with; cached so a capture never copies."""
        if t.device == like.device:
            return t
        if name not in self._consts:  # computed on the CPU (shape arithmetic): its values may change, no caching
            return t.to(like.device)
        dtype = like.dtype if t.is_floating_point() and like.is_floating_point() else t.dtype
        key = (name, like.device, dtype)
        if key not in self._cache:
            self._cache[key] = t.to(device=like.device, dtype=dtype)
        return self._cache[key]

    def forward(self, *xs):
        env = dict(self._consts)
        for name, attr in self._weights.items():
            env[name] = getattr(self, attr)
        env.update(zip(self._inputs, xs))
        for op, ins, outs, attrs in self._nodes:
            args = [env[i] if i else None for i in ins]
            if op in DEVICE_OPERANDS:
                gpu = next((t for t in args if t is not None and t.device.type != "cpu"), None)
                if gpu is not None:
                    args = [self._near(i, t, gpu) if t is not None else t for i, t in zip(ins, args)]
            res = OPS[op](args, attrs)
            for o, r in zip(outs, res if isinstance(res, (tuple, list)) else (res,)):
                if o:
                    env[o] = r
        out = [env[o] for o in self._outputs]
        return out[0] if len(out) == 1 else tuple(out)
