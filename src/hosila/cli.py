"""The ``hosila`` command line.

Each sub-command is added by a small ``_add_<name>`` function that builds its parser and
points ``func`` at the code that runs it; the work itself lives in the library.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the ``hosila`` command and all its sub-commands."""
    parser = _Parser(
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
    _add_train(sub)
    _add_evaluate(sub)
    _add_predict(sub)
    return parser


def _add_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data",
        help="load a data set and describe it (builds the ImageFolder cache)",
        description="Load a data set from its files, the way every command opens it, and "
        "print its size, shapes and class counts. ROOT may hold the official files or "
        "image folders: ROOT/train/<class>/* and ROOT/test/<class>/* (the training part is "
        "described, or the test part with --test), or ROOT/<class>/* for folder. An image "
        "folder is decoded once and cached.",
    )
    p.add_argument("kind", choices=["digits", "cifar10", "cifar100", "mnist", "folder"])
    p.add_argument(
        "root",
        nargs="?",
        help="data folder (not for digits; cifar10 defaults to ~/.cache/hosila/cifar10)",
    )
    p.add_argument("--test", action="store_true", help="the test part instead of training")
    p.add_argument(
        "--download", action="store_true", help="cifar10, cifar100, mnist: fetch the files"
    )
    p.add_argument(
        "--cache-dir", type=out_folder, metavar="DIR", help="image folders: where the cache goes"
    )
    p.add_argument("--no-cache", action="store_true", help="image folders: no cache")
    p.set_defaults(func=_run_data)


def _run_data(args: argparse.Namespace) -> int:
    import time

    from hosila.data import ImageFolder
    from hosila.data.sources import open_split, uses_image_folder

    kind = args.kind
    if kind == "digits" and args.root is not None:
        raise ValueError(f"'hosila data digits' takes no ROOT (the digits ship), got {args.root!r}")
    if kind not in ("digits", "cifar10") and args.root is None:
        raise ValueError(f"'hosila data {kind}' needs the data folder: ROOT")
    if args.download and kind in ("digits", "folder"):
        raise ValueError(f"--download fetches official files; 'hosila data {kind}' has none")
    if args.no_cache and args.cache_dir is not None:
        raise ValueError("--cache-dir says where the cache goes, --no-cache that there is none")
    if (args.no_cache or args.cache_dir is not None) and not uses_image_folder(
        kind, args.root, not args.test
    ):
        raise ValueError(
            "--cache-dir/--no-cache apply to image folders; "
            f"'hosila data {kind}{'' if args.root is None else ' ' + args.root}' reads "
            "official files, which need no cache"
        )
    start = time.perf_counter()
    train = not args.test
    ds = open_split(
        kind,
        args.root,
        train,
        cache=not args.no_cache,
        cache_dir=args.cache_dir,
        download=args.download,
    )
    if ds is None:
        raise ValueError(
            f"--test: {args.root} has no test part (expected {args.root}/test/<class>/* "
            f"beside {args.root}/train/<class>/*)"
        )
    seconds = time.perf_counter() - start
    print(ds.summary())
    print(f"  part    {'training' if train else 'test'}")
    if isinstance(ds, ImageFolder):
        print(f"  folder  {ds.root}")
        if ds.cache_path is not None:
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
    p.add_argument(
        "--out",
        type=out_folder,
        default="runs/moons",
        metavar="DIR",
        help="output folder (default: runs/moons)",
    )
    p.add_argument(
        "--steps",
        "--epochs",
        dest="steps",
        type=_positive_int,
        default=100,
        metavar="N",
        help="training steps (100)",
    )
    p.add_argument(
        "--seed", type=_nonnegative_int, default=0, metavar="N", help="seed of data and weights"
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (none either when the output is not a terminal)",
    )
    p.set_defaults(func=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from hosila.demo import run_moons

    progress = not args.no_progress and sys.stdout.isatty()
    result = run_moons(out=args.out, steps=args.steps, seed=args.seed, progress=progress)
    print(f"moons: final loss {result['loss']:.4f}, training accuracy {result['accuracy']:.0%}")
    for path in result["files"]:
        print(f"wrote {path}")
    return 0


def _add_classic_data(p: argparse.ArgumentParser) -> None:
    """The data options shared by ``knn`` and ``linear``."""
    from hosila.classic._data import DATA_KINDS
    from hosila.data.sources import DEFAULT_CIFAR_ROOT

    p.add_argument(
        "--data",
        choices=DATA_KINDS,
        default="cifar10",
        help="cifar10 (default): the official python batches, or a JPEG copy with train/ "
        f"and test/ folders, in --root (default {DEFAULT_CIFAR_ROOT}); digits: the 8x8 "
        "digits shipped with hosila; mnist: the IDX files in --root; folder: "
        "--root/train/<class>/*, --root/test/<class>/*",
    )
    p.add_argument("--root", metavar="DIR", help="where the data set's files are (not digits)")
    p.add_argument(
        "--train-size",
        type=_positive_int,
        metavar="N",
        help="use N training images: a seeded choice with every class in proportion",
    )
    p.add_argument(
        "--test-size",
        type=_positive_int,
        metavar="N",
        help="use N test images: a seeded choice with every class in proportion",
    )
    p.add_argument(
        "--seed",
        type=_nonnegative_int,
        default=0,
        metavar="N",
        help="seed of the subsets, folds, splits and sampling (0)",
    )
    p.add_argument("--out", type=out_folder, metavar="DIR", help="folder for the plots (PNG)")


def _count_or_fraction(text: str) -> float:
    """--val-size: a count >= 1 or a fraction 0 < f < 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a count or a fraction < 1, got {text!r}"
        ) from None
    if not (0 < value < 1 or (value >= 1 and value.is_integer())):
        raise argparse.ArgumentTypeError(f"expected a count or a fraction < 1, got {text!r}")
    return value


def _add_knn(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "knn",
        help="k-nearest-neighbour classifier (cross-validated k)",
        description="Classify test images by their k nearest training images; with several "
        "--k values, k is chosen by --cv FOLDS cross-validation on the training images.",
    )
    _add_classic_data(p)
    p.add_argument("--k", default="1", help="k, or a comma-separated list (default 1)")
    p.add_argument("--metric", choices=["l2", "l1"], default="l2")
    p.add_argument(
        "--cv",
        type=_nonnegative_int,
        metavar="FOLDS",
        help="folds for choosing among several k (default 5; 0: test every k)",
    )
    p.add_argument(
        "--max-memory",
        type=_float_at_least(0.0, True),
        default=128,
        metavar="MIB",
        help="MiB per distance block (128)",
    )
    p.set_defaults(func=lambda args: _classic("run_knn", args))


def _add_linear(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "linear",
        help="linear SVM / softmax classifier (or a two-layer net with --hidden)",
        description="Train a linear classifier by minibatch SGD on raw pixels or HOG + colour "
        "features, tune it on a validation split (--search N random trials), report the test "
        "accuracy once and plot the weights as class templates. Hyperparameters left out "
        "take the values chosen per data set on its validation split (docs/classic.md).",
    )
    _add_classic_data(p)
    p.add_argument("--loss", choices=["svm", "softmax"], help="the loss (default svm)")
    p.add_argument("--features", choices=["raw", "hog+color"], default="raw")
    p.add_argument(
        "--search", type=_nonnegative_int, default=0, metavar="N", help="random trials (lr, reg)"
    )
    p.add_argument(
        "--lr", type=_float_at_least(0.0, True), help="learning rate (default: per data set)"
    )
    p.add_argument(
        "--reg",
        type=_float_at_least(0.0, False),
        help="regularisation strength (default: per data set)",
    )
    p.add_argument(
        "--num-iters", type=_positive_int, metavar="N", help="SGD steps (default: per data set)"
    )
    p.add_argument("--batch-size", type=_positive_int, default=200, metavar="N")
    p.add_argument(
        "--val-size",
        type=_count_or_fraction,
        metavar="N",
        help="validation images held out of the training ones: a count or a fraction < 1 "
        "(default 10 %%, at most 1000)",
    )
    p.add_argument(
        "--hidden",
        type=_positive_int,
        metavar="H",
        help="train a two-layer net with this many hidden units",
    )
    p.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="two-layer net: epochs (default: per data set)",
    )
    p.add_argument("--progress", action="store_true", help="progress bar for hog+color features")
    p.set_defaults(func=lambda args: _classic("run_linear", args))


def _classic(name: str, args: argparse.Namespace) -> int:
    from hosila.classic import commands

    return int(getattr(commands, name)(args))


# ---- train / evaluate / predict (hosila.train.run does the work) ---------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _float_at_least(minimum: float, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        ok = value > minimum if strict else value >= minimum
        if not ok or value != value or value == float("inf"):
            sign = ">" if strict else ">="
            raise argparse.ArgumentTypeError(
                f"expected a finite number {sign} {minimum}, got {text!r}"
            )
        return value

    return parse


def out_folder(text: str) -> str:
    """An argparse type for an output folder (``--out``): refuses, before any work
    starts, a path that is an existing file, lies under a file, or whose nearest existing
    folder cannot be written to. Returns the path unchanged (it is created later)."""
    import os

    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty path")
    path = os.path.abspath(os.path.expanduser(text))
    if os.path.exists(path) and not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"{text!r} is an existing file, expected a folder")
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise argparse.ArgumentTypeError(f"{text!r} lies under the file {probe!r}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {probe!r} is not writable")
    return text


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad option in one line (no usage block).

    ``add_subparsers`` makes every sub-command's parser of this class too, so the rule holds
    for ``hosila`` and all its commands."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add_train(sub: argparse._SubParsersAction) -> None:
    from hosila.data.sources import DATA_SETS, DEFAULT_CIFAR_ROOT
    from hosila.train.run import OPTIMIZERS, SCHEDULES

    models = ["mlp", "twolayer", "convnet3", "lenet5", "vgg_bn", "smallcnn"]
    p = sub.add_parser(
        "train",
        help="train an image classifier (default: a small CNN on the 8x8 Digits)",
        description="Train an image classifier and write a run folder (--out) with the "
        "config, a checkpoint after every epoch, the best model, the history (JSON, CSV), "
        "loss/accuracy curves, the test confusion matrix and a grid of test predictions. "
        "Options left out take the data set's defaults (digits: smallcnn, 12 epochs, batch "
        "32, adam lr 2e-3, cosine schedule; cifar10: convnet3, 3 epochs, batch 64, adam lr "
        "3e-3, onecycle schedule, 5000 validation images).",
    )
    p.add_argument(
        "--data",
        choices=DATA_SETS,
        default="digits",
        help="digits: the 8x8 digits shipped with hosila (default); cifar10: the official "
        f"pickles or a JPEG copy with train/ and test/ folders in --root (default "
        f"{DEFAULT_CIFAR_ROOT}); mnist: the IDX files in --root; folder: --root/<class>/* "
        "or --root/{train,test}/<class>/*",
    )
    p.add_argument("--root", metavar="DIR", help="where the data set's files are")
    p.add_argument("--model", choices=models, help="the network (default: per data set)")
    p.add_argument("--epochs", type=_positive_int, metavar="N", help="epochs to train")
    p.add_argument("--batch-size", type=_positive_int, metavar="N", help="images per batch")
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        help="momentum/nesterov: SGD with momentum 0.9 (default adam)",
    )
    p.add_argument(
        "--lr",
        type=_float_at_least(0.0, True),
        metavar="X",
        help="learning rate (default 1e-3 for adam/rmsprop, 0.01 for the others, 2e-3 for "
        "adam on digits, 3e-3 on cifar10; the peak for onecycle)",
    )
    p.add_argument(
        "--weight-decay", type=_float_at_least(0.0, False), metavar="X", help="L2 penalty (0)"
    )
    p.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning-rate schedule: step (x0.1 every third of the epochs), cosine (to 0), "
        "onecycle (per batch), plateau (x0.1 after 2 epochs without a lower validation loss)",
    )
    p.add_argument(
        "--augment",
        action="store_true",
        help="random crops after padding by 1/8 of the size, and horizontal flips (colour)",
    )
    p.add_argument(
        "--val-split",
        type=_float_at_least(0.0, False),
        metavar="N",
        help="training images held out for validation: a fraction < 1 or a count (default "
        "0.1; 5000 on cifar10)",
    )
    p.add_argument(
        "--patience",
        type=_nonnegative_int,
        metavar="N",
        help="stop early after N epochs without a lower validation loss (0: never, default)",
    )
    p.add_argument(
        "--image-size", type=_positive_int, metavar="N", help="folder: resize images to NxN"
    )
    p.add_argument(
        "--limit", type=_positive_int, metavar="N", help="use at most N training and test images"
    )
    p.add_argument("--out", metavar="DIR", help="the run folder (default runs/<data>-<model>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last checkpoint, exactly (its stored "
        "options are used; --epochs may raise the number of epochs)",
    )
    p.add_argument("--seed", type=_nonnegative_int, metavar="N", help="random seed (0)")
    p.add_argument(
        "--no-test",
        action="store_true",
        help="do not evaluate on the test set at the end (while tuning on the validation "
        "split; 'hosila evaluate RUN' tests the chosen run once)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=_run_train)


def _run_train(args: argparse.Namespace) -> int:
    from hosila.train.run import train
    from hosila.utils import retain_freed_memory

    retain_freed_memory()  # reuse freed arrays: faster steps (docs/benchmarks/train.md)

    keys = ["data", "root", "model", "epochs", "batch_size", "optimizer", "lr", "weight_decay",
            "schedule", "val_split", "patience", "image_size", "limit", "out", "seed"]  # fmt: skip
    options = {k: getattr(args, k) for k in keys}
    options["augment"] = args.augment
    options["no_test"] = args.no_test
    train(options, resume=args.resume, progress=not args.no_progress)
    return 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    from hosila.data.sources import DATA_SETS

    p = sub.add_parser(
        "evaluate",
        help="accuracy of a trained model on a data set",
        description="Load a model (a run folder or a .safetensors checkpoint written by "
        "'hosila train'), prepare the images exactly as in training and print its "
        "accuracy, top-5 accuracy, loss and per-class accuracy.",
    )
    p.add_argument("checkpoint", metavar="RUN_OR_CHECKPOINT", help="run folder or checkpoint")
    p.add_argument("--data", choices=DATA_SETS, help="the data set (default: the one trained on)")
    p.add_argument("--root", metavar="DIR", help="where the data set's files are")
    p.add_argument("--split", choices=["test", "train"], default="test", help="which part (test)")
    p.add_argument(
        "--batch-size", type=_positive_int, default=256, metavar="N", help="images per batch (256)"
    )
    p.add_argument("--limit", type=_positive_int, metavar="N", help="only the first N images")
    p.add_argument(
        "--out", metavar="DIR", help="also write evaluation.json, confusion.png, predictions.png"
    )
    p.set_defaults(func=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    from hosila.train.run import evaluate

    r = evaluate(
        args.checkpoint, args.data, args.root, split=args.split, batch_size=args.batch_size,
        out=args.out, limit=args.limit,
    )  # fmt: skip
    print(f"checkpoint {r['checkpoint']}")
    print(
        f"accuracy {r['test_acc']:.4f}  top-5 {r['test_top5']:.4f}  loss {r['test_loss']:.4f}  "
        f"({r['test_n']} images)"
    )
    width = max(len(c) for c in r["per_class_acc"])
    for name, acc in r["per_class_acc"].items():
        print(f"  {name:<{width}}  {acc:.4f}")
    return 0


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="classify image files with a trained model (top-5 classes)",
        description="Decode each image with Pillow, prepare it as in training (the mode, "
        "size, mean and std stored in the checkpoint) and print the most likely classes "
        "with their probabilities.",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="run folder or checkpoint file")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files (any Pillow format)")
    p.add_argument("--top", type=_positive_int, default=5, metavar="K", help="classes shown (5)")
    p.set_defaults(func=_run_predict)


def _run_predict(args: argparse.Namespace) -> int:
    from hosila.train.run import predict

    for path, ranked in zip(
        args.images, predict(args.checkpoint, args.images, args.top), strict=True
    ):
        print(path)
        for name, prob in ranked:
            print(f"  {prob:7.2%}  {name}")
    return 0


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
