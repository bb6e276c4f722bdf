"""Where PyTorch refuses an input, hosila refuses it too, with a ValueError or TypeError
(PyTorch mostly raises RuntimeError) whose message names the op or layer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila

R = np.random.default_rng(0).standard_normal


def F(lib):
    return lib.nn.functional


FUNCTIONAL = {
    "cross_entropy float target of wrong shape": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0.0, 1, 2]))),
        "cross_entropy",
    ),
    "cross_entropy bool target": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([True, False, True]))),
        "cross_entropy",
    ),
    "cross_entropy target out of range": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0, 4, 2]))),
        "cross_entropy",
    ),
    "cross_entropy negative target": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0, -1, 2]))),
        "cross_entropy",
    ),
    "cross_entropy batch mismatch": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0, 1]))),
        "cross_entropy",
    ),
    "cross_entropy integer logits": (
        lambda L, t: F(L).cross_entropy(t(np.ones((3, 4), dtype=np.int64)), t(np.array([0, 1, 2]))),
        "cross_entropy",
    ),
    "cross_entropy label_smoothing > 1": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0, 1, 2])), label_smoothing=1.5),
        "cross_entropy",
    ),
    "cross_entropy bad reduction": (
        lambda L, t: F(L).cross_entropy(t(R((3, 4))), t(np.array([0, 1, 2])), reduction="avg"),
        "cross_entropy",
    ),
    "nll_loss target out of range": (
        lambda L, t: F(L).nll_loss(t(R((2, 3, 2))), t(np.array([[0, 3], [1, 1]]))),
        "nll_loss",
    ),
    "mse_loss shapes do not broadcast": (
        lambda L, t: F(L).mse_loss(t(R((3, 4))), t(R((3, 5)))),
        "mse_loss",
    ),
    "binary_cross_entropy input outside [0, 1]": (
        lambda L, t: F(L).binary_cross_entropy(t(np.array([1.5, 0.2])), t(np.array([1.0, 0]))),
        "binary_cross_entropy",
    ),
    "binary_cross_entropy target shape": (
        lambda L, t: F(L).binary_cross_entropy(t(np.array([0.5, 0.2])), t(np.array([[1.0, 0]]))),
        "binary_cross_entropy",
    ),
    "bce_with_logits target shape": (
        lambda L, t: F(L).binary_cross_entropy_with_logits(
            t(np.array([0.5, 0.2])), t(np.array([[1.0, 0]]))
        ),
        "binary_cross_entropy_with_logits",
    ),
    "multi_margin_loss p=3": (
        lambda L, t: F(L).multi_margin_loss(t(R((3, 4))), t(np.array([0, 1, 2])), p=3),
        "multi_margin_loss",
    ),
    "linear shape mismatch": (
        lambda L, t: F(L).linear(t(np.ones((2, 3))), t(np.ones((4, 5)))),
        "linear",
    ),
    "leaky_relu integer input": (
        lambda L, t: F(L).leaky_relu(t(np.array([-1, 2]))),
        "leaky_relu",
    ),
    "embedding index out of range": (
        lambda L, t: F(L).embedding(t(np.array([5])), t(np.ones((5, 2)))),
        "embedding",
    ),
    "embedding float indices": (
        lambda L, t: F(L).embedding(t(np.array([1.0])), t(np.ones((5, 2)))),
        "embedding",
    ),
    "one_hot float input": (lambda L, t: F(L).one_hot(t(np.array([1.0]))), "one_hot"),
    "one_hot class >= num_classes": (lambda L, t: F(L).one_hot(t(np.array([3])), 2), "one_hot"),
    "dropout p > 1": (lambda L, t: F(L).dropout(t(np.ones(3)), p=1.5), "dropout"),
    "layer_norm shape": (lambda L, t: F(L).layer_norm(t(np.ones((2, 3))), (4,)), "layer_norm"),
    "group_norm groups do not divide C": (
        lambda L, t: F(L).group_norm(t(np.ones((2, 3, 2))), 2),
        "group_norm",
    ),
    "batch_norm one value per channel": (
        lambda L, t: F(L).batch_norm(t(np.ones((1, 3))), None, None, training=True),
        "batch_norm",
    ),
    "pad odd length": (lambda L, t: F(L).pad(t(np.ones((2, 3))), (1,)), "pad"),
    "pad reflect too wide": (
        lambda L, t: F(L).pad(t(np.ones((1, 2, 3))), (3, 3), mode="reflect"),
        "pad",
    ),
    "conv2d channel mismatch": (
        lambda L, t: F(L).conv2d(t(np.ones((1, 3, 5, 5))), t(np.ones((2, 4, 3, 3)))),
        "conv2d",
    ),
    "max_pool2d kernel larger than input": (
        lambda L, t: F(L).max_pool2d(t(np.ones((1, 1, 2, 2))), 3),
        "max_pool2d",
    ),
    "max_pool2d padding over half the kernel": (
        lambda L, t: F(L).max_pool2d(t(np.ones((1, 1, 6, 6))), 2, padding=2),
        "max_pool2d",
    ),
}


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_refuses_like_torch(name):
    fn, op = FUNCTIONAL[name]
    with pytest.raises(Exception):  # noqa: B017 - PyTorch's own type varies (Runtime/Value/Index)
        fn(torch, torch.tensor)
    with pytest.raises((ValueError, TypeError)) as info:
        fn(hosila, hosila.tensor)
    assert op in str(info.value)


MODULES = {
    "Linear wrong in_features": (lambda nn, L: nn.Linear(3, 2)(L.ones(2, 4)), "Linear"),
    "Conv2d wrong channels": (lambda nn, L: nn.Conv2d(3, 2, 3)(L.ones(1, 4, 5, 5)), "Conv2d"),
    "BatchNorm2d on 3-D input": (lambda nn, L: nn.BatchNorm2d(3)(L.ones(2, 3, 5)), "BatchNorm2d"),
    "BatchNorm1d on 4-D input": (
        lambda nn, L: nn.BatchNorm1d(3)(L.ones(2, 3, 5, 5)),
        "BatchNorm1d",
    ),
    "BatchNorm1d wrong channels": (lambda nn, L: nn.BatchNorm1d(3)(L.ones(2, 4)), "BatchNorm1d"),
    "LayerNorm wrong trailing dims": (lambda nn, L: nn.LayerNorm(4)(L.ones(2, 3)), "LayerNorm"),
    "GroupNorm on 1-D input": (lambda nn, L: nn.GroupNorm(1, 3)(L.ones(3)), "GroupNorm"),
    "Linear negative features": (lambda nn, L: nn.Linear(-1, 2), "Linear"),
    "Conv2d groups do not divide": (lambda nn, L: nn.Conv2d(3, 4, 3, groups=2), "Conv2d"),
    "Conv2d same with stride": (lambda nn, L: nn.Conv2d(3, 4, 3, padding="same", stride=2), "same"),
    "Dropout p > 1": (lambda nn, L: nn.Dropout(2.0), "dropout"),
    "Embedding padding_idx out of range": (
        lambda nn, L: nn.Embedding(3, 2, padding_idx=3),
        "padding_idx",
    ),
    "GroupNorm groups do not divide": (lambda nn, L: nn.GroupNorm(3, 4), "GroupNorm"),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_layers_refuse_like_torch(name):
    fn, word = MODULES[name]
    with pytest.raises(Exception):  # noqa: B017
        fn(torch.nn, torch)
    with pytest.raises((ValueError, TypeError)) as info:
        fn(hosila.nn, hosila)
    assert word.lower() in str(info.value).lower()


def test_load_state_dict_errors_are_runtime_errors_naming_keys():
    for nn, L in ((hosila.nn, hosila), (torch.nn, torch)):
        with pytest.raises(RuntimeError, match="bias"):
            nn.Linear(2, 3).load_state_dict({"weight": L.zeros(3, 2)})
        with pytest.raises(RuntimeError, match="size mismatch"):
            nn.Linear(2, 3).load_state_dict({"weight": L.zeros(3, 3), "bias": L.zeros(3)})
