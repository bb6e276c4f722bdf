"""hosila.nn modules against torch.nn: repr strings, state_dict keys/order/dtypes, loading a
PyTorch state dict (via NumPy) into a Sequential holding every layer kind, train/eval
propagation, float32 end to end, batch-norm running statistics (momentum None included) and
default initialisation bounds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import hosila

LAYERS = [
    "nn.Linear(3, 4)",
    "nn.Linear(3, 4, bias=False)",
    "nn.Conv2d(4, 6, 3)",
    "nn.Conv2d(4, 6, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False)",
    "nn.Conv2d(4, 6, 3, padding='same')",
    "nn.Conv2d(4, 6, 3, stride=(2, 1), padding=(1, 0))",
    "nn.MaxPool2d(2)",
    "nn.MaxPool2d(3, stride=2, padding=1)",
    "nn.MaxPool2d((2, 3), stride=1, ceil_mode=True)",
    "nn.AvgPool2d(2)",
    "nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)",
    "nn.AdaptiveAvgPool2d((2, 3))",
    "nn.AdaptiveAvgPool2d(1)",
    "nn.AdaptiveMaxPool2d(2)",
    "nn.BatchNorm1d(3)",
    "nn.BatchNorm2d(3, eps=1e-3, momentum=None, affine=False)",
    "nn.BatchNorm1d(3, track_running_stats=False)",
    "nn.LayerNorm(4)",
    "nn.LayerNorm((3, 4), elementwise_affine=False)",
    "nn.LayerNorm([3, 4], eps=1e-6, bias=False)",
    "nn.GroupNorm(2, 4)",
    "nn.GroupNorm(1, 4, affine=False)",
    "nn.Dropout()",
    "nn.Dropout(0.3)",
    "nn.Dropout2d(0.2)",
    "nn.Flatten()",
    "nn.Flatten(0, -2)",
    "nn.Unflatten(1, (2, 3))",
    "nn.Embedding(5, 3)",
    "nn.Embedding(5, 3, padding_idx=1, max_norm=2.0)",
    "nn.Embedding(5, 3, padding_idx=-1)",
    "nn.ReLU()",
    "nn.ReLU(inplace=True)",
    "nn.LeakyReLU()",
    "nn.LeakyReLU(0.2)",
    "nn.ELU(alpha=0.5)",
    "nn.GELU(approximate='tanh')",
    "nn.Sigmoid()",
    "nn.Tanh()",
    "nn.Softmax(dim=1)",
    "nn.Softmax()",
    "nn.LogSoftmax(dim=-1)",
    "nn.ReLU6()",
    "nn.Hardtanh(-2.0, 2.0)",
    "nn.LogSigmoid()",
    "nn.Softsign()",
    "nn.PReLU(3, init=0.1)",
    "nn.SiLU()",
    "nn.Softplus(beta=2.0, threshold=10.0)",
    "nn.Identity()",
    "nn.CrossEntropyLoss(label_smoothing=0.1, reduction='sum')",
    "nn.CrossEntropyLoss(weight=W)",
    "nn.NLLLoss(ignore_index=0, weight=W)",
    "nn.MultiMarginLoss(p=2, margin=0.5, weight=W)",
    "nn.BCELoss(weight=W)",
    "nn.BCEWithLogitsLoss(pos_weight=W)",
    "nn.HuberLoss(delta=2.0)",
    "nn.SmoothL1Loss(beta=0.5)",
    "nn.KLDivLoss(reduction='batchmean', log_target=True)",
    "nn.MSELoss(reduction='none')",
    "nn.L1Loss()",
    "nn.CosineSimilarity(dim=0)",
    "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))",
    "nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])",
    "nn.ModuleDict({'b': nn.Linear(2, 3), 'a': nn.ReLU()})",
    "nn.Sequential()",
    "nn.Conv2d(2, 4, 3, padding=1, padding_mode='reflect')",
    "nn.Conv2d(2, 4, 3, padding='valid')",
    "nn.Conv2d(2, 4, 1, stride=2, padding=0, dilation=3)",
    "nn.MaxPool2d(2, return_indices=True)",
    "nn.MaxPool2d(2, dilation=2)",
    "nn.AvgPool2d(2, divisor_override=3)",
    "nn.AvgPool2d((2, 3), stride=(1, 1), ceil_mode=True)",
    "nn.Dropout(0.2, inplace=True)",
    "nn.Embedding(5, 3, norm_type=1.0, max_norm=1.0)",
    "nn.Embedding(5, 3, scale_grad_by_freq=True)",
    "nn.ELU(alpha=2.0, inplace=True)",
    "nn.Hardtanh(min_val=-3.0, max_val=3.0, inplace=True)",
    "nn.AdaptiveMaxPool2d((2, None), return_indices=True)",
    "nn.AdaptiveAvgPool2d((None, 3))",
    "nn.GroupNorm(2, 4, eps=0.001, affine=False)",
    "nn.BatchNorm1d(4, 0.001, 0.2, False, False)",
    "nn.PReLU(num_parameters=2)",
    "nn.Unflatten(-1, (2, 2))",
    "nn.Flatten(start_dim=2, end_dim=3)",
    "nn.CosineSimilarity(dim=1, eps=1e-6)",
]


def _both(expr: str):
    h = eval(expr, {"nn": hosila.nn, "W": hosila.ones(3)})
    t = eval(expr, {"nn": torch.nn, "W": torch.ones(3)})
    return h, t


def _np(v) -> np.ndarray:
    return np.asarray(v.data)


@pytest.mark.parametrize("expr", LAYERS)
def test_repr_state_dict_and_names_match_torch(expr):
    h, t = _both(expr)
    assert repr(h) == repr(t)
    hs, ts = h.state_dict(), t.state_dict()
    assert list(hs) == list(ts)
    for k, v in ts.items():
        assert _np(hs[k]).dtype == np.dtype(str(v.dtype).removeprefix("torch.")), k
        assert _np(hs[k]).shape == tuple(v.shape), k
    assert [n for n, _ in h.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in h.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in h.named_modules()] == [n for n, _ in t.named_modules()]


def _every_layer(nn):
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1, groups=2),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, stride=2, padding=1, bias=False),
        nn.GroupNorm(2, 4),
        nn.ELU(0.5),
        nn.AvgPool2d(2, stride=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 6),
        nn.LayerNorm(6),
        nn.BatchNorm1d(6, momentum=None),
        nn.LeakyReLU(0.2),
        nn.Dropout(0.5),
        nn.PReLU(),
        nn.GELU(),
        nn.Linear(6, 3, bias=False),
        nn.LogSoftmax(dim=1),
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_state_dict_loads_and_every_layer_matches(dtype):
    """A PyTorch state dict (converted through NumPy) loads into the same hosila architecture;
    then forward, input gradient, every parameter gradient and every buffer agree over two
    training steps (dropout off) and one evaluation step, with the dtype kept throughout."""
    torch.manual_seed(0)
    t = _every_layer(torch.nn).to(getattr(torch, dtype))
    h = _every_layer(hosila.nn).to(getattr(np, dtype))
    res = h.load_state_dict({k: v.detach().numpy().copy() for k, v in t.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys
    t[14].p = h[14].p = 0.0
    tol = 1e-9 if dtype == "float64" else 3e-4
    rng = np.random.default_rng(0)
    for mode in ("train", "train", "eval"):
        t.train(mode == "train")
        h.train(mode == "train")
        x = rng.standard_normal((4, 2, 8, 8)).astype(dtype)
        tx, hx = torch.tensor(x, requires_grad=True), hosila.tensor(x, requires_grad=True)
        to, ho = t(tx), h(hx)
        assert ho.dtype == np.dtype(dtype)
        np.testing.assert_allclose(ho.data, to.detach().numpy(), atol=tol, rtol=tol)
        g = rng.standard_normal(to.shape).astype(dtype)
        to.backward(torch.tensor(g))
        ho.backward(hosila.tensor(g))
        assert hx.grad.dtype == np.dtype(dtype)
        np.testing.assert_allclose(hx.grad, tx.grad.numpy(), atol=tol, rtol=tol)
        for (n, p), (_, q) in zip(h.named_parameters(), t.named_parameters(), strict=True):
            assert p.grad.dtype == np.dtype(dtype), n
            np.testing.assert_allclose(p.grad, q.grad.numpy(), atol=10 * tol, rtol=10 * tol)
        for (n, b), (_, c) in zip(h.state_dict().items(), t.state_dict().items(), strict=True):
            np.testing.assert_allclose(_np(b), c.numpy(), atol=tol, rtol=tol, err_msg=n)
        h.zero_grad()
        t.zero_grad()
    assert h[12].num_batches_tracked.dtype == np.int64
    assert int(h[12].num_batches_tracked.item()) == 2


def test_hosila_state_dict_loads_into_torch():
    h = _every_layer(hosila.nn)
    t = _every_layer(torch.nn)
    t.load_state_dict({k: torch.tensor(_np(v)) for k, v in h.state_dict().items()})
    h.eval()
    t.eval()
    x = np.random.default_rng(1).standard_normal((2, 2, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(
        h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-4
    )


def test_train_eval_propagate_to_every_submodule():
    h = hosila.nn.Sequential(_every_layer(hosila.nn), hosila.nn.ModuleList([hosila.nn.Dropout()]))
    assert h.eval() is h
    assert all(not m.training for m in h.modules())
    assert h.train() is h
    assert all(m.training for m in h.modules())
    h.train(False)
    assert not h[1][0].training


@pytest.mark.parametrize(
    "cls,shape",
    [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (6, 3, 4)), ("BatchNorm2d", (4, 3, 2, 2))],
)
@pytest.mark.parametrize("momentum", [0.1, None, 0.0, 1.0])
def test_batch_norm_running_stats_float32(cls, shape, momentum):
    h = getattr(hosila.nn, cls)(3, momentum=momentum)
    t = getattr(torch.nn, cls)(3, momentum=momentum)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
        np.testing.assert_allclose(
            h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-5
        )
    for k in ("running_mean", "running_var"):
        assert getattr(h, k).dtype == np.float32
        np.testing.assert_allclose(getattr(h, k).data, getattr(t, k).numpy(), rtol=1e-5)
    assert int(h.num_batches_tracked.item()) == int(t.num_batches_tracked) == 3
    h.eval()
    t.eval()
    np.testing.assert_allclose(
        h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy(), atol=1e-5, rtol=1e-5
    )


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 2))
    h = hosila.nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    t = torch.nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    np.testing.assert_allclose(h(hosila.tensor(x)).data, t(torch.tensor(x)).detach().numpy())
    assert list(h.state_dict()) == list(t.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize(
    "expr",
    [
        "Conv2d(4, 6, 3, groups=2)",
        "Conv2d(3, 8, (3, 5))",
        "Linear(7, 5, bias=False)",
        "Linear(7, 5)",
        "Embedding(60, 10)",
        "PReLU(3)",
    ],
)
def test_default_init_bounds_and_dtype(expr):
    """PyTorch's defaults: weights and biases of Linear/Conv2d U(−1/√fan_in, 1/√fan_in) with
    fan_in = (in/groups)·kh·kw; Embedding N(0, 1); PReLU 0.25. Fresh layers are float32."""
    hosila.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = eval("hosila.nn." + expr)
        t = eval("torch.nn." + expr)
    for (n, p), (_, q) in zip(h.named_parameters(), t.named_parameters(), strict=True):
        assert p.dtype == np.float32 and p.shape == tuple(q.shape), n
        if "Embedding" in expr:
            assert abs(p.data.mean()) < 0.5 and 0.6 < p.data.std() < 1.4
        elif "PReLU" in expr:
            np.testing.assert_array_equal(p.data, q.detach().numpy())
        else:
            bound = 1 / np.sqrt(t.weight[0].numel())
            assert np.abs(p.data).max() <= bound + 1e-7, n
            if p.data.size >= 30:  # the spread reaches the bound (chance of failing < 1e-9)
                assert np.abs(p.data).max() > 0.5 * bound, n


def test_embedding_padding_row_and_from_pretrained():
    h = hosila.nn.Embedding(5, 3, padding_idx=2)
    assert np.all(h.weight.data[2] == 0)
    w = np.random.default_rng(4).standard_normal((4, 2))
    e = hosila.nn.Embedding.from_pretrained(hosila.tensor(w), padding_idx=1)
    et = torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1)
    assert repr(e) == repr(et)
    assert e.weight.requires_grad == et.weight.requires_grad is False


def test_load_state_dict_errors_name_keys():
    lin = hosila.nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match="bias"):
        lin.load_state_dict({"weight": hosila.zeros(3, 2)})
    with pytest.raises(RuntimeError, match="weight"):
        lin.load_state_dict({"weight": hosila.zeros(3, 3), "bias": hosila.zeros(3)})
    res = lin.load_state_dict(
        {"weight": hosila.zeros(3, 2), "extra": hosila.zeros(1)}, strict=False
    )
    tres = torch.nn.Linear(2, 3).load_state_dict(
        {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}, strict=False
    )
    assert (res.missing_keys, res.unexpected_keys) == (tres.missing_keys, tres.unexpected_keys)
