"""The `hosila data` command."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from hosila.cli import main


def test_data_digits(capsys):
    assert main(["data", "digits", "--test"]) == 0
    out = capsys.readouterr().out
    assert "Digits: 359 examples, 10 classes" in out
    assert "uint8 (359, 8, 8), values 0..16" in out


def test_data_folder_builds_then_reads_cache(tmp_path, capsys):
    for name in ["cat", "dog"]:
        (tmp_path / "imgs" / name).mkdir(parents=True)
        for k in range(2):
            Image.fromarray(np.full((4, 4, 3), 40 * k, np.uint8)).save(
                tmp_path / "imgs" / name / f"{k}.png"
            )
    args = ["data", "folder", str(tmp_path / "imgs"), "--cache-dir", str(tmp_path / "c")]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert "ImageFolder: 4 examples, 2 classes" in first and "(written)" in first
    assert main(args) == 0
    assert "(read)" in capsys.readouterr().out


def test_data_errors_are_one_line(tmp_path, capsys):
    assert main(["data", "mnist", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hosila data: error:") and "train-images-idx3-ubyte" in err
    assert "--download" in err and "MNIST(" not in err and err.count("\n") == 1
    assert main(["data", "mnist"]) == 2
    assert "needs the data folder" in capsys.readouterr().err


def _tree(root, parts=("train", "test"), names=("cat", "dog"), per_class=(3, 2)):
    for part, n in zip(parts, per_class, strict=True):
        for c, name in enumerate(names):
            (root / part / name).mkdir(parents=True)
            for k in range(n):
                Image.fromarray(np.full((4, 4, 3), 60 * c + k, np.uint8)).save(
                    root / part / name / f"{k}.jpg"
                )
    return root


def test_data_folder_with_train_and_test_describes_one_part_with_its_classes(tmp_path, capsys):
    root = _tree(tmp_path / "jpg")
    cache = ["--cache-dir", str(tmp_path / "c")]
    assert main(["data", "folder", str(root), *cache]) == 0
    out = capsys.readouterr().out
    # not two classes called train and test
    assert "ImageFolder: 6 examples, 2 classes" in out and "part    training" in out
    assert "cat  3" in out and "dog  3" in out and "train  " not in out
    assert main(["data", "folder", str(root), "--test", *cache]) == 0
    out = capsys.readouterr().out
    assert "ImageFolder: 4 examples, 2 classes" in out and "part    test" in out


def test_data_cifar10_reads_the_jpeg_copy(tmp_path, capsys):
    root = _tree(tmp_path / "jpg", names=("airplane", "automobile"))
    assert main(["data", "cifar10", str(root), "--test", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "ImageFolder: 4 examples, 2 classes" in out and "airplane    2" in out
    assert "cache" not in out.replace("--no-cache", "")


def test_data_wrong_cifar_root_names_both_layouts(tmp_path, capsys):
    assert main(["data", "cifar10", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    for part in ("cifar-10-batches-py", "cifar-10-python.tar.gz", "train/<class>", "--download"):
        assert part in err
    assert "CIFAR10(" not in err and err.count("\n") == 1


def test_data_plain_folder_has_no_test_part(tmp_path, capsys):
    root = _tree(tmp_path, parts=("imgs",), per_class=(1,)) / "imgs"
    assert main(["data", "folder", str(root), "--test", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "--test:" in err and "has no test part" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["digits", "some/root"], "takes no ROOT"),
        (["folder", "x", "--download"], "--download fetches official files"),
        (["digits", "--download"], "--download fetches official files"),
        (["digits", "--no-cache"], "apply to image folders"),
        (["mnist", "x", "--no-cache"], "apply to image folders"),
        (["folder", "x", "--no-cache", "--cache-dir", "c"], "--no-cache that there is none"),
    ],
)
def test_data_ignored_arguments_are_refused(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["data", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hosila data: error:") and message in err and err.count("\n") == 1


def test_data_cache_dir_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    with pytest.raises(SystemExit):
        main(["data", "folder", str(tmp_path), "--cache-dir", str(tmp_path / "f" / "c")])
    assert "lies under the file" in capsys.readouterr().err
