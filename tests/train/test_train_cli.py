"""`hosila train`, `hosila evaluate`, `hosila predict` end to end on tiny data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import hosila
from hosila.cli import main
from hosila.train.callbacks import Checkpoint

QUICK = ["--data", "digits", "--model", "twolayer", "--limit", "200", "--batch-size", "32",
         "--no-progress"]  # fmt: skip
RUN_FILES = set(
    "config.json checkpoint.safetensors best.safetensors model.safetensors history.json "
    "history.csv curves.png "
    "confusion.png predictions.png results.json".split()
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Image-folder caches of these tests go to a temporary folder, not ~/.cache."""
    monkeypatch.setenv("HOSILA_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert main(["train", *QUICK, "--epochs", "2", "--out", str(out)]) == 0
    return out


def test_train_writes_a_run_folder(digits_run, capsys):
    assert RUN_FILES <= {p.name for p in digits_run.iterdir()}
    results = json.loads((digits_run / "results.json").read_text())
    assert results["test_n"] == 200 and 0.5 < results["test_acc"] <= 1
    history = json.loads((digits_run / "history.json").read_text())
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["train_loss"] < history[0]["train_loss"]
    config = json.loads((digits_run / "config.json").read_text())
    assert config["model"] == "twolayer" and config["preprocessing"]["size"] == [8, 8]
    assert len(config["preprocessing"]["mean"]) == 1


def test_model_file_loads_into_the_pytorch_twin(digits_run):
    import torch
    from safetensors.torch import load_file

    from hosila.models import get_model
    from hosila.train.run import load_checkpoint

    model, config, _ = load_checkpoint(digits_run)
    twin = get_model(config["model"], 1, 10, (8, 8), nn=torch.nn)
    twin.load_state_dict(load_file(digits_run / "model.safetensors"))
    twin.eval()
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        want = twin(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(hosila.tensor(x)).data, want, rtol=1e-5, atol=1e-5)


def _weights(path):
    model = hosila.load(path)["model"]
    return {k: v.data for k, v in model.items()}


def test_killed_run_resumed_matches_an_uninterrupted_one(tmp_path, monkeypatch, capsys):
    args = [*QUICK, "--limit", "64", "--model", "smallcnn", "--epochs", "3", "--augment",
            "--schedule", "cosine"]  # fmt: skip
    assert main(["train", *args, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "epoch 3/3 | train loss" in out and "img/s" in out
    assert "test accuracy" in out and "run folder" in out

    save = Checkpoint.on_epoch_end

    def killed_after_epoch_2(self, trainer, record):
        save(self, trainer, record)
        if record["epoch"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "on_epoch_end", killed_after_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        main(["train", *args, "--out", str(tmp_path / "b")])
    monkeypatch.undo()
    assert hosila.load(tmp_path / "b" / "checkpoint.safetensors")["epoch"] == 2
    assert main(["train", "--resume", "--out", str(tmp_path / "b"), "--no-progress"]) == 0
    want = _weights(tmp_path / "a" / "checkpoint.safetensors")
    got = _weights(tmp_path / "b" / "checkpoint.safetensors")
    assert list(want) == list(got)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    ra = json.loads((tmp_path / "a" / "results.json").read_text())
    rb = json.loads((tmp_path / "b" / "results.json").read_text())
    assert ra["test_acc"] == rb["test_acc"]


def test_no_test_leaves_the_test_set_alone(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", *QUICK, "--limit", "64", "--epochs", "1", "--no-test", "--out",
                 str(out)]) == 0  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert "test_acc" not in results and results["epochs_run"] == 1
    assert not (out / "confusion.png").exists() and "test accuracy" not in capsys.readouterr().out


def test_evaluate_a_run_folder(digits_run, capsys):
    assert main(["evaluate", str(digits_run), "--limit", "200"]) == 0
    out = capsys.readouterr().out
    results = json.loads((digits_run / "results.json").read_text())
    assert f"accuracy {results['test_acc']:.4f}" in out
    assert "top-5" in out and "(200 images)" in out


def _digit_tree(root, digits=(0, 1, 7)):
    """A folder per class holding 8x8 grey PNGs made from Digits test images."""
    ds = hosila.data.Digits(train=False)
    paths = []
    for c in digits:
        (root / str(c)).mkdir(parents=True)
        for k, i in enumerate(np.flatnonzero(ds.targets == c)[:3]):
            img = (ds.data[i].astype(np.uint16) * 255 // 16).astype(np.uint8)
            path = root / str(c) / f"{k}.png"
            Image.fromarray(img, mode="L").save(path)
            paths.append(path)
    return paths


def test_evaluate_and_predict_on_image_files(digits_run, tmp_path, capsys):
    paths = _digit_tree(tmp_path / "tree")
    assert main(["evaluate", str(digits_run / "best.safetensors"), "--data", "folder",
                 "--root", str(tmp_path / "tree"), "--out", str(tmp_path / "ev")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "(9 images)" in out
    assert (tmp_path / "ev" / "confusion.png").is_file()
    assert json.loads((tmp_path / "ev" / "evaluation.json").read_text())["test_n"] == 9

    assert main(["predict", str(digits_run), str(paths[0]), str(paths[-1])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(paths[0]) and lines[6] == str(paths[-1])
    probs = [float(line.split("%")[0]) for line in lines[1:6]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 100.01
    assert len(lines) == 12


def test_train_on_an_image_folder_and_predict(tmp_path, capsys):
    """Red and blue 12x12 images in root/{train,test}/<class>/; the model tells them apart."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("test", 4)):
        for name, colour in (("blue", [0, 0, 200]), ("red", [200, 0, 0])):
            (tmp_path / "tree" / split / name).mkdir(parents=True)
            for k in range(n):
                noise = rng.integers(0, 50, size=(12, 12, 3))
                img = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(tmp_path / "tree" / split / name / f"{k}.png")
    out = tmp_path / "run"
    assert main(["train", "--data", "folder", "--root", str(tmp_path / "tree"), "--model",
                 "mlp", "--epochs", "3", "--batch-size", "8", "--lr", "0.01", "--val-split",
                 "4", "--no-progress", "--out", str(out)]) == 0  # fmt: skip
    assert json.loads((out / "results.json").read_text())["test_acc"] == 1.0
    big = Image.new("RGB", (40, 30), (220, 10, 10))  # another size: resized as in training
    big.save(tmp_path / "red.jpg")
    capsys.readouterr()
    assert main(["predict", str(out / "checkpoint.safetensors"), str(tmp_path / "red.jpg"),
                 "--top", "2"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].endswith("red") and len(lines) == 3


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "--data", "imagenet"], "argument --data: invalid choice"),
        (["train", "--epochs", "0"], "expected a positive integer, got '0'"),
        (["train", "--lr", "-1"], "expected a finite number > 0.0"),
        (["train", "--val-split", "x"], "expected a number"),
        (["train", "--model", "resnet"], "argument --model: invalid choice"),
        (["train", "--data", "folder"], "--data folder needs --root"),
        (["train", "--data", "mnist"], "--data mnist needs --root"),
        (["evaluate"], "the following arguments are required"),
        (["predict", "nowhere"], "the following arguments are required: IMAGE"),
    ],
)
def test_bad_options_are_one_line_errors(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_files_are_one_line_errors(digits_run, tmp_path, capsys):
    assert main(["train", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "no such checkpoint or run folder" in capsys.readouterr().err
    (tmp_path / "x.png").write_bytes(b"not an image")
    assert main(["predict", str(digits_run), str(tmp_path / "x.png")]) == 2
    assert "cannot decode the image" in capsys.readouterr().err
    hosila.save({"w": np.zeros(2)}, tmp_path / "w.safetensors")
    assert main(["evaluate", str(tmp_path / "w.safetensors")]) == 2
    assert "not a checkpoint written by hosila train" in capsys.readouterr().err
    assert main(["train", *QUICK, "--val-split", "200", "--out", str(tmp_path / "v")]) == 2
    assert "leaves no training images" in capsys.readouterr().err
