"""Every op keeps float32 as float32 (no silent float64 upcast in forward or backward) and
agrees with PyTorch in float32 to float32 precision."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import hosila
from tests.tensor._ops import rand
from tests.tensor.test_elementwise import BINARY, UNARY
from tests.tensor.test_reduce import REDUCE
from tests.tensor.test_shape import INDEX, MORE, SHAPE

CASES = (
    [(f"unary:{k}", fn, 1) for k, (fn, _) in UNARY.items()]
    + [(f"binary:{k}", fn, 2) for k, (fn, _) in BINARY.items()]
    + [(f"reduce:{k}", fn, 1) for k, fn in REDUCE.items()]
    + [(f"shape:{k}", fn, 1) for k, fn in {**SHAPE, **INDEX, **MORE}.items()]
)


def _outputs(out):
    return [o for o in (out if isinstance(out, tuple | list) else [out]) if o is not None]


@pytest.mark.parametrize("name,fn,n", CASES, ids=[c[0] for c in CASES])
def test_float32_in_float32_out_and_close_to_torch(name, fn, n):
    arrays = [(rand(2, 3, 4, seed=i, low=0.5, high=2.0)).astype(np.float32) for i in range(n)]
    hs = [hosila.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    with np.errstate(all="ignore"):
        h_out, t_out = _outputs(fn(hosila, *hs)), _outputs(fn(torch, *ts))
        for ho, to in zip(h_out, t_out, strict=True):
            assert ho.dtype == np.dtype(str(to.dtype).replace("torch.", "")), name
            np.testing.assert_allclose(ho.data, to.detach().numpy(), rtol=2e-5, atol=1e-5)
        diff = [(ho, to) for ho, to in zip(h_out, t_out, strict=True) if to.requires_grad]
        if not diff:
            return
        hosila.autograd.backward([h for h, _ in diff], [hosila.ones_like(h) for h, _ in diff])
        torch.autograd.backward([t for _, t in diff], [torch.ones_like(t) for _, t in diff])
    for h, t in zip(hs, ts, strict=True):
        if t.grad is None:
            continue
        assert h.grad is not None and h.grad.dtype == np.float32, name
        np.testing.assert_allclose(h.grad, t.grad.numpy(), rtol=2e-5, atol=1e-4)
