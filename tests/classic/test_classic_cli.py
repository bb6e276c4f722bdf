"""`hosila knn` and `hosila linear` end to end on tiny data."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hosila.cli import main

NAMES = [
    b"airplane",
    b"automobile",
    b"bird",
    b"cat",
    b"deer",
    b"dog",
    b"frog",
    b"horse",
    b"ship",
    b"truck",
]


def _write_cifar10(root: Path, n=20, seed=0) -> Path:
    """A tiny CIFAR-10 in the official python format: each class has its own colour, so the
    classifiers can learn it."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (10, 3))
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, n)
        img = colours[labels][:, :, None, None] + rng.integers(-20, 21, (n, 3, 32, 32))
        data = np.clip(img, 0, 255).astype(np.uint8).reshape(n, 3072)
        batch = {
            b"batch_label": b"b",
            b"data": data,
            b"labels": [int(v) for v in labels],
            b"filenames": [b"x.png"] * n,
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {b"label_names": NAMES, b"num_cases_per_batch": n}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return root


def _acc(out: str) -> float:
    return float(re.search(r"test accuracy(?: \(k = \d+\))?: ([0-9.]+)", out).group(1))


def test_knn_digits_with_cross_validation(tmp_path, capsys):
    args = [
        "knn",
        "--data",
        "digits",
        "--train-size",
        "300",
        "--test-size",
        "60",
        "--k",
        "1,3,5",
        "--cv",
        "3",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "300 training / 60 test images, 64 values each" in out
    assert "3-fold cross-validation" in out and "best k by cross-validation" in out
    assert _acc(out) > 0.85
    assert (tmp_path / "knn_cv_l2.png").read_bytes()[:4] == b"\x89PNG"


def test_knn_official_cifar_format(tmp_path, capsys):
    root = _write_cifar10(tmp_path / "c")
    assert (
        main(
            [
                "knn",
                "--data",
                "cifar10",
                "--root",
                str(root),
                "--k",
                "1,2",
                "--cv",
                "0",
                "--metric",
                "l1",
                "--test-size",
                "15",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "100 training / 15 test images, 3072 values each; metric l1" in out
    assert out.count("test accuracy") == 2 and _acc(out) == 1.0


def test_knn_folder_layout_takes_classes_round_robin(tmp_path, capsys):
    for part in ("train", "test"):
        for c, name in enumerate(["cat", "dog", "emu"]):
            (tmp_path / part / name).mkdir(parents=True)
            for i in range(4):
                Image.fromarray(np.full((4, 4, 3), 60 * c + i, np.uint8)).save(
                    tmp_path / part / name / f"{i}.png"
                )
    assert (
        main(
            [
                "knn",
                "--data",
                "folder",
                "--root",
                str(tmp_path),
                "--train-size",
                "6",
                "--test-size",
                "3",
                "--cv",
                "0",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    # with the class order kept, 6 training images would be only cats and dogs
    assert "6 training / 3 test images" in out and _acc(out) == 1.0


@pytest.mark.parametrize("loss", ["svm", "softmax"])
def test_linear_raw_on_official_cifar_writes_templates(tmp_path, capsys, loss):
    root = _write_cifar10(tmp_path / "c", n=40)
    assert (
        main(
            [
                "linear",
                "--data",
                "cifar10",
                "--root",
                str(root),
                "--loss",
                loss,
                "--val-size",
                "40",
                "--num-iters",
                "60",
                "--search",
                "2",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "160 train / 40 validation / 40 test" in out
    assert _acc(out) > 0.8
    assert (tmp_path / f"{loss}_templates.png").read_bytes()[:4] == b"\x89PNG"


def test_linear_hog_color_and_two_layer_on_digits(capsys):
    assert (
        main(
            [
                "linear",
                "--data",
                "digits",
                "--features",
                "hog+color",
                "--val-size",
                "200",
                "--num-iters",
                "200",
                "--lr",
                "0.01",
                "--reg",
                "0.001",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "features hog+color (36 values)" in out and _acc(out) > 0.6
    assert (
        main(
            [
                "linear",
                "--data",
                "digits",
                "--features",
                "hog+color",
                "--val-size",
                "200",
                "--hidden",
                "32",
                "--epochs",
                "8",
                "--lr",
                "0.01",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "two-layer net (32 hidden" in out and _acc(out) > 0.6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["knn", "--data", "digits", "--k", "1,x"], "--k must be a comma-separated list"),
        (["knn", "--data", "digits", "--k", "0"], "--k must be a comma-separated list"),
        (["knn", "--data", "digits", "--k", "5000", "--cv", "0"], "--k 5000 is larger"),
        (["knn", "--data", "digits", "--cv", "1"], "--cv must be 0"),
        (["knn", "--data", "digits", "--train-size", "0"], "--train-size must be between"),
        (["knn", "--data", "cifar10"], "--data cifar10 needs --root DIR"),
        (["linear", "--data", "digits", "--num-iters", "0"], "--num-iters must be >= 1"),
        (["linear", "--data", "digits", "--search", "-1"], "--search must be >= 0"),
        (["linear", "--data", "digits", "--val-size", "5000"], "--val-size must be between"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hosila {args[0]}: error:") and message in err
    assert err.count("\n") == 1


def test_missing_folder_is_one_line_error(tmp_path, capsys):
    assert main(["knn", "--data", "folder", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "ROOT/train and ROOT/test" in err and err.count("\n") == 1


def test_unknown_choice_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["knn", "--metric", "cosine"])
    assert "invalid choice: 'cosine'" in capsys.readouterr().err
