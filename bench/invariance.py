"""The same bits at every thread count, on a machine with more cores than CI's.

    python bench/invariance.py [COUNTS, default 1,2,3,4,5,7,8,12,16]

Hashes (sha256, 16 hex digits) of fills, regions, initializers, the article's fit (a team of
threads), wide and mini-batch fits (the GEMM paths) and a sweep, at each thread count; exits 1
if any differs from the first count's. The first count's hashes are printed, so two machines'
runs can be compared too (fills promise the same bits on every CPU and C library; orthogonal's
QR and the MLP only on one CPU, for one build: a build for other flags, such as
-march=x86-64-v4 alone, gives other MLP bits).
The tests check thread counts 1, 2, 3 and 7 on small inputs; this runs the sizes where every
thread of a large machine gets work.
"""

import hashlib
import sys
import time

import numpy as np
from benchutil import thread_counts

import weightinit as wi
from weightinit import datasets, experiments
from weightinit._threads import _machine_cores

COUNTS = thread_counts(sys.argv[1] if len(sys.argv) > 1 else "1,2,3,4,5,7,8,12,16", 1)
if len(COUNTS) < 2:
    sys.exit(f"invariance.py compares thread counts: give two or more, got {COUNTS}")


def h(*arrays):
    d = hashlib.sha256()
    for a in arrays:
        d.update(np.ascontiguousarray(a).tobytes())
    return d.hexdigest()[:16]


def runs():
    out = {}
    for dist in ("uniform", "normal", "truncated_normal"):
        for dt in (np.float32, np.float64):
            f = getattr(wi.random, dist)
            out[f"{dist} {np.dtype(dt).name} 1e7+13"] = h(f(10**7 + 13, rng=7, dtype=dt))
            out[f"{dist} {np.dtype(dt).name} region"] = h(f((3001, 4099), rng=7, dtype=dt,
                                                            region=(slice(17, 2990), slice(5, 4001))))
    out["he_normal f16 (512,256,3,3)"] = h(wi.he_normal((512, 256, 3, 3), rng=3, dtype=np.float16))
    out["sparse 0.1 f32 2048^2"] = h(wi.sparse((2048, 2048), sparsity=0.1, rng=3, dtype=np.float32))
    out["orthogonal f64 1024^2"] = h(wi.orthogonal((1024, 1024), rng=3))
    X, Y = datasets.planar_flower(1)
    net = wi.MLP([2, 4, 1], init="he_normal", rng=0)
    c = net.fit(X, Y, iterations=20000, learning_rate=1.2)
    out["article fit 20000"] = h(c, *net.parameters.values())
    g = np.random.default_rng(0)
    Xw = g.normal(size=(784, 4096))
    Yw = np.eye(10)[:, g.integers(0, 10, 4096)]
    for dt in (np.float32, np.float64):
        w = wi.MLP([784, 256, 256, 10], activations=["relu", "relu", "softmax"], loss="softmax_cross_entropy",
                   init="he_normal", rng=1, dtype=dt)
        c = w.fit(Xw.astype(dt), Yw.astype(dt), iterations=5, learning_rate=0.01)
        out[f"wide fit {np.dtype(dt).name} x5"] = h(c, *w.parameters.values())
        w = wi.MLP([784, 128, 10], activations=["relu", "softmax"], loss="softmax_cross_entropy",
                   init="he_normal", rng=1, dtype=dt)
        c = w.fit(Xw.astype(dt), Yw.astype(dt), iterations=3, learning_rate=0.01, batch_size=256, rng=5)
        out[f"mini-batch fit {np.dtype(dt).name}"] = h(c, *w.parameters.values())
    r = wi.sweep(X, Y, [2, 4, 1], [experiments.scheme(s) for s in experiments.COMPARE_SCHEMES[:9]], 32, 500, 1.2)
    out["sweep 9x32x500"] = h(r.costs, r.train_accuracy, r.diverged)
    return out


print("cores", _machine_cores(), "default threads", wi.get_num_threads(), flush=True)
ref = None
bad = 0
for n in COUNTS:
    wi.set_num_threads(n)
    t = time.perf_counter()
    got = runs()
    print(f"threads {n:2d}: {time.perf_counter() - t:6.2f} s", flush=True)
    if ref is None:
        ref = got
        for k, v in got.items():
            print(f"  {k:32} {v}")
    for k in ref:
        if got[k] != ref[k]:
            bad += 1
            print(f"  DIFFERS at {n} threads: {k} {got[k]} != {ref[k]}", flush=True)
print("invariance:", "all equal" if not bad else f"{bad} differ", flush=True)
sys.exit(1 if bad else 0)
