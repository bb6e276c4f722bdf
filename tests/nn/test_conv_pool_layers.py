"""Conv2d and pooling layers against torch.nn, and a small CNN's state dict both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila import nn
from hosila.nn import functional as F
from tests.nn.helpers import layer_parity, to_numpy_state, to_torch_state

RNG = np.random.default_rng(5)


def randn(*shape):
    return RNG.standard_normal(shape)


CONV_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding=1, bias=False),
    dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=2, padding=(1, 0)),
    dict(in_channels=4, out_channels=2, kernel_size=3, dilation=2, groups=2),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding="same"),
    dict(in_channels=2, out_channels=3, kernel_size=2, padding="valid"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=1, padding_mode="reflect"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=2, padding_mode="circular"),
    dict(in_channels=2, out_channels=2, kernel_size=3, padding=1, padding_mode="replicate"),
]


@pytest.mark.parametrize("kwargs", CONV_CASES)
def test_conv2d_layer_parity(kwargs):
    h, t = nn.Conv2d(**kwargs), torch.nn.Conv2d(**kwargs)
    assert repr(h) == repr(t)
    assert list(h.state_dict()) == list(t.state_dict())
    assert h.weight.shape == tuple(t.weight.shape)
    x = randn(2, kwargs["in_channels"], 7, 6)
    layer_parity(h, t, x)
    layer_parity(h, t, x[0])  # unbatched (C, H, W)


def test_conv2d_default_init_distribution():
    hosila.manual_seed(0)
    conv = nn.Conv2d(32, 64, 5, groups=2)
    fan_in = 16 * 25
    bound = 1 / math.sqrt(fan_in)
    w = conv.weight.data
    assert w.shape == (64, 16, 5, 5) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.03)
    assert abs(w.mean()) < 0.02 * bound
    assert np.abs(conv.bias.data).max() <= bound


def test_conv2d_errors_name_layer_and_shapes():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*\(N, 3, H, W\).*\(2, 4, 8, 8\)"):
        conv(hosila.randn(2, 4, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*2-D input"):
        conv(hosila.randn(3, 8))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string"):
        nn.Conv2d(3, 4, 3, padding="full")


POOL_CASES = [
    (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda m: m.MaxPool2d(3, 2, 1), (2, 2, 7, 5)),
    (lambda m: m.MaxPool2d((2, 3), stride=1, dilation=2, ceil_mode=True), (1, 2, 7, 8)),
    (lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    (lambda m: m.AvgPool2d(3, 2, 1), (2, 2, 7, 5)),
    (lambda m: m.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (1, 2, 8, 7)),
    (lambda m: m.AvgPool2d(2, divisor_override=3), (1, 2, 4, 4)),
    (lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    (lambda m: m.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
    (lambda m: m.AdaptiveAvgPool2d((None, 2)), (1, 2, 3, 5)),
    (lambda m: m.AdaptiveMaxPool2d(2), (2, 3, 5, 4)),
    (lambda m: m.AdaptiveMaxPool2d((3, 1)), (1, 2, 7, 3)),
]


@pytest.mark.parametrize("make,shape", POOL_CASES)
def test_pool_layer_parity(make, shape):
    h, t = make(nn), make(torch.nn)
    assert repr(h) == repr(t)
    x = randn(*shape)
    layer_parity(h, t, x)
    layer_parity(h, t, x[0])


def test_pool_return_indices_and_errors():
    x = randn(1, 2, 4, 4)
    ho, hi = nn.MaxPool2d(2, return_indices=True)(hosila.tensor(x))
    to, ti = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(hi.data, ti.numpy())
    np.testing.assert_allclose(ho.data, to.numpy())
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=2.*\(N, C, H, W\).*2-D"):
        nn.MaxPool2d(2)(hosila.randn(4, 4))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d\(output_size=1\).*5-D"):
        nn.AdaptiveAvgPool2d(1)(hosila.randn(1, 1, 1, 4, 4))


def test_functional_conv_pool_reexports():
    from hosila.ops import conv, pool

    assert F.conv2d is conv.conv2d and F.max_pool2d is pool.max_pool2d
    assert F.avg_pool2d is pool.avg_pool2d and F.adaptive_avg_pool2d is pool.adaptive_avg_pool2d


# ---- a small CNN: state dict keys, torch <-> hosila, safetensors ------------------------------


def make_cnn(m):
    return m.Sequential(
        m.Conv2d(3, 4, 3, padding=1),
        m.BatchNorm2d(4),
        m.ReLU(),
        m.MaxPool2d(2),
        m.Conv2d(4, 6, 3, stride=2, padding=1, bias=False),
        m.BatchNorm2d(6),
        m.ReLU(),
        m.AdaptiveAvgPool2d(1),
        m.Flatten(),
        m.Dropout(0.2),
        m.Linear(6, 5),
    )


def test_cnn_state_dict_keys_match_torch():
    h, t = make_cnn(nn), make_cnn(torch.nn)
    assert list(h.state_dict()) == list(t.state_dict())
    for (k, hv), tv in zip(h.state_dict().items(), t.state_dict().values(), strict=True):
        assert hv.shape == tuple(tv.shape), k
    assert repr(h) == repr(t)


def test_cnn_train_steps_and_eval_match_torch():
    h, t = make_cnn(nn), make_cnn(torch.nn)
    # Dropout draws differ between libraries: compare with it off (p = 0) in training
    h[9].p = t[9].p = 0.0
    layer_parity(h, t, randn(4, 3, 8, 8), train=True, steps=3, atol=1e-9)
    layer_parity(h, t, randn(4, 3, 8, 8), train=False, steps=1, atol=1e-9)


def test_cnn_torch_weights_into_hosila_and_back(tmp_path):
    from safetensors.torch import load_file, save_file

    t = make_cnn(torch.nn)
    with torch.no_grad():  # non-trivial running statistics
        t.train()
        for _ in range(3):
            t(torch.randn(8, 3, 8, 8))
    t.eval()
    save_file(t.state_dict(), str(tmp_path / "torch.safetensors"))
    h = make_cnn(nn)
    h.load_state_dict(hosila.load(tmp_path / "torch.safetensors"))
    h.eval()
    x = randn(2, 3, 8, 8).astype(np.float32)
    np.testing.assert_allclose(
        h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    # and back: hosila trains a step, saves, torch loads and agrees
    h.train()
    loss = F.cross_entropy(h(hosila.tensor(x)), hosila.tensor([1, 3]))
    loss.backward()
    with hosila.no_grad():
        for p in h.parameters():
            p -= 0.1 * hosila.tensor(p.grad)
    h.eval()
    hosila.save(h.state_dict(), tmp_path / "hosila.safetensors")
    t2 = make_cnn(torch.nn)
    t2.load_state_dict(load_file(str(tmp_path / "hosila.safetensors")))
    t2.eval()
    np.testing.assert_allclose(
        h(hosila.tensor(x)).data, t2(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    assert t2[1].num_batches_tracked.item() == 4
    # the in-memory route too
    t3 = make_cnn(torch.nn)
    t3.load_state_dict(to_torch_state(h))
    h2 = make_cnn(nn)
    h2.load_state_dict(to_numpy_state(t3))
    assert all(
        np.array_equal(a.data, b.data)
        for a, b in zip(h.state_dict().values(), h2.state_dict().values(), strict=True)
    )


@settings(max_examples=8, deadline=None)
@given(
    cin=st.integers(1, 3),
    cout=st.integers(1, 3),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.integers(0, 1),
    size=st.integers(3, 6),
    seed=st.integers(0, 1000),
)
def test_conv2d_layer_shapes(cin, cout, k, stride, padding, size, seed):
    x = np.random.default_rng(seed).standard_normal((2, cin, size, size + 1))
    layer_parity(
        nn.Conv2d(cin, cout, k, stride, padding), torch.nn.Conv2d(cin, cout, k, stride, padding), x
    )
