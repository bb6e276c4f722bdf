"""Cross-validation over k for kNN: the shared path (one neighbour search per fold, every k
voted from it) against fitting and scoring every k on its own, in one run, on CIFAR-10.

Run: python benchmarks/knn_cv.py [--root ~/.cache/hosila/cifar10] [--train 2000]
                                 [--k 1,3,5,8,10,12,15,20,50,100] [--folds 5] [--repeats 2]

Both paths call ``hosila.classic.cross_validate`` with the same grid and folds; passing
``fit=`` turns the sharing off, which is the per-setting path the function took before. Each
is timed ``--repeats`` times and the best (min) is reported, with a check that the fold
accuracies of the two are identical.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def main() -> None:
    from hosila.classic import KNearestNeighbor, cross_validate
    from hosila.classic._data import load_splits
    from hosila.classic.commands import parse_ks

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.expanduser("~/.cache/hosila/cifar10"))
    ap.add_argument("--train", type=int, default=2000)
    ap.add_argument("--k", default="1,3,5,8,10,12,15,20,50,100")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    ks = parse_ks(args.k)
    train, _ = load_splits("folder", args.root, args.train, 1)
    X, y = train.images.reshape(len(train.labels), -1), train.labels
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, NumPy {np.__version__}; "
        f"{len(X)} CIFAR-10 training images, {args.folds} folds, k in {ks}"
    )
    print("| metric | shared (s) | every k on its own (s) | speed-up | same fold scores |")
    print("|---|---:|---:|---:|---|")
    for metric in ("l2", "l1"):

        def make(k: int, metric: str = metric) -> KNearestNeighbor:
            return KNearestNeighbor(k=k, metric=metric)

        def run(separately: bool):
            fit = (lambda model, xs, ys: model.fit(xs, ys)) if separately else None
            best, res = float("inf"), None
            for _ in range(args.repeats):
                t = time.perf_counter()
                res = cross_validate(make, X, y, folds=args.folds, grid={"k": ks}, fit=fit)
                best = min(best, time.perf_counter() - t)
            return best, res

        t_fast, fast = run(False)
        t_slow, slow = run(True)
        same = all(
            np.array_equal(r["scores"], s["scores"])
            for r, s in zip(fast.results, slow.results, strict=True)
        )
        print(f"| {metric} | {t_fast:.1f} | {t_slow:.1f} | {t_slow / t_fast:.1f}x | {same} |")


if __name__ == "__main__":
    main()
