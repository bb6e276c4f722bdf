"""Random small networks built layer by layer from the same spec in hosila and PyTorch:
PyTorch's initial weights are loaded into hosila, then outputs, input gradients, parameter
gradients and buffers are compared over a training step and an evaluation step (float64)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila

ACTIVATIONS = [
    ("ReLU", ()),
    ("ELU", (0.7,)),
    ("LeakyReLU", (0.2,)),
    ("GELU", ()),
    ("SiLU", ()),
    ("Tanh", ()),
    ("Sigmoid", ()),
    ("Softplus", (2.0,)),
    ("Identity", ()),
    ("Hardtanh", (-0.5, 0.5)),
]


@st.composite
def network_spec(draw):
    """A list of (layer name, args) for an input (3, c, h, w), and that input's shape."""
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(4, 7)), draw(st.integers(4, 7))
    shape = (3, c, h, w)
    spec = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "bn", "gn", "act", "pool"]))
        if kind == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            out = groups * draw(st.integers(1, 2))
            k, s, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
            if h + 2 * p < k or w + 2 * p < k:
                continue
            spec.append(("Conv2d", (c, out, k, s, p, 1, groups)))
            c, h, w = out, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif kind == "bn":
            spec.append(("BatchNorm2d", (c,)))
        elif kind == "gn":
            spec.append(
                ("GroupNorm", (draw(st.sampled_from([g for g in (1, c) if c % g == 0])), c))
            )
        elif kind == "act":
            spec.append(draw(st.sampled_from(ACTIVATIONS)))
        elif h >= 2 and w >= 2:
            name = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
            spec.append((name, (2,)))
            h, w = h // 2, w // 2
    spec.append(("Flatten", ()))
    feats = c * h * w
    hidden = draw(st.integers(2, 5))
    spec.append(("Linear", (feats, hidden)))
    spec.append(draw(st.sampled_from([("LayerNorm", (hidden,)), ("BatchNorm1d", (hidden,))])))
    spec.append(draw(st.sampled_from(ACTIVATIONS + [("PReLU", ())])))
    spec.append(("Linear", (hidden, 3)))
    spec.append(("LogSoftmax", (1,)))
    return spec, shape


def _build(nn, spec):
    return nn.Sequential(*[getattr(nn, name)(*args) for name, args in spec])


@settings(max_examples=12, deadline=None)
@given(network_spec(), st.integers(0, 2**16))
def test_random_network_matches_torch(spec_shape, seed):
    spec, shape = spec_shape
    torch.manual_seed(seed % 1000)
    t = _build(torch.nn, spec).double()
    h = _build(hosila.nn, spec).double()
    h.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    rng = np.random.default_rng(seed)
    for train in (True, False):
        t.train(train)
        h.train(train)
        x = rng.standard_normal(shape)
        tx, hx = torch.tensor(x, requires_grad=True), hosila.tensor(x, requires_grad=True)
        to, ho = t(tx), h(hx)
        np.testing.assert_allclose(ho.data, to.detach().numpy(), rtol=1e-7, atol=1e-9)
        g = rng.standard_normal(tuple(to.shape))
        to.backward(torch.tensor(g))
        ho.backward(hosila.tensor(g))
        np.testing.assert_allclose(hx.grad, tx.grad.numpy(), rtol=1e-6, atol=1e-9)
        for (n, p), (_, q) in zip(h.named_parameters(), t.named_parameters(), strict=True):
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=n)
        for (n, b), (_, c) in zip(h.state_dict().items(), t.state_dict().items(), strict=True):
            np.testing.assert_allclose(
                np.asarray(b.data), c.numpy(), rtol=1e-9, atol=1e-12, err_msg=n
            )
        h.zero_grad()
        t.zero_grad()
