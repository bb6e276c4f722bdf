"""float32 in, float32 out: every hosila.nn.functional op and every parametrised layer keeps
float32 outputs and float32 gradients for all float32 inputs and parameters (PyTorch's
behaviour; hosila's default dtype is float32)."""

from __future__ import annotations

import numpy as np
import pytest

import hosila

F = hosila.nn.functional
nn = hosila.nn
_RNG = np.random.default_rng(0)


def T(*s, rg=True):
    return hosila.tensor(_RNG.standard_normal(s).astype(np.float32), requires_grad=rg)


def P(*s):
    return hosila.tensor(_RNG.random(s).astype(np.float32), requires_grad=True)


y = hosila.tensor([0, 2, 1])
CASES = {
    "linear": lambda: (F.linear, [T(3, 4), T(5, 4), T(5)]),
    "bilinear": lambda: (F.bilinear, [T(3, 2), T(3, 4), T(5, 2, 4), T(5)]),
    "conv2d": lambda: (
        lambda a, w, b: F.conv2d(a, w, b, padding=1),
        [T(1, 2, 4, 4), T(3, 2, 3, 3), T(3)],
    ),
    "max_pool2d": lambda: (lambda a: F.max_pool2d(a, 2), [T(1, 2, 4, 4)]),
    "avg_pool2d": lambda: (lambda a: F.avg_pool2d(a, 2), [T(1, 2, 4, 4)]),
    "adaptive_avg": lambda: (lambda a: F.adaptive_avg_pool2d(a, 3), [T(1, 2, 4, 4)]),
    "adaptive_max": lambda: (lambda a: F.adaptive_max_pool2d(a, 3), [T(1, 2, 4, 4)]),
    "batch_norm": lambda: (
        lambda a, w, b: F.batch_norm(a, hosila.zeros(3), hosila.ones(3), w, b, training=True),
        [T(4, 3), T(3), T(3)],
    ),
    "batch_norm eval": lambda: (
        lambda a, w, b: F.batch_norm(a, hosila.zeros(3), hosila.ones(3), w, b),
        [T(4, 3), T(3), T(3)],
    ),
    "layer_norm": lambda: (lambda a, w, b: F.layer_norm(a, (3,), w, b), [T(4, 3), T(3), T(3)]),
    "group_norm": lambda: (lambda a, w, b: F.group_norm(a, 1, w, b), [T(4, 3, 2), T(3), T(3)]),
    "dropout": lambda: (lambda a: F.dropout(a, 0.3), [T(4, 3)]),
    "dropout2d": lambda: (lambda a: F.dropout2d(a, 0.3), [T(2, 3, 2, 2)]),
    **{
        n: (lambda n=n: (getattr(F, n), [T(3, 4)]))
        for n in [
            "relu",
            "relu6",
            "hardtanh",
            "logsigmoid",
            "softsign",
            "leaky_relu",
            "elu",
            "gelu",
            "silu",
            "softplus",
            "sigmoid",
            "tanh",
        ]
    },
    "gelu tanh": lambda: (lambda a: F.gelu(a, approximate="tanh"), [T(3, 4)]),
    "prelu": lambda: (F.prelu, [T(2, 3), T(3)]),
    "softmax": lambda: (lambda a: F.softmax(a, 1), [T(3, 4)]),
    "log_softmax": lambda: (lambda a: F.log_softmax(a, 1), [T(3, 4)]),
    "normalize": lambda: (F.normalize, [T(3, 4)]),
    "cosine_similarity": lambda: (F.cosine_similarity, [T(3, 4), T(3, 4)]),
    "embedding": lambda: (lambda w: F.embedding(y, w), [T(4, 3)]),
    "pad": lambda: (lambda a: F.pad(a, (1, 1), mode="reflect"), [T(1, 3, 4)]),
    "cross_entropy": lambda: (lambda a: F.cross_entropy(a, y, label_smoothing=0.1), [T(3, 4)]),
    "cross_entropy probs": lambda: (lambda a, t: F.cross_entropy(a, t), [T(3, 4), P(3, 4)]),
    "nll_loss": lambda: (lambda a: F.nll_loss(a, y), [T(3, 4)]),
    "multi_margin_loss": lambda: (lambda a: F.multi_margin_loss(a, y, p=2), [T(3, 4)]),
    "mse_loss": lambda: (F.mse_loss, [T(3, 4), T(3, 4)]),
    "l1_loss": lambda: (F.l1_loss, [T(3, 4), T(3, 4)]),
    "smooth_l1_loss": lambda: (F.smooth_l1_loss, [T(3, 4), T(3, 4)]),
    "huber_loss": lambda: (F.huber_loss, [T(3, 4), T(3, 4)]),
    "kl_div": lambda: (lambda a, t: F.kl_div(a, t, reduction="batchmean"), [T(3, 4), P(3, 4)]),
    "bce": lambda: (lambda a, t: F.binary_cross_entropy(a.sigmoid(), t), [T(3, 4), P(3, 4)]),
    "bcel": lambda: (
        lambda a, t: F.binary_cross_entropy_with_logits(a, t, pos_weight=hosila.ones(4)),
        [T(3, 4), P(3, 4)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_keeps_float32(name):
    f, args = CASES[name]()
    out = f(*args)
    outs = out if isinstance(out, tuple) else (out,)
    assert all(o.dtype == np.float32 for o in outs), [o.dtype for o in outs]
    outs[0].sum().backward()
    for i, a in enumerate(args):
        assert a.grad is not None and a.grad.dtype == np.float32, (i, a.grad)


@pytest.mark.parametrize(
    "make,shape",
    [
        (lambda: nn.Linear(4, 3), (2, 4)),
        (lambda: nn.Conv2d(2, 3, 3, groups=1), (1, 2, 5, 5)),
        (lambda: nn.Conv2d(2, 4, 3, groups=2, padding=1), (1, 2, 5, 5)),
        (lambda: nn.BatchNorm1d(4), (3, 4)),
        (lambda: nn.BatchNorm2d(2), (2, 2, 3, 3)),
        (lambda: nn.LayerNorm(4), (2, 4)),
        (lambda: nn.GroupNorm(2, 4), (2, 4, 3)),
        (lambda: nn.PReLU(), (2, 4)),
        (lambda: nn.Embedding(5, 3), None),
    ],
)
def test_layers_keep_float32(make, shape):
    m = make()
    x = hosila.tensor([1, 2]) if shape is None else T(*shape)
    out = m(x)
    assert out.dtype == np.float32
    out.sum().backward()
    for n, p in m.named_parameters():
        assert p.dtype == np.float32 and p.grad is not None and p.grad.dtype == np.float32, n
    for n, b in m.named_buffers():
        if b is not None and b.dtype.kind == "f":
            assert b.dtype == np.float32, n
