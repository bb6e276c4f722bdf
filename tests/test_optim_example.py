"""The optimizer example runs (shortened) and its checkpoint/resume check holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "optimizers.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("optimizers_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_optimizer_lowers_the_loss(example):
    for name, make in example.OPTIMIZERS.items():
        losses, acc = example.train(make, 15)
        assert losses[-1] < losses[0], name
        assert 0.0 <= acc <= 1.0


def test_checkpoint_demo_resumes_identically(example, capsys):
    example.checkpoint_demo(12)
    assert "identical to the uninterrupted run: True" in capsys.readouterr().out
