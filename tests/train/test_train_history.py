"""History files and plots."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from hosila.train import History, plot_confusion_matrix, plot_history, plot_predictions

PNG = b"\x89PNG\r\n\x1a\n"


def _history():
    h = History()
    for e in range(1, 4):
        h.append({"epoch": e, "train_loss": 1.0 / e, "train_acc": 0.5 + 0.1 * e,
                  "val_loss": 1.2 / e, "val_acc": 0.4 + 0.1 * e, "lr": 0.1})  # fmt: skip
    return h


def test_history_json_and_csv_round_trip(tmp_path):
    h = _history()
    h.save(tmp_path)
    assert History.load(tmp_path / "history.json").records == h.records
    assert json.loads((tmp_path / "history.json").read_text())[2]["val_acc"] == pytest.approx(0.7)
    with open(tmp_path / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[1]["train_loss"]) == 0.5
    assert h["val_acc"] == pytest.approx([0.5, 0.6, 0.7])
    assert h.best("val_loss", "min")["epoch"] == 3
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_history_errors(tmp_path):
    with pytest.raises(KeyError, match="nope"):
        _history()["nope"]
    (tmp_path / "bad.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a history file"):
        History.load(tmp_path / "bad.json")


def test_plots_are_png_files(tmp_path):
    plot_history(_history(), tmp_path / "curves.png")
    plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["a", "b"], tmp_path / "cm.png")
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    plot_predictions(imgs, [0, 1, 1, 0, 1], [0, 1, 0, 0, 1], ["a", "b"], tmp_path / "p.png", 3)
    plot_predictions(imgs[..., 0], [0] * 5, [1] * 5, ["a", "b"], tmp_path / "g.png")
    for name in ("curves.png", "cm.png", "p.png", "g.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 1000


def test_plot_errors(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        plot_history(History(), tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"\(C, C\)"):
        plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"], tmp_path / "x.png")
    with pytest.raises(ValueError, match="N labels"):
        plot_predictions(np.zeros((2, 4, 4)), [0], [0, 1], ["a", "b"], tmp_path / "x.png")
