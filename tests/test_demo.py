"""`hosila demo moons` end to end, into a temporary folder."""

from __future__ import annotations

import pytest

from hosila.cli import main
from hosila.demo import lecture_neuron, train_moons


def test_demo_moons_reaches_100_percent_and_writes_files(tmp_path, capsys):
    out = tmp_path / "moons"
    assert main(["demo", "moons", "--out", str(out), "--seed", "0"]) == 0
    printed = capsys.readouterr()
    assert "training accuracy 100%" in printed.out
    png = out / "decision_boundary.png"
    svg = out / "neuron.svg"
    assert f"wrote {png}" in printed.out and f"wrote {svg}" in printed.out
    assert png.read_bytes().startswith(b"\x89PNG")
    text = svg.read_text()
    assert "<svg" in text and "x1" in text and "tanh" in text
    assert "acc=" in printed.err and "loss=" in printed.err  # the progress bar
    assert sorted(p.name for p in out.iterdir()) == ["decision_boundary.png", "neuron.svg"]


def test_training_history():
    result = train_moons(steps=20, seed=0, progress=False)
    assert len(result.losses) == len(result.accuracies) == 20
    assert result.losses[-1] < result.losses[0] / 3
    assert result.accuracies[-1] > 0.8
    assert len(result.model.parameters()) == 337
    assert result.X.shape == (100, 2) and sorted(set(result.y.tolist())) == [-1.0, 1.0]


def test_demo_without_dot_writes_dot_text(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "moons"
    assert main(["demo", "moons", "--out", str(out), "--steps", "2"]) == 0
    printed = capsys.readouterr().out
    assert "apt-get install graphviz" in printed
    assert (out / "neuron.dot").read_text().startswith("digraph")
    assert (out / "decision_boundary.png").exists()


def test_lecture_neuron_gradients():
    o = lecture_neuron()
    assert o.data == pytest.approx(0.7071, abs=1e-4) and o.label == "o"


def test_bad_steps(capsys):
    assert main(["demo", "moons", "--steps", "0"]) == 2
    assert "steps must be >= 1" in capsys.readouterr().err
