"""Linear-algebra primitives.

``MatMul`` follows PyTorch's (and NumPy's) ``matmul`` rules: 1-D × 1-D is a dot product; a 1-D
operand is treated as a row (left) or column (right) vector and that axis is dropped from the
result; operands with more than two dimensions are stacks of matrices whose batch dimensions
broadcast.
"""

from __future__ import annotations

from hosila.autograd import Function, unbroadcast


class MatMul(Function):
    """out = a @ b.  For 2-D operands: dL/da = g @ bᵀ, dL/db = aᵀ @ g."""

    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if need_a else None), (grad * a if need_b else None)
        # Treat 1-D operands as matrices, and give grad the matching axes back.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if need_a:
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape)
            if ga.shape != a.shape:  # (a reshape of same shape would make a needless view)
                ga = ga.reshape(a.shape)
        if need_b:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape)
            if gb.shape != b.shape:
                gb = gb.reshape(b.shape)
        return ga, gb
