"""examples/regularization.py runs (shortened): every variant learns, the checkpoint reloads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "regularization.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("regularization_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", ["plain", "l2", "dropout", "batchnorm"])
def test_every_variant_learns(example, variant):
    model, losses = example.train(variant, 3)
    assert losses[-1] < losses[0]
    assert example.accuracy(model, example.X_TEST, example.Y_TEST) > 0.5
    assert model.training  # accuracy() restores training mode


def test_variants_start_from_the_same_weights_and_checkpoint_reloads(example):
    a, b = example.make_model("plain"), example.make_model("dropout")
    assert (a[0].weight.data == b[0].weight.data).all()
    model, _ = example.train("batchnorm", 1)
    assert model[1].num_batches_tracked.item() > 0
    assert example.checkpoint_round_trip(model)
