"""Shared by the peer scripts: trtexec's statistics, the JSON-line row format bench/bench.ts reads, and the config.

A peer prints one JSON object per line on stdout (bench/results.ts ResultRow): every measured configuration, and
every one it could not run with status "n/a" and the reason. Anything else it prints goes to stderr.
"""
import json
import math
import struct
import sys


def f32(x):
    """Rounds to float32, as trtexec's float arithmetic does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def percentile(sorted_samples, p):
    """trtexec's findPercentile on an ascending list, evaluated in float32 like trtexec (cli/stats.ts does the same)."""
    n = len(sorted_samples)
    if n == 0:
        return math.inf
    exclude = int(f32(f32(1 - f32(f32(p) / 100)) * f32(n)))
    return sorted_samples[max(n - 1 - exclude, 0)]


def median(sorted_samples):
    n = len(sorted_samples)
    if n == 0:
        return math.nan
    m = n // 2
    return sorted_samples[m] if n % 2 else (sorted_samples[m - 1] + sorted_samples[m]) / 2


def stats(samples):
    s = sorted(samples)
    return {"min": s[0], "max": s[-1], "mean": sum(s) / len(s), "median": median(s),
            "p90": percentile(s, 90), "p95": percentile(s, 95), "p99": percentile(s, 99)}


def emit(row):
    print(json.dumps(row), flush=True)


def ok_row(model, batch, runtime, precision, transfers, latencies_ms, throughput, variant=None, extra=None):
    return {"model": model, "batch": batch, "runtime": runtime, "precision": precision, "variant": variant,
            "transfers": transfers, "status": "ok", "latencyMs": stats(latencies_ms), "throughput": throughput,
            "iterations": len(latencies_ms), "extra": extra or {}}


def na_row(model, batch, runtime, precision, transfers, reason, variant=None):
    return {"model": model, "batch": batch, "runtime": runtime, "precision": precision, "variant": variant,
            "transfers": transfers, "status": "n/a", "reason": reason}


def one_line(e):
    """An exception as one short line (the reason of an n/a row)."""
    text = f"{type(e).__name__}: {e}".strip().splitlines()
    return (text[0] if text else type(e).__name__)[:300]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def load_config():
    """The config is the first argument: JSON text, or @path to a JSON file."""
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} '<json config>' | @config.json")
    arg = sys.argv[1]
    if arg.startswith("@"):
        with open(arg[1:]) as f:
            return json.load(f)
    return json.loads(arg)
