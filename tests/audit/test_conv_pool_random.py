"""Random conv2d / pooling configurations (groups, stride, dilation, padding, ceil_mode,
count_include_pad, adaptive output sizes larger and smaller than the input) against PyTorch,
forward and gradients, float64."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.parity import check_parity


def F(lib):
    return lib.nn.functional


pair = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**16),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 2),
    pair,
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.integers(3, 7), st.integers(3, 7)),
    st.booleans(),
)
def test_conv2d_random_config(seed, groups, cin_g, cout_g, k, stride, dil, pad, hw, bias):
    h, w = hw
    assume(h + 2 * pad[0] >= dil[0] * (k[0] - 1) + 1 and w + 2 * pad[1] >= dil[1] * (k[1] - 1) + 1)
    rng = np.random.default_rng(seed)
    cin, cout = groups * cin_g, groups * cout_g
    x = rng.standard_normal((2, cin, h, w))
    wt = rng.standard_normal((cout, cin_g, *k))
    b = rng.standard_normal(cout)

    def f(L, a, ww, bb):
        return F(L).conv2d(a, ww, bb if bias else None, stride, pad, dil, groups)

    check_parity(f, x, wt, b)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(0, 2**16),
    pair,
    pair,
    st.tuples(st.integers(0, 1), st.integers(0, 1)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.booleans(),
    st.booleans(),
    st.tuples(st.integers(3, 7), st.integers(3, 7)),
)
def test_pools_random_config(seed, k, stride, pad, dil, ceil, count_pad, hw):
    h, w = hw
    assume(all(p <= kk // 2 for p, kk in zip(pad, k, strict=True)))
    assume(h + 2 * pad[0] >= dil[0] * (k[0] - 1) + 1 and w + 2 * pad[1] >= dil[1] * (k[1] - 1) + 1)
    x = np.random.default_rng(seed).standard_normal((2, 2, h, w))
    check_parity(lambda L, a: F(L).max_pool2d(a, k, stride, pad, dil, ceil_mode=ceil), x)
    check_parity(
        lambda L, a: F(L).avg_pool2d(
            a, k, stride, pad, ceil_mode=ceil, count_include_pad=count_pad
        ),
        x,
    )


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**16), st.tuples(st.integers(3, 7), st.integers(3, 7)), pair, pair)
def test_adaptive_pools_random_sizes(seed, hw, out_small, grow):
    x = np.random.default_rng(seed).standard_normal((2, 2, *hw))
    for size in (out_small, (hw[0] + grow[0], hw[1] - grow[1] + 1)):
        check_parity(
            lambda L, a, s=size: (F(L).adaptive_avg_pool2d(a, s), F(L).adaptive_max_pool2d(a, s)), x
        )
