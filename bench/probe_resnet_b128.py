# Probe (issue #11, ResNet-50 b128 on the H200): the stem as 7x7/2 on C=3 against space-to-depth 4x4/1 on C=12/16,
# and layer1's 1x1 conv3 (64->256 at 56x56) as a cuDNN conv against cuBLASLt GEMMs. fp16 NHWC, PyTorch's cuDNN/cuBLASLt.
# Run on the device: python3 bench/probe_resnet_b128.py (results in bench/RESULTS.md, session 5).
import torch, torch.nn.functional as F
torch.backends.cudnn.benchmark = True
def t(fn, n=50):
    for _ in range(5): fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(True), torch.cuda.Event(True)
    ts = []
    for _ in range(n):
        s.record(); fn(); e.record(); e.synchronize(); ts.append(s.elapsed_time(e))
    ts.sort(); return ts[len(ts)//2]
N = 128
cl = torch.channels_last
x3 = torch.randn(N, 3, 224, 224, device="cuda", dtype=torch.half).to(memory_format=cl)
w7 = torch.randn(64, 3, 7, 7, device="cuda", dtype=torch.half).to(memory_format=cl)
print("stem 7x7/2 C=3      %.3f ms" % t(lambda: F.conv2d(x3, w7, stride=2, padding=3)))
for C in (12, 16):
    x = torch.randn(N, C, 112, 112, device="cuda", dtype=torch.half).to(memory_format=cl)
    w = torch.randn(64, C, 4, 4, device="cuda", dtype=torch.half).to(memory_format=cl)
    print("s2d 4x4/1 C=%d pad2  %.3f ms" % (C, t(lambda: F.conv2d(x, w, stride=1, padding=2))))
    xp = F.pad(x, (2, 1, 2, 1)).contiguous(memory_format=cl)
    print("s2d 4x4/1 C=%d prepadded %.3f ms" % (C, t(lambda: F.conv2d(xp, w, stride=1))))
# space-to-depth of the fp32 NCHW input into NHWC fp16 C=12 (what the input conversion would do)
xin = torch.randn(N, 3, 224, 224, device="cuda")
def s2d():
    return xin.view(N, 3, 112, 2, 112, 2).permute(0, 2, 4, 3, 5, 1).to(torch.half).contiguous()
print("s2d transform (torch) %.3f ms" % t(s2d))
x = torch.randn(N, 64, 56, 56, device="cuda", dtype=torch.half).to(memory_format=cl)
r = torch.randn(N, 256, 56, 56, device="cuda", dtype=torch.half).to(memory_format=cl)
w = torch.randn(256, 64, 1, 1, device="cuda", dtype=torch.half).to(memory_format=cl)
b = torch.randn(256, device="cuda", dtype=torch.half)
print("1x1 conv+bias (cudnn)  %.3f ms" % t(lambda: F.conv2d(x, w, b)))
X = x.permute(0, 2, 3, 1).reshape(-1, 64); W = w.reshape(256, 64); R = r.permute(0, 2, 3, 1).reshape(-1, 256)
print("gemm+bias+relu (lt)    %.3f ms" % t(lambda: torch._addmm_activation(b, X, W.t())))
print("gemm addmm residual    %.3f ms" % t(lambda: torch.addmm(R, X, W.t())))
print("copy 205MB (d2d)       %.3f ms" % t(lambda: R.clone()))
