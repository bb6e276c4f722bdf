"""What PyTorch raises or warns for in its losses, hosila raises or warns for too: binary
cross-entropy outside [0, 1], and targets whose size differs from the input's (broadcast)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import hosila
from hosila import nn
from hosila.nn import functional as F


def outcome(fn):
    """(exception or None, value or None, [(warning class, message)]) of calling ``fn``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - the exception is what is compared
            return exc, None, [(w.category, str(w.message)) for w in caught]
    return None, float(value.sum().item()), [(w.category, str(w.message)) for w in caught]


# ---- binary cross-entropy on values outside [0, 1] -------------------------------------------

BAD = [
    ("target", [0.5, 0.5, 0.5], [2.0, 0.0, 1.0]),
    ("target", [0.5, 0.5, 0.5], [-1.0, 0.0, 1.0]),
    ("target", [0.5, 0.5, 0.5], [float("nan"), 0.0, 1.0]),
    ("input", [2.0, 0.5, 0.5], [1.0, 0.0, 1.0]),
    ("input", [float("nan"), 0.5, 0.5], [1.0, 0.0, 1.0]),
    ("input", [-1e-7, 0.5, 0.5], [1.0, 0.0, 1.0]),
]


@pytest.mark.parametrize("module", [False, True])
@pytest.mark.parametrize(("which", "x", "t"), BAD)
def test_bce_out_of_range_raises_as_torch(which, x, t, module):
    def call(lib):
        xx, tt = lib.tensor(x), lib.tensor(t)
        if module:
            return (nn.BCELoss if lib is hosila else torch.nn.BCELoss)()(xx, tt)
        return (F if lib is hosila else torch.nn.functional).binary_cross_entropy(xx, tt)

    t_exc, _, _ = outcome(lambda: call(torch))
    h_exc, _, _ = outcome(lambda: call(hosila))
    assert t_exc is not None and h_exc is not None
    assert isinstance(h_exc, type(t_exc))  # RuntimeError, as PyTorch
    assert isinstance(h_exc, ValueError)  # and hosila's type for bad arguments
    gist = f"all elements of {which} should be between 0 and 1"
    assert gist in str(t_exc) and gist in str(h_exc)
    assert "binary_cross_entropy" in str(h_exc)


def test_bce_edges_of_the_range_are_fine():
    x, t = [0.0, 1.0, 0.5], [0.0, 1.0, 1.0]
    t_exc, t_val, _ = outcome(
        lambda: torch.nn.functional.binary_cross_entropy(torch.tensor(x), torch.tensor(t))
    )
    h_exc, h_val, _ = outcome(lambda: F.binary_cross_entropy(hosila.tensor(x), hosila.tensor(t)))
    assert t_exc is None and h_exc is None
    np.testing.assert_allclose(h_val, t_val, rtol=1e-6)


# ---- size warnings ---------------------------------------------------------------------------

LOSSES = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"]
SHAPES = [((4, 1), (4,)), ((4,), (4, 1)), ((4,), ()), ((2, 3), (3,)), ((4,), (4,))]


@pytest.mark.parametrize(("xs", "ts"), SHAPES)
@pytest.mark.parametrize("name", LOSSES)
def test_size_warnings_match_torch(name, xs, ts):
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal(xs), rng.uniform(0.1, 1, ts)
    kw = {"reduction": "sum"}

    def call(lib):
        f = getattr(F if lib is hosila else torch.nn.functional, name)
        return f(lib.tensor(x), lib.tensor(t), **kw)

    t_exc, t_val, t_warn = outcome(lambda: call(torch))
    h_exc, h_val, h_warn = outcome(lambda: call(hosila))
    assert t_exc is None and h_exc is None
    np.testing.assert_allclose(h_val, t_val, rtol=1e-10)
    t_size = [m for c, m in t_warn if "Using a target size" in m]
    h_size = [m for c, m in h_warn if "Using a target size" in m]
    assert len(h_size) == len(t_size)
    assert all(c is UserWarning for c, _ in h_warn) and len(h_warn) == len(t_warn)
    for m in h_size:
        assert m.startswith(f"{name}: Using a target size ({ts})")
        assert f"different to the input size ({xs})" in m


@pytest.mark.parametrize(
    ("h_mod", "t_mod"),
    [
        (nn.MSELoss, torch.nn.MSELoss),
        (nn.L1Loss, torch.nn.L1Loss),
        (nn.SmoothL1Loss, torch.nn.SmoothL1Loss),
        (nn.HuberLoss, torch.nn.HuberLoss),
    ],
)
def test_loss_modules_warn_on_a_column_prediction(h_mod, t_mod):
    """The classic slip: a (N, 1) regression output against a (N,) target."""
    x, t = np.arange(4.0).reshape(4, 1), np.arange(4.0)
    _, t_val, t_warn = outcome(lambda: t_mod()(torch.tensor(x), torch.tensor(t)))
    _, h_val, h_warn = outcome(lambda: h_mod()(hosila.tensor(x), hosila.tensor(t)))
    assert len(t_warn) == 1 and len(h_warn) == 1
    assert h_warn[0][0] is UserWarning and "(4,)" in h_warn[0][1] and "(4, 1)" in h_warn[0][1]
    np.testing.assert_allclose(h_val, t_val)


def test_size_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="Using a target size") as record:
        F.mse_loss(hosila.zeros(4, 1), hosila.zeros(4))
    assert record[0].filename == __file__


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
def test_kl_div_mean_warning_matches_torch(reduction):
    x, t = np.log(np.full((2, 3), 1 / 3)), np.full((2, 3), 1 / 3)
    _, _, t_warn = outcome(
        lambda: torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(t), reduction=reduction)
    )
    _, _, h_warn = outcome(
        lambda: F.kl_div(hosila.tensor(x), hosila.tensor(t), reduction=reduction)
    )
    assert [m for _, m in h_warn] == [m for _, m in t_warn]
    assert (len(h_warn) == 1) == (reduction == "mean")
