"""onnxruntime on the CPU, the peer a user without a GPU (or without CUDA in onnxruntime) would pick.

Small batches only (config ort.batches). Wall clock around each session.run, after warm-up; at least ort.min_iters
runs, stopping after ort.max_s seconds; the same random-input rotation and statistics as the GPU peers.
usage: python3 bench/peers/ort_cpu.py '<json config>'
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import emit, load_config, na_row, ok_row, one_line  # noqa: E402

RUNTIME = "onnxruntime-cpu"


def main():
    cfg = load_config()
    o = cfg["ort"]
    try:
        import numpy as np
        import onnxruntime as ort
    except Exception as e:  # noqa: BLE001
        for spec in cfg["models"]:
            emit(na_row(spec["name"], 0, RUNTIME, "fp32", False, one_line(e)))
        return
    for spec in cfg["models"]:
        try:
            sess = ort.InferenceSession(spec["onnx"], providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001
            emit(na_row(spec["name"], 0, RUNTIME, "fp32", False, one_line(e)))
            continue
        name = sess.get_inputs()[0].name
        rng = np.random.default_rng()
        for batch in o["batches"]:
            if time.time() > cfg["deadline"]:
                emit(na_row(spec["name"], batch, RUNTIME, "fp32", False, "skipped: the bench's time budget ran out"))
                continue
            try:
                sets = [rng.uniform(-1, 1, [batch, *spec["sample_shape"]]).astype(np.float32) for _ in range(4)]
                for i in range(2):
                    sess.run(None, {name: sets[i]})
                lats, t0 = [], time.perf_counter()
                while len(lats) < o["min_iters"] and time.perf_counter() - t0 < o["max_s"]:
                    a = time.perf_counter()
                    sess.run(None, {name: sets[len(lats) % 4]})
                    lats.append((time.perf_counter() - a) * 1000)
                wall = time.perf_counter() - t0
                emit(ok_row(spec["name"], batch, RUNTIME, "fp32", False, lats, len(lats) * batch / wall, None,
                            {"onnxruntime": ort.__version__, "threads": os.cpu_count()}))
            except Exception as e:  # noqa: BLE001
                emit(na_row(spec["name"], batch, RUNTIME, "fp32", False, one_line(e)))


if __name__ == "__main__":
    main()
