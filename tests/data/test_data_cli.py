"""The `hosila data` command."""

from __future__ import annotations

import numpy as np
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
    assert main(["data", "cifar10"]) == 2
    assert "needs the data folder" in capsys.readouterr().err
