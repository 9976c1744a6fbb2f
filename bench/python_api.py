#!/usr/bin/env python3
"""The Python module's cost over the C++ call, and frames per second from
Python threads, on one dataset photo.

    bench/python_api.py --models DIR [--photo P] [--runs 50] [--bin build/bench/api_bench]

DIR is a store or a `maskwatch models export` folder. In one run: the
median and least ms of FaceLabeller::detect and of classify on one box from
C++ (bench/api_bench.cpp), and of the same calls from Python on the same
decoded array (the difference is the module's overhead: the array check,
the result objects; the one-box call, about a millisecond, shows it best),
and photos per second from 1 and 2 Python threads (1 compute thread each:
the GIL is released during the call, so 2 threads should near double it).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "build", "python"))
import numpy  # noqa: E402
from PIL import Image  # noqa: E402

import maskwatch  # noqa: E402


def cpu_isa() -> str:
    flags = open("/proc/cpuinfo").read()
    return "AVX-512 VNNI" if "avx512_vnni" in flags else "AVX2" if "avx2" in flags else "baseline x86-64"


BOX = [79, 105, 109, 142]  # a face of maksssksksss0, as bench/api_bench.cpp


def timed(runs: int, call):
    """The median and the least ms of `runs` calls, after one to warm up."""
    call()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms)


def per_second(labeller, rgb, threads: int, seconds: float) -> float:
    done = [0] * threads
    stop = time.monotonic() + seconds

    def run(i):
        while time.monotonic() < stop:
            labeller.detect(rgb)
            done[i] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / seconds


def main():
    data = os.environ.get("MASKWATCH_DATA", "../shared/data/face-mask-detection")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True)
    ap.add_argument("--photo", default=os.path.join(data, "images", "maksssksksss0.jpg"))
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--bin", default="build/bench/api_bench")
    a = ap.parse_args()
    cpp = json.loads(subprocess.run([a.bin, "--models", a.models, "--photo", a.photo, "--runs", str(a.runs)],
                                    check=True, capture_output=True, text=True).stdout)
    labeller = maskwatch.open(a.models, threads=1)
    rgb = numpy.asarray(Image.open(a.photo).convert("RGB"))
    py = {"detect_ms": timed(a.runs, lambda: labeller.detect(rgb)),
          "classify_ms": timed(a.runs, lambda: labeller.classify(rgb, [BOX]))}
    one, two = per_second(labeller, rgb, 1, a.seconds), per_second(labeller, rgb, 2, a.seconds)
    print(f"CPU: {cpu_isa()}, {os.cpu_count()} cores; engine {labeller.engine}; photo {os.path.basename(a.photo)} "
          f"{rgb.shape[1]}x{rgb.shape[0]}, {cpp['faces']} faces")
    for call in ("detect_ms", "classify_ms"):
        (cm, cl), (pm, pl) = cpp[call], py[call]
        print(f"{call[:-3]}, 1 thread, {a.runs} calls: C++ median {cm:.3f} / least {cl:.3f} ms, Python {pm:.3f} / "
              f"{pl:.3f} ms: overhead {pm - cm:.3f} / {pl - cl:.3f} ms (goal < 1 ms)")
    print(f"photos/s from Python threads: 1 thread {one:.1f}, 2 threads {two:.1f} ({two / one:.2f}x)")


if __name__ == "__main__":
    main()
