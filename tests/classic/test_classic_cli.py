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


def _write_tree(root: Path, names=("cat", "dog", "emu"), per_class=4, ext="png") -> Path:
    """ROOT/{train,test}/<class>/*: each class a flat colour (the CIFAR-10 JPEG layout)."""
    for part in ("train", "test"):
        for c, name in enumerate(names):
            (root / part / name).mkdir(parents=True)
            for i in range(per_class):
                Image.fromarray(np.full((4, 4, 3), 25 * c + i, np.uint8)).save(
                    root / part / name / f"{i:04d}.{ext}"
                )
    return root


def test_knn_folder_layout_takes_a_stratified_subset(tmp_path, capsys):
    _write_tree(tmp_path)
    args = ["knn", "--data", "folder", "--root", str(tmp_path), "--train-size", "6"]
    assert main([*args, "--test-size", "3"]) == 0
    out = capsys.readouterr().out
    # the first 6 images of a class-sorted folder would be cats and dogs only
    assert "6 training / 3 test images" in out and _acc(out) == 1.0


def test_subsets_are_seeded_class_stratified_not_the_first_files(tmp_path):
    from hosila.classic._data import load_splits

    root = _write_cifar10(tmp_path / "c", n=40)
    train, test = load_splits("cifar10", str(root), 100, 20, seed=0)
    counts = np.bincount(train.labels, minlength=10)
    full, _ = load_splits("cifar10", str(root), None, None)
    expected = np.bincount(full.labels, minlength=10) * 100 / 200
    assert np.all(np.abs(counts - expected) < 1)  # every class in proportion
    first = full.images[:100]
    assert not np.array_equal(train.images, first)  # not the first 100 in file order
    again, _ = load_splits("cifar10", str(root), 100, 20, seed=0)
    other, _ = load_splits("cifar10", str(root), 100, 20, seed=1)
    assert np.array_equal(again.images, train.images)
    assert not np.array_equal(other.images, train.images)
    assert len(test.labels) == 20


def test_knn_and_linear_read_the_cifar10_jpeg_copy(tmp_path, capsys):
    names = [n.decode() for n in NAMES]
    root = _write_tree(tmp_path / "jpg", names=names, per_class=3, ext="jpg")
    assert main(["knn", "--data", "cifar10", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "30 training / 30 test images, 48 values each" in out and _acc(out) == 1.0
    args = ["linear", "--data", "cifar10", "--root", str(root), "--val-size", "0.2"]
    assert main([*args, "--num-iters", "30"]) == 0
    assert "24 train / 6 validation / 30 test" in capsys.readouterr().out


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
        (["knn", "--data", "digits", "--k", "1,3", "--cv", "1"], "--cv must be 0"),
        (["knn", "--data", "digits", "--test-size", "5000"], "--test-size must be between"),
        (["knn", "--data", "digits", "--root", "x"], "--root is not used by --data digits"),
        (["knn", "--data", "digits", "--k", "3", "--cv", "5"], "chooses k among several"),
        (["knn", "--data", "digits", "--k", "3", "--out", "o"], "--out writes the cross-valid"),
        (["knn", "--data", "digits", "--k", "1,3", "--cv", "0", "--out", "o"], "--out writes"),
        (["linear", "--data", "digits", "--val-size", "5000"], "--val-size must leave"),
        (["linear", "--data", "digits", "--root", "x"], "--root is not used by --data digits"),
        (["linear", "--data", "digits", "--search", "2", "--lr", "0.1"], "give one or the other"),
        (["linear", "--data", "digits", "--search", "2", "--reg", "0"], "give one or the other"),
        (["linear", "--data", "digits", "--epochs", "3"], "--epochs is for the two-layer net"),
        (["linear", "--data", "digits", "--hidden", "8", "--loss", "svm"], "--loss is for the"),
        (["linear", "--data", "digits", "--hidden", "8", "--search", "2"], "--search is for the"),
        (["linear", "--data", "digits", "--hidden", "8", "--num-iters", "9"], "--num-iters is"),
        (["linear", "--data", "digits", "--hidden", "8", "--out", "o"], "not with --hidden"),
        (["linear", "--data", "digits", "--features", "hog+color", "--out", "o"], "--out writes"),
        (["linear", "--data", "digits", "--progress"], "--progress shows the feature"),
    ],
)
def test_bad_options_are_one_line_errors(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hosila {args[0]}: error:") and message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["knn", "--train-size", "0"], "argument --train-size: expected a positive integer"),
        (["knn", "--seed", "-1"], "argument --seed: expected an integer >= 0"),
        (["knn", "--cv", "-2"], "argument --cv: expected an integer >= 0"),
        (["knn", "--max-memory", "0"], "argument --max-memory: expected a finite number > 0"),
        (["linear", "--seed", "-3"], "argument --seed: expected an integer >= 0"),
        (["linear", "--num-iters", "0"], "argument --num-iters: expected a positive integer"),
        (["linear", "--search", "-1"], "argument --search: expected an integer >= 0"),
        (["linear", "--val-size", "1.5"], "argument --val-size: expected a count or a fraction"),
        (["linear", "--lr", "-1"], "argument --lr: expected a finite number > 0"),
        (["linear", "--hidden", "0"], "argument --hidden: expected a positive integer"),
    ],
)
def test_bad_values_are_refused_by_the_parser(capsys, args, message):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hosila {args[0]}: error:") and message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("command", ["knn", "linear"])
def test_out_that_is_a_file_or_under_a_file_is_refused_before_work(tmp_path, capsys, command):
    file = tmp_path / "taken"
    file.write_text("not a folder")
    for out, message in ((file, "is an existing file"), (file / "sub", "lies under the file")):
        with pytest.raises(SystemExit):
            main([command, "--data", "digits", "--out", str(out)])
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
        assert "data:" not in capsys.readouterr().out  # no work started


def test_linear_digits_defaults_use_most_images_and_beat_the_old_ones(capsys):
    for loss, floor in (("svm", 0.93), ("softmax", 0.93)):
        assert main(["linear", "--data", "digits", "--loss", loss]) == 0
        out = capsys.readouterr().out
        # the old fixed --val-size 1000 left 438 of the 1 438 training images
        assert "1294 train / 144 validation / 359 test" in out
        assert _acc(out) > floor, out


def test_wrong_root_describes_both_layouts_and_the_options(tmp_path, capsys):
    for command in ("knn", "linear"):
        assert main([command, "--data", "cifar10", "--root", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"hosila {command}: error: --root {tmp_path}")
        for part in ("cifar-10-batches-py", "cifar-10-python.tar.gz", "train/<class>",
                     "test/<class>", "--root DIR", "--download"):  # fmt: skip
            assert part in err
        assert "CIFAR10(" not in err and err.count("\n") == 1


def test_missing_folder_is_one_line_error(tmp_path, capsys):
    assert main(["knn", "--data", "folder", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no class sub-folders" in err and f"{tmp_path}/train/<class>/*" in err
    assert "ImageFolder(" not in err and err.count("\n") == 1
    (tmp_path / "cat").mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "cat" / "0.png")
    assert main(["knn", "--data", "folder", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no test part" in err and "ROOT/test/<class>/*" in err and err.count("\n") == 1


def test_unknown_choice_is_rejected_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["knn", "--metric", "cosine"])
    assert "invalid choice: 'cosine'" in capsys.readouterr().err
