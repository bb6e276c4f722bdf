"""hosila.nn.functional against torch.nn.functional with unusual but valid arguments.

Every loss in every reduction, with class weights, ``ignore_index`` (also combined with
``label_smoothing``), N-d inputs (N, C, d1, d2), probability targets, BCE weights and
``pos_weight`` broadcasting, multi-margin p=2 with weights, smooth-L1 / Huber widths, KL with
``log_target``; activations with non-default slopes; softmax on negative dims; the
normalisations over several dims and group counts. Forward values, output dtype and every
input's gradient are compared (``tests.parity.check_parity``, float64); the input shapes and
values come from hypothesis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from tests.parity import check_parity

REDUCTIONS = ["none", "sum", "mean"]


def F(lib):
    return hosila.nn.functional if lib is hosila else torch.nn.functional


def _class_problem(seed: int, spatial: tuple, c: int, ignore: bool):
    """Logits (N, C, *spatial), targets (N, *spatial) with some ignore_index=-100 entries
    (never all of them: the 'mean' of nothing is NaN in both), positive class weights."""
    rng = np.random.default_rng(seed)
    n = 3
    x = rng.standard_normal((n, c, *spatial))
    y = rng.integers(0, c, (n, *spatial))
    if ignore:
        flat = y.reshape(-1)
        flat[rng.random(flat.size) < 0.3] = -100
        flat[0] = 0
    w = rng.random(c) + 0.1
    return x, y, w


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([(), (2,), (2, 3)]),
    st.sampled_from(REDUCTIONS),
    st.booleans(),
    st.sampled_from([0.0, 0.15, 1.0]),
    st.booleans(),
)
def test_cross_entropy_index_targets(seed, spatial, reduction, weighted, smoothing, ignore):
    x, y, w = _class_problem(seed, spatial, 4, ignore)

    def f(L, logits, target, weight):
        return F(L).cross_entropy(
            logits,
            target,
            weight=weight.detach() if weighted else None,
            ignore_index=-100,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    check_parity(f, x, y, w)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([(), (2,), (2, 2)]),
    st.sampled_from(REDUCTIONS),
    st.booleans(),
    st.sampled_from([-100, 1]),
)
def test_nll_loss_nd_weights_ignore_index(seed, spatial, reduction, weighted, ignore_index):
    x, y, w = _class_problem(seed, spatial, 3, ignore=True)
    y[y == -100] = ignore_index

    def f(L, logits, target, weight):
        logp = L.log_softmax(logits, dim=1)
        return F(L).nll_loss(
            logp,
            target,
            weight=weight.detach() if weighted else None,
            ignore_index=ignore_index,
            reduction=reduction,
        )

    check_parity(f, x, y, w)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([(4,), (3, 4), (2, 4, 3)]),
    st.sampled_from(REDUCTIONS),
    st.booleans(),
    st.sampled_from([0.0, 0.3]),
)
def test_cross_entropy_probability_targets(seed, shape, reduction, weighted, smoothing):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cdim = 0 if len(shape) == 1 else 1
    p = rng.random(shape)
    p = p / p.sum(axis=cdim, keepdims=True)
    w = rng.random(shape[cdim]) + 0.1

    def f(L, logits, target, weight):
        return F(L).cross_entropy(
            logits,
            target,
            weight=weight.detach() if weighted else None,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    check_parity(f, x, p, w)


def test_cross_entropy_single_sample_and_extreme_logits():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    y = np.array([1, 0])
    for smoothing in (0.0, 0.1):
        check_parity(lambda L, a, t, s=smoothing: F(L).cross_entropy(a, t, label_smoothing=s), x, y)
    check_parity(lambda L, a, t: F(L).cross_entropy(a, t), np.array([0.3, -1.2, 2.0]), np.array(2))


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([1, 2]),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.booleans(),
    st.sampled_from(REDUCTIONS),
    st.booleans(),
)
def test_multi_margin_loss(seed, p, margin, weighted, reduction, one_d):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    y = rng.integers(0, 5, 4)
    w = rng.random(5) + 0.1
    if one_d:
        x, y = x[0], np.asarray(y[0])

    def f(L, a, t, wt):
        return F(L).multi_margin_loss(
            a,
            t,
            p=p,
            margin=margin,
            weight=wt.detach() if weighted else None,
            reduction=reduction,
        )

    check_parity(f, x, y, w)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from(REDUCTIONS),
    st.sampled_from([None, (4,), (3, 1), (3, 4), (2, 3, 4)]),
    st.sampled_from([None, (4,), (1, 4), (3, 4)]),
)
def test_binary_cross_entropy_with_logits_weights(seed, reduction, w_shape, pw_shape):
    rng = np.random.default_rng(seed)
    shape = (2, 3, 4)
    x = rng.standard_normal(shape) * 3
    t = rng.random(shape)
    w = rng.random(w_shape or (1,)) + 0.1
    pw = rng.random(pw_shape or (1,)) * 3

    def f(L, logits, target, weight, pos_weight):
        return F(L).binary_cross_entropy_with_logits(
            logits,
            target,
            weight=weight.detach() if w_shape else None,
            pos_weight=pos_weight.detach() if pw_shape else None,
            reduction=reduction,
        )

    check_parity(f, x, t, w, pw)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from(REDUCTIONS), st.sampled_from([None, (4,), (3, 1)]))
def test_binary_cross_entropy_weights(seed, reduction, w_shape):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    t = rng.random((3, 4))
    w = rng.random(w_shape or (1,)) + 0.1

    def f(L, logits, target, weight):
        return F(L).binary_cross_entropy(
            logits.sigmoid(),
            target,
            weight=weight.detach() if w_shape else None,
            reduction=reduction,
        )

    check_parity(f, x, t, w)


def test_bce_with_logits_extreme_logits_and_pos_weight():
    x = np.array([-1000.0, 1000.0, 0.0, 50.0, -50.0])
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    check_parity(
        lambda L, a, b, pw: F(L).binary_cross_entropy_with_logits(a, b, pos_weight=pw.detach()),
        x,
        t,
        np.array([2.0]),
    )


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from(REDUCTIONS),
    st.sampled_from([0.0, 0.3, 1.0, 2.5]),
    st.sampled_from([((3, 4), (3, 4)), ((3, 1), (3, 4)), ((4,), (2, 4))]),
)
def test_regression_losses(seed, reduction, beta, shapes):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shapes[0]) * 2, rng.standard_normal(shapes[1]) * 2
    with warnings.catch_warnings():  # torch warns when input and target broadcast
        warnings.simplefilter("ignore", UserWarning)
        check_parity(
            lambda L, x, y: F(L).smooth_l1_loss(x, y, reduction=reduction, beta=beta), a, b
        )
        check_parity(lambda L, x, y: F(L).mse_loss(x, y, reduction=reduction), a, b)
        check_parity(lambda L, x, y: F(L).l1_loss(x, y, reduction=reduction), a, b)
        if beta > 0:
            check_parity(
                lambda L, x, y: F(L).huber_loss(x, y, reduction=reduction, delta=beta), a, b
            )


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@settings(max_examples=8, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from(["none", "sum", "mean", "batchmean"]),
    st.booleans(),
)
def test_kl_div(seed, reduction, log_target):
    rng = np.random.default_rng(seed)
    x = np.log(rng.dirichlet(np.ones(4), size=3))
    t = rng.dirichlet(np.ones(4), size=3)
    if log_target:
        t = np.log(t)

    def f(L, inp, tgt):
        return F(L).kl_div(inp, tgt, reduction=reduction, log_target=log_target)

    check_parity(f, x, t)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 1.5, -0.3])
def test_leaky_relu_slopes(slope):
    x = np.random.default_rng(0).standard_normal((3, 4))
    check_parity(lambda L, a: F(L).leaky_relu(a, slope), x)
    check_parity(lambda L, a: L.nn.LeakyReLU(slope)(a), x)


@pytest.mark.parametrize("alpha", [0.1, 1.0, 2.5])
def test_elu_alpha(alpha):
    x = np.random.default_rng(1).standard_normal((3, 4)) * 3
    check_parity(lambda L, a: F(L).elu(a, alpha), x)


@pytest.mark.parametrize("dim", [-3, -2, -1, 0, 1, 2])
def test_softmax_log_softmax_any_dim(dim):
    x = np.random.default_rng(2).standard_normal((2, 3, 4)) * 4
    check_parity(lambda L, a: F(L).softmax(a, dim=dim), x)
    check_parity(lambda L, a: F(L).log_softmax(a, dim=dim), x)
    check_parity(lambda L, a: L.nn.Softmax(dim=dim)(a), x)
    check_parity(lambda L, a: L.nn.LogSoftmax(dim=dim)(a), x)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_legacy_choice(shape):
    x = np.random.default_rng(3).standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_parity(lambda L, a: F(L).softmax(a), x)
        check_parity(lambda L, a: F(L).log_softmax(a), x)


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("gelu", {"approximate": "tanh"}),
        ("gelu", {}),
        ("softplus", {"beta": 2.0, "threshold": 1.0}),
        ("relu6", {}),
        ("hardtanh", {"min_val": -0.5, "max_val": 0.7}),
        ("silu", {}),
        ("logsigmoid", {}),
        ("softsign", {}),
        ("sigmoid", {}),
        ("tanh", {}),
    ],
)
def test_activation_options(name, kwargs):
    x = np.random.default_rng(4).standard_normal((3, 4)) * 4
    check_parity(lambda L, a: getattr(F(L), name)(a, **kwargs), x)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([(4,), (3, 4), (2, 3, 4)]),
    st.booleans(),
    st.booleans(),
)
def test_layer_norm_trailing_dims(seed, norm_shape, affine, bias):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2, 3, 4)) * 3 + 1
    w = rng.standard_normal(norm_shape)
    b = rng.standard_normal(norm_shape)

    def f(L, a, wt, bs):
        return F(L).layer_norm(
            a, norm_shape, wt if affine else None, bs if affine and bias else None, eps=1e-4
        )

    check_parity(f, x, w, b)


@settings(max_examples=10, deadline=None)
@given(
    st.integers(0, 2**16),
    st.sampled_from([1, 2, 6]),
    st.sampled_from([(2, 6), (2, 6, 3), (2, 6, 2, 2)]),
    st.booleans(),
)
def test_group_norm_groups(seed, groups, shape, affine):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    if shape == (2, 6) and groups == 6:
        groups = 3  # one element per group would make the variance 0: both NaN-free but flat

    def f(L, a, wt, bs):
        return F(L).group_norm(a, groups, wt if affine else None, bs if affine else None)

    check_parity(f, x, w, b)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2), (2, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(shape, training):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape) * 2 + 1
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    stats = {}

    def f(L, a, wt, bs):
        m = (L.tensor if L is torch else hosila.tensor)(rm.copy())
        v = (L.tensor if L is torch else hosila.tensor)(rv.copy())
        out = F(L).batch_norm(a, m, v, wt, bs, training=training, momentum=0.3, eps=1e-3)
        stats[L.__name__] = (
            np.asarray(m.detach().numpy() if L is torch else m.data),
            np.asarray(v.detach().numpy() if L is torch else v.data),
        )
        return out

    check_parity(f, x, w, b)
    for h, t in zip(stats["hosila"], stats["torch"], strict=True):
        np.testing.assert_allclose(h, t, rtol=1e-12)


def test_embedding_padding_idx_gets_no_gradient():
    rng = np.random.default_rng(6)
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 1, 1], [4, 1, 2]])
    for pad in (1, -1, None):
        check_parity(lambda L, wt, i, p=pad: F(L).embedding(i, wt, padding_idx=p), w, idx)


def test_embedding_max_norm_renormalises_like_torch():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((5, 3)) * 3
    idx = np.array([1, 1, 3, 1])
    for norm_type in (1.0, 2.0):
        h = hosila.nn.Embedding(5, 3, max_norm=1.5, norm_type=norm_type).double()
        t = torch.nn.Embedding(5, 3, max_norm=1.5, norm_type=norm_type).double()
        h.weight.data[...] = w
        with torch.no_grad():
            t.weight.copy_(torch.tensor(w))
        ho, to = h(hosila.tensor(idx)), t(torch.tensor(idx))
        np.testing.assert_allclose(ho.data, to.detach().numpy(), rtol=1e-9)
        np.testing.assert_allclose(h.weight.data, t.weight.detach().numpy(), rtol=1e-9)
        ho.sum().backward()
        to.sum().backward()
        np.testing.assert_allclose(h.weight.grad, t.weight.grad.numpy())


@pytest.mark.parametrize(
    "pad,mode,value",
    [
        ((1, 2, 2, 1), "reflect", None),
        ((1, 2, 1, 0), "circular", None),
        ((1, 2, 0, 1), "replicate", None),
        ((-1, 2, 1, -1), "constant", 3.5),
        ((0, 0, 1, 1, 1, 0), "constant", None),
    ],
)
def test_pad_modes(pad, mode, value):
    x = np.random.default_rng(8).standard_normal((1, 2, 3, 4))
    kwargs = {} if value is None else {"value": value}
    check_parity(lambda L, a: F(L).pad(a, pad, mode=mode, **kwargs), x)


def test_normalize_and_cosine_similarity():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4))
    zero = np.zeros((2, 4))
    for p, dim in ((2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)):
        check_parity(lambda L, a, p=p, d=dim: F(L).normalize(a, p=p, dim=d), x)
    # a zero vector: the norm is clamped at eps and its gradient is finite (PyTorch's norm
    # has a zero gradient at 0; a plain sqrt(Σx²) would give 0 · ∞ = NaN)
    for p in (1.0, 2.0, 3.0, float("inf")):
        check_parity(lambda L, a, p=p: F(L).normalize(a, p=p), zero, rtol=1e-9)
    mixed = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    check_parity(lambda L, a: F(L).normalize(a, p=3.0, dim=1), mixed)
    check_parity(
        lambda L, a, b: F(L).cosine_similarity(a, b, dim=-1), zero, rng.standard_normal((2, 4))
    )
    check_parity(
        lambda L, a, b: F(L).cosine_similarity(a, b, dim=-1), x, rng.standard_normal((1, 4))
    )


def test_prelu_linear_bilinear():
    rng = np.random.default_rng(10)
    check_parity(lambda L, a, w: F(L).prelu(a, w), rng.standard_normal((2, 3, 4)), rng.random(3))
    check_parity(lambda L, a, w: F(L).prelu(a, w), rng.standard_normal((2, 3)), rng.random(1))
    check_parity(
        lambda L, a, w: F(L).linear(a, w),
        rng.standard_normal((2, 3, 4)),
        rng.standard_normal((5, 4)),
    )
    check_parity(
        lambda L, a, w, b: F(L).linear(a, w, b),
        rng.standard_normal(4),
        rng.standard_normal((5, 4)),
        rng.standard_normal(5),
    )
    check_parity(
        lambda L, a, c, w, b: F(L).bilinear(a, c, w, b),
        rng.standard_normal((2, 3)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((5, 3, 4)),
        rng.standard_normal(5),
    )


def test_one_hot_and_dropout_edge_cases():
    idx = np.array([[0, 2], [1, 3]])
    check_parity(lambda L, i: F(L).one_hot(i, 5), idx)
    check_parity(lambda L, i: F(L).one_hot(i), idx)
    x = np.random.default_rng(11).standard_normal((3, 4))
    check_parity(lambda L, a: F(L).dropout(a, 0.3, training=False), x)
    check_parity(lambda L, a: F(L).dropout(a, 1.0), x)
    check_parity(lambda L, a: F(L).dropout(a, 0.0), x)


MIXED_DTYPE_LOSSES = [
    "F.mse_loss(x, t)",
    "F.l1_loss(x, t)",
    "F.smooth_l1_loss(x, t)",
    "F.huber_loss(x, t)",
    "F.kl_div(x, t, reduction='batchmean')",
    "F.binary_cross_entropy_with_logits(x, t)",
    "F.binary_cross_entropy_with_logits(x, t, weight=w)",
    "F.binary_cross_entropy_with_logits(x, t, pos_weight=w)",
    "F.binary_cross_entropy(p, t, weight=w)",
    "F.cross_entropy(x, y, weight=w)",
    "F.cross_entropy(x, probs)",
    "F.cross_entropy(x, probs, weight=w)",
    "F.multi_margin_loss(x, y, weight=w)",
]


@pytest.mark.parametrize("expr", MIXED_DTYPE_LOSSES)
@pytest.mark.parametrize(
    "dtypes",
    [
        ("float32", "float32", "float32"),
        ("float32", "float64", "float32"),
        ("float32", "float32", "float64"),
        ("float64", "float32", "float32"),
    ],
)
def test_loss_output_and_grad_dtypes_follow_torch(expr, dtypes):
    """Where PyTorch accepts mixed float32/float64 arguments, the loss has PyTorch's dtype
    (e.g. BCE-with-logits takes the target's: float32 logits, float64 targets give float64)
    and the input's gradient keeps the input's dtype. Where PyTorch refuses, hosila may
    accept (or refuse too); it never refuses what PyTorch accepts."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 4))
    arrays = {
        "x": (x, 0),
        "p": (1 / (1 + np.exp(-x)), 0),
        "t": (rng.random((3, 4)), 1),
        "probs": (rng.dirichlet(np.ones(4), size=3), 1),
        "w": (rng.random(4) + 0.5, 2),
    }
    results, refused = {}, set()
    for L in (hosila, torch):
        env = {"F": F(L), "y": L.tensor(np.array([0, 1, 3]))}
        for name, (a, k) in arrays.items():
            env[name] = L.tensor(a.astype(dtypes[k]))
        env["x"].requires_grad_(True)
        env["p"].requires_grad_(True)
        try:
            out = eval(expr, env)
            out.backward()
        except RuntimeError:  # PyTorch refuses some mixes (forward or backward)
            refused.add(L.__name__)
            continue
        grad = env["x"].grad if env["x"].grad is not None else env["p"].grad
        results[L.__name__] = (out, grad)
    if "torch" in refused:  # hosila refuses it too (matching), or accepts
        return
    assert not refused, f"hosila refuses {expr} with {dtypes}, PyTorch accepts it"
    (ho, hg), (to, tg) = results["hosila"], results["torch"]
    assert str(ho.dtype) == str(to.dtype).removeprefix("torch.")
    assert str(hg.dtype) == str(tg.dtype).removeprefix("torch.")
    np.testing.assert_allclose(float(ho.item()), to.item(), rtol=1e-5)
    np.testing.assert_allclose(hg, tg.numpy(), rtol=1e-4, atol=1e-6)


_X32 = np.array([[30.0, -30, 0], [-100, 100, 0]], dtype=np.float32)

EDGE_CASES = {
    # constant inputs: zero variance, finite gradients
    "layer_norm constant": (
        lambda L, a, w, b: F(L).layer_norm(a, (3,), w, b),
        np.full((2, 3), 2.0),
        np.arange(3.0) + 1,
        np.zeros(3),
    ),
    "group_norm constant": (lambda L, a: F(L).group_norm(a, 1), np.full((2, 3, 1), 2.0)),
    "batch_norm constant": (
        lambda L, a, w, b: F(L).batch_norm(a, None, None, w, b, training=True),
        np.ones((4, 3)),
        np.arange(3.0) + 1,
        np.zeros(3),
    ),
    # huge logits in float32
    "cross_entropy f32 huge": (
        lambda L, a, t: F(L).cross_entropy(a, t, label_smoothing=0.1),
        _X32,
        np.array([1, 0]),
    ),
    "log_softmax f32 huge": (lambda L, a: F(L).log_softmax(a, 1), _X32),
    "bce_with_logits f32 huge": (
        lambda L, a, t: F(L).binary_cross_entropy_with_logits(a, t),
        _X32,
        (_X32 > 0).astype(np.float32),
    ),
    "softplus f32 huge": (lambda L, a: F(L).softplus(a), _X32),
    "logsigmoid huge": (lambda L, a: F(L).logsigmoid(a), _X32.astype(np.float64) * 10),
    "elu/gelu/silu huge": (
        lambda L, a: (F(L).elu(a), F(L).gelu(a), F(L).gelu(a, approximate="tanh"), F(L).silu(a)),
        np.array([-1000.0, 1000, 0, -6, 6]),
    ),
    "kl log_target huge": (
        lambda L, a, t: F(L).kl_div(a, t, log_target=True, reduction="sum"),
        np.log(np.array([[0.5, 0.5]])),
        np.array([[-1000.0, 0]]),
    ),
    # kinks: the subgradient PyTorch picks
    "multi_margin margin 0 ties": (
        lambda L, a, t: (F(L).multi_margin_loss(a, t, margin=0.0), F(L).multi_margin_loss(a, t)),
        np.array([[1.0, 1, 1], [1, 0, 1]]),
        np.array([0, 0]),
    ),
    "smooth_l1/huber at the joint": (
        lambda L, a, t: (F(L).smooth_l1_loss(a, t, beta=1.0), F(L).huber_loss(a, t, delta=1.0)),
        np.array([1.0, -1, 0]),
        np.zeros(3),
    ),
    "l1 at 0": (lambda L, a, t: F(L).l1_loss(a, t), np.array([1.0, 0]), np.array([1.0, 0])),
    "activations at 0 and bounds": (
        lambda L, a: (
            F(L).leaky_relu(a, 0.2),
            F(L).elu(a, 2.0),
            F(L).hardtanh(a),
            F(L).relu6(a * 6),
            F(L).softplus(a, beta=1, threshold=1),
        ),
        np.array([0.0, 1, -1, 0.5, 2]),
    ),
    "prelu at 0": (lambda L, a, w: F(L).prelu(a, w), np.array([[0.0, 1, -1]]), np.array([0.3])),
    "max pools with ties": (
        lambda L, a: (F(L).max_pool2d(a, 2, stride=1), F(L).adaptive_max_pool2d(a, 2)),
        np.ones((1, 1, 3, 3)),
    ),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_extremes_and_kinks_match_torch(name):
    fn, *arrays = EDGE_CASES[name]
    f32 = any(np.asarray(a).dtype == np.float32 for a in arrays)
    tol = 1e-5 if f32 else 1e-8
    check_parity(fn, *arrays, atol=tol, rtol=max(tol, 1e-6))


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_scale_grad_by_freq(padding_idx):
    """Each row's gradient divided by how often its index occurs in the batch (PyTorch)."""
    rng = np.random.default_rng(13)
    w = rng.standard_normal((5, 3))
    idx = np.array([[0, 1, 1], [4, 1, 0], [3, 3, 1]])
    check_parity(
        lambda L, wt, i: F(L).embedding(i, wt, padding_idx=padding_idx, scale_grad_by_freq=True),
        w,
        idx,
    )
    h = hosila.nn.Embedding(5, 3, padding_idx=padding_idx, scale_grad_by_freq=True).double()
    t = torch.nn.Embedding(5, 3, padding_idx=padding_idx, scale_grad_by_freq=True).double()
    h.weight.data[...] = t.weight.detach().numpy()
    h(hosila.tensor(idx)).sum().backward()
    t(torch.tensor(idx)).sum().backward()
    np.testing.assert_allclose(h.weight.grad, t.weight.grad.numpy())
    assert repr(h) == repr(t)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_regression_losses(name, reduction):
    """PyTorch 2.13's element weights: mse/l1 "mean" is Σwℓ/Σw, huber's is mean(wℓ); a weight
    of another shape is a ValueError in both."""
    rng = np.random.default_rng(14)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4)) + 0.1
    check_parity(
        lambda L, x, y, wt: getattr(F(L), name)(x, y, reduction=reduction, weight=wt.detach()),
        a,
        b,
        w,
    )
    for L in (hosila, torch):
        with pytest.raises(ValueError):
            getattr(F(L), name)(L.tensor(a), L.tensor(b), weight=L.tensor(w[:, :1]))
