"""`hosila demo moons` end to end, into a temporary folder."""

from __future__ import annotations

import io
import sys

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
    # stdout is not a terminal here: no progress bar, no carriage returns
    assert "\r" not in printed.err + printed.out and "acc=" not in printed.err
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


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_without_no_progress(tmp_path, monkeypatch):
    out, err = _Terminal(), _Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["demo", "moons", "--out", str(tmp_path / "a"), "--steps", "2"]) == 0
    assert "acc=" in err.getvalue() and "\r" in err.getvalue()  # the bar, on a terminal
    err.seek(0)
    err.truncate()
    args = ["demo", "moons", "--out", str(tmp_path / "b"), "--steps", "2", "--no-progress"]
    assert main(args) == 0
    assert err.getvalue() == "" and "training accuracy" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "0"], "argument --steps/--epochs: expected a positive integer"),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0"),
    ],
)
def test_bad_values_are_one_line_errors(capsys, args, message):
    with pytest.raises(SystemExit):
        main(["demo", "moons", *args])
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_out_that_is_a_file_is_refused_before_training(tmp_path, capsys):
    file = tmp_path / "file"
    file.write_text("x")
    for out, message in ((file, "is an existing file"), (file / "sub", "lies under the file")):
        with pytest.raises(SystemExit):
            main(["demo", "moons", "--out", str(out)])
        printed = capsys.readouterr()
        assert message in printed.err and printed.out == ""


def test_train_moons_refuses_zero_steps():
    with pytest.raises(ValueError, match="steps must be >= 1"):
        train_moons(steps=0)
