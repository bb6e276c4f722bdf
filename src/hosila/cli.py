"""The ``hosila`` command line.

Each sub-command is added by a small ``_add_<name>`` function that builds its parser and
points ``func`` at the code that runs it; the work itself lives in the library.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the ``hosila`` command and all its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="hosila",
        description="hosila: deep learning from first principles.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_data(sub)
    _add_demo(sub)
    _add_knn(sub)
    _add_linear(sub)
    return parser


def _add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data",
        help="load a data set and describe it (builds the ImageFolder cache)",
        description="Load a data set from its files and print its size, shapes and "
        "class counts. For an image folder this decodes the images once and caches them.",
    )
    p.add_argument("kind", choices=["digits", "cifar10", "cifar100", "mnist", "folder"])
    p.add_argument("root", nargs="?", help="data folder (not needed for digits)")
    p.add_argument("--test", action="store_true", help="the test part instead of training")
    p.add_argument("--download", action="store_true", help="CIFAR: fetch the archive")
    p.add_argument("--cache-dir", help="folder: where the decoded cache goes")
    p.add_argument("--no-cache", action="store_true", help="folder: do not use a cache")
    p.set_defaults(func=_run_data)


def _run_data(args: argparse.Namespace) -> int:
    import time

    from hosila import data

    if args.kind != "digits" and args.root is None:
        raise ValueError(f"'hosila data {args.kind}' needs the data folder: ROOT")
    start = time.perf_counter()
    train = not args.test
    ds: data.ArrayDataset
    if args.kind == "digits":
        ds = data.Digits(train=train)
    elif args.kind == "cifar10":
        ds = data.CIFAR10(args.root, train=train, download=args.download)
    elif args.kind == "cifar100":
        ds = data.CIFAR100(args.root, train=train, download=args.download)
    elif args.kind == "mnist":
        ds = data.MNIST(args.root, train=train)
    else:
        ds = data.ImageFolder(args.root, cache=not args.no_cache, cache_dir=args.cache_dir)
    seconds = time.perf_counter() - start
    print(ds.summary())
    if isinstance(ds, data.ImageFolder) and ds.cache_path is not None:
        print(f"  cache   {ds.cache_path} ({'read' if ds.from_cache else 'written'})")
    print(f"loaded in {seconds:.2f} s")
    return 0


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run a demo (moons: a scalar MLP learns two moons)",
        description="moons: train the micrograd lecture's 2-16-16-1 MLP of scalar Values on "
        "100 two-moons points (hinge loss + L2, decaying learning rate), then write "
        "decision_boundary.png and the graph of a small neuron (neuron.svg) into --out.",
    )
    p.add_argument("name", choices=["moons"])
    p.add_argument("--out", default="runs/moons", help="output folder (default: runs/moons)")
    p.add_argument(
        "--steps", "--epochs", dest="steps", type=int, default=100, help="training steps"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the data and the weights")
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from hosila.demo import run_moons

    result = run_moons(out=args.out, steps=args.steps, seed=args.seed)
    print(f"moons: final loss {result['loss']:.4f}, training accuracy {result['accuracy']:.0%}")
    for path in result["files"]:
        print(f"wrote {path}")
    return 0


def _add_classic_data(p: argparse.ArgumentParser) -> None:
    """The data options shared by ``knn`` and ``linear``."""
    p.add_argument(
        "--data",
        choices=["cifar10", "folder", "digits"],
        default="cifar10",
        help="cifar10: official python batches; folder: ROOT/train, ROOT/test image "
        "folders (taken round robin over classes); digits: the 8x8 digits shipped "
        "with hosila",
    )
    p.add_argument("--root", help="data folder (not needed for digits)")
    p.add_argument("--train-size", type=int, help="use the first N training images")
    p.add_argument("--test-size", type=int, help="use the first N test images")
    p.add_argument("--seed", type=int, default=0, help="seed of folds, splits, sampling")
    p.add_argument("--out", help="folder for the plots (PNG)")


def _add_knn(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "knn",
        help="k-nearest-neighbour classifier (cross-validated k)",
        description="Classify test images by their k nearest training images; with several "
        "--k values and --cv FOLDS, k is chosen by cross-validation on the training images.",
    )
    _add_classic_data(p)
    p.add_argument("--k", default="1", help="k, or a comma-separated list (default 1)")
    p.add_argument("--metric", choices=["l2", "l1"], default="l2")
    p.add_argument("--cv", type=int, default=5, help="folds (0: no cross-validation)")
    p.add_argument("--max-memory", type=float, default=128, help="MiB per distance block")
    p.set_defaults(func=lambda args: _classic("run_knn", args))


def _add_linear(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "linear",
        help="linear SVM / softmax classifier (or a two-layer net with --hidden)",
        description="Train a linear classifier by minibatch SGD on raw pixels or HOG + colour "
        "features, tune it on a validation split (--search N random trials), report the test "
        "accuracy once and plot the weights as class templates.",
    )
    _add_classic_data(p)
    p.add_argument("--loss", choices=["svm", "softmax"], default="svm")
    p.add_argument("--features", choices=["raw", "hog+color"], default="raw")
    p.add_argument("--search", type=int, default=0, help="random-search trials (lr, reg)")
    p.add_argument("--lr", type=float, help="learning rate (without --search)")
    p.add_argument("--reg", type=float, help="regularisation strength (without --search)")
    p.add_argument("--num-iters", type=int, default=1500, help="SGD steps")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--val-size", type=int, default=1000, help="validation images from train")
    p.add_argument("--hidden", type=int, help="train a two-layer net with this many hidden units")
    p.add_argument("--epochs", type=int, default=10, help="two-layer net: epochs")
    p.add_argument("--progress", action="store_true", help="progress bar for the features")
    p.set_defaults(func=lambda args: _classic("run_linear", args))


def _classic(name: str, args: argparse.Namespace) -> int:
    from hosila.classic import commands

    return int(getattr(commands, name)(args))


def _version() -> str:
    from hosila import __version__

    return f"hosila {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hosila`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        # Bad input is reported in one line, not as a traceback.
        print(f"hosila {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
