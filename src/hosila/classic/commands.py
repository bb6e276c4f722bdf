"""What ``hosila knn`` and ``hosila linear`` do (the parsers live in ``hosila/cli.py``).

Every option is checked, and every combination that would be silently ignored is refused,
before any data are read."""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def parse_ks(text: str) -> list[int]:
    """'1,3,5' -> [1, 3, 5] (each a positive int)."""
    try:
        ks = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(
            f"--k must be a comma-separated list of positive ints, got {text!r}"
        ) from None
    if not ks or min(ks) < 1:
        raise ValueError(f"--k must be a comma-separated list of positive ints, got {text!r}")
    return ks


def _flat(images: np.ndarray) -> np.ndarray:
    return images.reshape(images.shape[0], -1)


def _check_data_options(args: argparse.Namespace) -> None:
    """Refuse --root with the built-in digits (the data sets' own checks are in
    hosila.data.sources)."""
    if args.data == "digits" and args.root is not None:
        raise ValueError(
            f"--root is not used by --data digits (the digits ship with hosila), got {args.root!r}"
        )


def run_knn(args: argparse.Namespace) -> int:
    """Cross-validate k (optional), then report the test accuracy."""
    from hosila.classic._data import load_splits
    from hosila.classic.knn import KNearestNeighbor
    from hosila.classic.model_selection import cross_validate, plot_cv

    ks = parse_ks(args.k)
    _check_data_options(args)
    if args.cv is not None and args.cv == 1:
        raise ValueError("--cv must be 0 (no cross-validation) or at least 2 folds, got 1")
    if args.cv and len(ks) == 1:
        raise ValueError(
            f"--cv {args.cv} chooses k among several values: give a list (--k 1,3,5), or "
            f"leave --cv out for the single k {ks[0]}"
        )
    folds = (5 if len(ks) > 1 else 0) if args.cv is None else args.cv
    if args.out is not None and not folds:
        raise ValueError(
            "--out writes the cross-validation plot: it needs several --k values and "
            "--cv FOLDS >= 2 (the default 5)"
        )
    if args.max_memory <= 0:
        raise ValueError(f"--max-memory must be > 0 (MiB), got {args.max_memory}")
    t0 = time.perf_counter()
    train, test = load_splits(args.data, args.root, args.train_size, args.test_size, args.seed)
    Xtr, Xte = _flat(train.images), _flat(test.images)
    if max(ks) > len(Xtr):
        raise ValueError(f"--k {max(ks)} is larger than the {len(Xtr)} training images")
    print(
        f"data: {args.data}, {len(Xtr)} training / {len(Xte)} test images, "
        f"{Xtr.shape[1]} values each; metric {args.metric}"
    )
    mem = int(args.max_memory * 2**20)

    def make(k: int) -> KNearestNeighbor:
        return KNearestNeighbor(k=k, metric=args.metric, max_memory=mem)

    chosen = ks[0]
    if folds:
        res = cross_validate(make, Xtr, train.labels, folds=folds, grid={"k": ks}, seed=args.seed)
        print(f"{folds}-fold cross-validation on the training images:")
        for r in res.results:
            print(f"  k = {r['params']['k']:<4d} accuracy {r['mean']:.4f} +- {r['std']:.4f}")
        chosen = res.best_params["k"]
        print(f"best k by cross-validation: {chosen}")
        if args.out:
            path = os.path.join(args.out, f"knn_cv_{args.metric}.png")
            plot_cv(res, "k", path, title=f"{folds}-fold cross-validation ({args.metric})")
            print(f"plot: {path}")
        to_test = [chosen]
    else:
        to_test = ks
    model = make(chosen).fit(Xtr, train.labels)
    for k in to_test:
        t = time.perf_counter()
        acc = model.score(Xte, test.labels, k=k)
        print(
            f"test accuracy (k = {k}): {acc:.4f}  ({int(round(acc * len(Xte)))}/{len(Xte)}; "
            f"predict {time.perf_counter() - t:.1f} s)"
        )
    print(f"total time {time.perf_counter() - t0:.1f} s")
    return 0


def _features(kind: str, images: list[np.ndarray], progress: bool) -> list[np.ndarray]:
    """Raw pixels (mean image subtracted, scaled by the pixel std) or HOG + colour histogram
    (standardised); statistics from the first array (the training part)."""
    from hosila.classic.features import Standardizer, extract_features, hog_features

    if kind == "raw":
        flat = [_flat(x).astype(np.float32) for x in images]
        mean = flat[0].mean(axis=0)
        std = float(flat[0].std())
        return [(x - mean) / std for x in flat]
    if images[0].ndim == 4:
        feats = [extract_features(x, progress=progress) for x in images]
    else:  # grey images (digits, MNIST): HOG only, with cells that fit small images
        feats = [
            extract_features(x, (lambda b: hog_features(b, cell_size=4),), progress=progress)
            for x in images
        ]
    scaler = Standardizer().fit(feats[0])
    return [scaler.transform(f) for f in feats]


def _check_linear_options(args: argparse.Namespace) -> None:
    """Refuse option combinations that ``hosila linear`` would otherwise ignore."""
    _check_data_options(args)
    if args.hidden is not None:
        for name, given in (
            ("--loss", args.loss is not None),
            ("--search", args.search != 0),
            ("--num-iters", args.num_iters is not None),
        ):
            if given:
                raise ValueError(
                    f"{name} is for the linear classifiers; --hidden trains the two-layer "
                    f"net (softmax loss, --epochs, --lr, --reg)"
                )
        if args.out is not None:
            raise ValueError("--out writes the linear weights as templates; not with --hidden")
    elif args.epochs is not None:
        raise ValueError("--epochs is for the two-layer net: give --hidden H too")
    if args.search and (args.lr is not None or args.reg is not None):
        raise ValueError(
            "--lr/--reg fix the hyperparameters, --search N draws them: give one or the other"
        )
    if args.out is not None and args.features != "raw":
        raise ValueError("--out writes the weights as image templates: only with --features raw")
    if args.progress and args.features == "raw":
        raise ValueError("--progress shows the feature extraction: only with --features hog+color")


def run_linear(args: argparse.Namespace) -> int:
    """Train a linear SVM / softmax classifier (or a two-layer net with --hidden) with a
    validation split and an optional random search, then report the test accuracy.

    Hyperparameters not given come from :mod:`hosila.classic.defaults` (per data set,
    features and loss, chosen by a search on the validation split)."""
    from hosila.classic import defaults
    from hosila.classic._data import load_splits, val_count, validation_split
    from hosila.classic.linear import LinearSVM, SoftmaxClassifier, plot_templates, random_search
    from hosila.classic.twolayer import TwoLayerNet

    for name in ("num_iters", "batch_size", "hidden", "epochs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if args.search < 0:
        raise ValueError(f"--search must be >= 0 (number of trials), got {args.search}")
    for name in ("lr", "reg"):
        value = getattr(args, name)
        if value is not None and not (value >= 0 if name == "reg" else value > 0):
            raise ValueError(f"--{name} must be {'>= 0' if name == 'reg' else '> 0'}, got {value}")
    if args.val_size is not None and not args.val_size > 0:
        raise ValueError(f"--val-size must be a count or a fraction < 1, got {args.val_size}")
    _check_linear_options(args)
    t0 = time.perf_counter()
    train, test = load_splits(args.data, args.root, args.train_size, args.test_size, args.seed)
    n_val = val_count(args.val_size, len(train.labels))
    Xtr, ytr, Xval, yval = validation_split(train.images, train.labels, n_val, args.seed)
    Xtr, Xval, Xte = _features(args.features, [Xtr, Xval, test.images], args.progress)
    yte = test.labels
    print(
        f"data: {args.data}, {len(ytr)} train / {len(yval)} validation / {len(yte)} test; "
        f"features {args.features} ({Xtr.shape[1]} values)"
    )
    if args.hidden is not None:
        d = defaults.two_layer_defaults(args.data, args.features)
        lr = args.lr if args.lr is not None else d["lr"]
        reg = args.reg if args.reg is not None else d["reg"]
        epochs = args.epochs if args.epochs is not None else d["epochs"]
        net = TwoLayerNet(Xtr.shape[1], args.hidden, len(train.classes), seed=args.seed)
        net.train(
            Xtr,
            ytr,
            Xval,
            yval,
            learning_rate=lr,
            weight_decay=reg,
            epochs=epochs,
            batch_size=args.batch_size,
            verbose=True,
        )
        print(
            f"two-layer net ({args.hidden} hidden, lr {lr:g}, weight decay {reg:g}, "
            f"{epochs} epochs): train {net.score(Xtr, ytr):.4f} val {net.score(Xval, yval):.4f}"
        )
        print(f"test accuracy: {net.score(Xte, yte):.4f}")
        print(f"total time {time.perf_counter() - t0:.1f} s")
        return 0
    loss = args.loss or "svm"
    cls = LinearSVM if loss == "svm" else SoftmaxClassifier
    d = defaults.linear_defaults(args.data, args.features, loss)
    num_iters = args.num_iters if args.num_iters is not None else d["num_iters"]
    if args.search:
        res = random_search(
            lambda: cls(seed=args.seed),
            Xtr,
            ytr,
            Xval,
            yval,
            learning_rates=d["lr_range"],
            regs=d["reg_range"],
            n_iter=args.search,
            num_iters=num_iters,
            batch_size=args.batch_size,
            seed=args.seed,
            verbose=True,
        )
        model = res.best_model
        lr, reg = res.best_params["learning_rate"], res.best_params["reg"]
    else:
        lr = args.lr if args.lr is not None else d["lr"]
        reg = args.reg if args.reg is not None else d["reg"]
        model = cls(seed=args.seed)
        model.train(Xtr, ytr, lr, reg, num_iters, args.batch_size)
    print(
        f"{loss} (lr {lr:.3g}, reg {reg:.3g}, {num_iters} steps): "
        f"train {model.score(Xtr, ytr):.4f} val {model.score(Xval, yval):.4f}"
    )
    print(f"test accuracy: {model.score(Xte, yte):.4f}")
    if args.out:
        path = os.path.join(args.out, f"{loss}_templates.png")
        plot_templates(model.templates(), path, tuple(train.images.shape[1:]), train.classes)
        print(f"weights as templates: {path}")
    print(f"total time {time.perf_counter() - t0:.1f} s")
    return 0
