"""kNN prediction: hosila vs scikit-learn's brute-force KNeighborsClassifier on CIFAR-10
vectors, and the speed-up of the vectorised SVM / softmax losses over the naive ones.

Run: python benchmarks/knn.py [--root ~/.cache/hosila/cifar10] [--train 50000] [--test 10000]
                              [--k 1] [--repeats 3]

Each kNN contender runs in its own fresh process (so that peak memory is its own): it loads
the images (``hosila.data.ImageFolder`` cache, flattened to 3 072 uint8 values), fits, and
times ``predict`` ``--repeats`` times, taking the best (min). Memory: the increase of the peak
resident set size (VmHWM, reset just before) over the RSS before the first ``predict`` call,
and the tracemalloc peak of one more call (NumPy's allocations; the C/C++ buffers of
scikit-learn's Cython code are not traced, so RSS is the fair figure).
scikit-learn gets float32 input (it upcasts its GEMM chunks to float64 either way, see
``sklearn.metrics._pairwise_distances_reduction``); hosila gets the uint8 images (it converts
to float32 itself). Accuracy is on the test labels; "agree" counts equal predictions.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import time
import tracemalloc

import numpy as np


def _load(root: str, n_train: int, n_test: int):
    from hosila.classic._data import load_splits

    train, test = load_splits("folder", root, n_train, n_test)
    return (
        train.images.reshape(len(train.labels), -1),
        train.labels,
        test.images.reshape(len(test.labels), -1),
        test.labels,
    )


def _worker(which: str, root: str, n_train: int, n_test: int, k: int, repeats: int, q) -> None:
    Xtr, ytr, Xte, yte = _load(root, n_train, n_test)
    rss0 = _status("VmRSS")  # the model's own memory: RSS after fit minus this
    if which == "hosila":
        from hosila.classic import KNearestNeighbor

        model = KNearestNeighbor(k=k).fit(Xtr, ytr)
        predict = model.predict
        Xq = Xte
    else:
        from sklearn.neighbors import KNeighborsClassifier

        Xtr32, Xq = Xtr.astype(np.float32), Xte.astype(np.float32)
        model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(Xtr32, ytr)
        predict = model.predict
        del Xtr32
    fitted = _status("VmRSS") - rss0
    # memory first, on the first call of predict in this fresh process (later calls may
    # reuse memory the allocator kept from earlier ones): the increase of the peak RSS,
    # after writing 5 to /proc/self/clear_refs reset the peak (VmHWM) to the current RSS
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status("VmRSS")
    t0 = time.perf_counter()
    pred = predict(Xq)
    times = [time.perf_counter() - t0]
    peak = _status("VmHWM")
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        pred = predict(Xq)
        times.append(time.perf_counter() - t0)
    # tracemalloc (NumPy's allocations) on one more call, untimed
    tracemalloc.start()
    predict(Xq)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    q.put(
        {
            "time": min(times),
            "times": times,
            "rss": max(0, peak - before),
            "fitted": fitted,
            "traced": traced,
            "pred": np.asarray(pred),
            "acc": float(np.mean(np.asarray(pred) == yte)),
        }
    )


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _run(which: str, args) -> dict:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(
        target=_worker, args=(which, args.root, args.train, args.test, args.k, args.repeats, q)
    )
    p.start()
    out = q.get()
    p.join()
    return out


def _loss_speedup(root: str, n: int, repeats: int) -> list[tuple[str, float, float]]:
    from hosila.classic import linear

    Xtr, ytr, _, _ = _load(root, n, 1)
    X = linear.append_bias((Xtr - Xtr.mean(axis=0)).astype(np.float32) / 64.0)
    W = (0.0001 * np.random.default_rng(0).standard_normal((X.shape[1], 10))).astype(np.float32)
    rows = []
    for name in ("svm", "softmax"):
        naive = getattr(linear, f"{name}_loss_naive")
        vec = getattr(linear, f"{name}_loss_vectorized")
        best = []
        for fn in (naive, vec):
            ts = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                fn(W, X, ytr, 1e-3)
                ts.append(time.perf_counter() - t0)
            best.append(min(ts))
        ln, gn = naive(W, X, ytr, 1e-3)
        lv, gv = vec(W, X, ytr, 1e-3)
        assert abs(ln - lv) <= 1e-4 * abs(ln) and np.allclose(gn, gv, rtol=1e-3, atol=1e-5)
        rows.append((name, best[0], best[1]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.expanduser("~/.cache/hosila/cifar10"))
    ap.add_argument("--train", type=int, default=50_000)
    ap.add_argument("--test", type=int, default=10_000)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--loss-n", type=int, default=500, help="examples for the loss timing")
    args = ap.parse_args()

    import sklearn
    from threadpoolctl import threadpool_info

    blas = ", ".join(
        sorted({f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
                for i in threadpool_info()})
    )  # fmt: skip
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}, NumPy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}; {blas}"
    )
    print(
        f"kNN predict, L2, k = {args.k}: {args.train} training x {args.test} test CIFAR-10 "
        f"vectors (3072 values), best of {args.repeats}"
    )
    res = {name: _run(name, args) for name in ("hosila", "sklearn")}
    agree = float(np.mean(res["hosila"]["pred"] == res["sklearn"]["pred"]))
    print("| | hosila | scikit-learn (brute) | ratio |")
    print("|---|---:|---:|---:|")
    h, s = res["hosila"], res["sklearn"]
    print(f"| predict time (s) | {h['time']:.2f} | {s['time']:.2f} | {h['time'] / s['time']:.2f} |")
    rows = (
        ("model after fit, RSS", "fitted"),
        ("predict: peak RSS increase", "rss"),
        ("predict: tracemalloc peak", "traced"),
    )
    for label, key in rows:
        ratio = f"{h[key] / s[key]:.2f}" if s[key] >= 2**20 else "n/a"
        print(f"| {label} (MiB) | {h[key] / 2**20:.0f} | {s[key] / 2**20:.0f} | {ratio} |")
    print(f"| accuracy | {h['acc']:.4f} | {s['acc']:.4f} | |")
    print(f"predictions agree on {agree:.4%} of the test images")
    print(f"all times (s): hosila {h['times']}, sklearn {s['times']}")

    print(
        f"\nloss + gradient on {args.loss_n} CIFAR-10 images, W (3073, 10) float32, "
        "1 BLAS thread, best of 20"
    )
    print("| loss | naive (ms) | vectorised (ms) | speed-up |")
    print("|---|---:|---:|---:|")
    # one BLAS thread: on a shared machine, threads waiting for each other dominate products
    # this small (the same setting for both versions)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        speedups = _loss_speedup(args.root, args.loss_n, 20)
    for name, tn, tv in speedups:
        print(f"| {name} | {tn * 1e3:.1f} | {tv * 1e3:.2f} | {tn / tv:.0f}x |")


if __name__ == "__main__":
    main()
