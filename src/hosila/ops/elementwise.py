"""Elementwise primitives: each output element depends on the matching input elements.

Each class is one op: ``forward`` computes the result from NumPy arrays (saving what the
gradient needs), ``backward`` turns dL/d(out) into dL/d(input) for each input — the local
derivative times the upstream gradient, the chain rule of the first lecture. Broadcasting in
binary ops is undone by the engine (``autograd.unbroadcast``), so the rules below are written
as if all shapes were equal.
"""

from __future__ import annotations

from typing import Any

from hosila.autograd import Function


def _masked(xp, grad, mask):
    """``grad`` where ``mask`` is true, exactly 0 elsewhere (``where(mask, grad, 0)``).

    A product with the bool mask is many times faster than ``where`` on large random masks;
    it is used unless ``grad`` holds inf/nan (where 0·inf would give nan).
    """
    out = grad * mask
    if out.dtype != grad.dtype:
        out = out.astype(grad.dtype)
    if not xp.isfinite(grad).all():
        return xp.where(mask, grad, xp.zeros((), dtype=grad.dtype))
    return out


# ---- arithmetic -----------------------------------------------------------------------------


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    def forward(self, a, b):
        self.saved = (a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Function):
    def forward(self, a, b):
        out = a / b
        self.saved = (b, out)
        return out

    def backward(self, grad):
        b, out = self.saved
        ga = grad / b
        # d(a/b)/db = -a/b² = -(a/b)/b
        gb = -ga * out if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Pow(Function):
    """``a ** b`` for a tensor or constant base and exponent.

    d/da = b·a^(b−1);  d/db = a^b·ln a (taken as 0 where a = 0 and b ≥ 0, as PyTorch does).
    """

    def forward(self, a, b):
        xp = self.xp
        out = xp.power(a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad):
        xp = self.xp
        a, b, out = self.saved
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        with xp.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                # an exponent of 0 has derivative 0 everywhere (also at a = 0), as in PyTorch
                if isinstance(b, xp.ndarray):
                    ga = xp.where(b == 0, 0, grad * b * xp.power(a, b - 1))
                elif b == 0:
                    ga = xp.zeros_like(grad)
                elif b == 2:
                    ga = grad * (2 * a)
                else:
                    ga = grad * b * xp.power(a, b - 1)
            if need_b:
                log_a = xp.log(xp.where((a == 0) & (b >= 0), 1, a))
                gb = grad * out * log_a
        return ga, gb


# ---- unary math -----------------------------------------------------------------------------


class Exp(Function):
    def forward(self, a):
        out = self.xp.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * self.saved[0]


class Log(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.log(a)

    def backward(self, grad):
        return grad / self.saved[0]


class Sqrt(Function):
    def forward(self, a):
        out = self.xp.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad / (2 * self.saved[0])


class Abs(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.abs(a)

    def backward(self, grad):
        return grad * self.xp.sign(self.saved[0])


class Sin(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.sin(a)

    def backward(self, grad):
        return grad * self.xp.cos(self.saved[0])


class Cos(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.cos(a)

    def backward(self, grad):
        return -grad * self.xp.sin(self.saved[0])


class Log1p(Function):
    """log(1 + a), accurate for small a."""

    def forward(self, a):
        self.saved = (a,)
        return self.xp.log1p(a)

    def backward(self, grad):
        return grad / (1 + self.saved[0])


class Expm1(Function):
    """exp(a) − 1, accurate for small a."""

    def forward(self, a):
        out = self.xp.expm1(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * (self.saved[0] + 1)


class Rounding(Function):
    """``floor``, ``ceil``, ``round``, ``trunc`` or ``sign``: piecewise constant, so the
    gradient is zero everywhere (PyTorch's convention)."""

    def forward(self, a, fn):
        self.shape = a.shape
        return getattr(self.xp, fn)(a)

    def backward(self, grad):
        return self.xp.zeros(self.shape, dtype=grad.dtype)


class Remainder(Function):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``).

    a − b·floor(a/b): d/da = 1, d/db = −floor(a/b).
    """

    def forward(self, a, b):
        self.saved = (a, b)
        return self.xp.remainder(a, b)

    def backward(self, grad):
        a, b = self.saved
        gb = -grad * self.xp.floor_divide(a, b) if self.needs_input_grad[1] else None
        return grad, gb


class FloorDivide(Function):
    """``a // b`` rounded toward −inf. Not differentiable: backward raises, as in PyTorch."""

    def forward(self, a, b):
        return self.xp.floor_divide(a, b)

    def backward(self, grad):
        raise RuntimeError("floor_divide: the derivative of // is not implemented (as in PyTorch)")


class RoundedDiv(Function):
    """``a / b`` rounded toward zero (``"trunc"``) or toward −inf (``"floor"``), PyTorch's
    ``div(rounding_mode=)``. Integers stay integers (exact, no float round trip). The result
    is piecewise constant, so both gradients are 0, as in PyTorch."""

    def forward(self, a, b, mode):
        xp = self.xp
        if xp.result_type(a, b).kind in "iu":
            q = xp.floor_divide(a, b)
            if mode == "trunc":  # floor is one below trunc where the signs differ, inexact
                q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
            return q
        with xp.errstate(divide="ignore", invalid="ignore"):
            return xp.trunc(a / b) if mode == "trunc" else xp.floor_divide(a, b)

    def backward(self, grad):
        zero = self.xp.zeros_like(grad)  # the engine sums it back to each input's shape
        return tuple(zero if need else None for need in self.needs_input_grad)


# ---- activations ----------------------------------------------------------------------------


class Tanh(Function):
    def forward(self, a):
        out = self.xp.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return grad * (1 - out * out)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^(−x)), computed as ½(1 + tanh(x/2)): no overflow for any x."""

    def forward(self, a):
        xp = self.xp
        out = xp.multiply(a, 0.5, out=xp.empty(a.shape, a.dtype))
        xp.tanh(out, out=out)
        out += 1
        out *= 0.5
        self.saved = (out,)
        return out

    def backward(self, grad):
        xp = self.xp
        out = self.saved[0]
        t = xp.subtract(1, out, out=xp.empty(out.shape, out.dtype))
        t *= out
        return xp.multiply(t, grad, out=t)


class ReLU(Function):
    def forward(self, a):
        out = self.xp.maximum(a, 0)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return _masked(self.xp, grad, self.saved[0] > 0)


# ---- selection ------------------------------------------------------------------------------


class Clamp(Function):
    """Clip to [lo, hi] (either may be None). The gradient passes where lo ≤ x ≤ hi."""

    def forward(self, a, lo=None, hi=None):
        self.saved = (a, lo, hi)
        return self.xp.clip(a, lo, hi)

    def backward(self, grad):
        a, lo, hi = self.saved
        mask = True
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = mask & (a <= hi)
        return grad * mask


class ClampTensor(Function):
    """Clip to tensor bounds ``lo`` and/or ``hi`` (broadcasting; either may be None).

    out = min(max(a, lo), hi). The gradient goes to ``a`` where lo ≤ a ≤ hi, to ``lo`` where
    a < lo, to ``hi`` where a > hi; where lo > hi the result is ``hi`` and so is the gradient.
    """

    def forward(self, a, lo, hi):
        xp = self.xp
        out = a if lo is None else xp.maximum(a, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        self.saved = (a, lo, hi)
        return out

    def backward(self, grad):
        xp = self.xp
        a, lo, hi = self.saved
        keep = True
        glo = ghi = None
        if lo is not None:
            below = a < lo
            keep = ~below
            if hi is not None:
                below = below & (lo <= hi)
            glo = _masked(xp, grad, below)
        if hi is not None:
            above = a > hi
            if lo is not None:
                above = above | (lo > hi)
            keep = keep & ~above
            ghi = _masked(xp, grad, above)
        return _masked(xp, grad, xp.broadcast_to(keep, grad.shape)), glo, ghi


class Maximum(Function):
    """Elementwise max; where a == b the gradient is split in half between them (PyTorch)."""

    def forward(self, a, b):
        self.saved = (a, b)
        return self.xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        wa = (a > b) + 0.5 * (a == b)
        return grad * wa, grad * (1 - wa)


class Minimum(Function):
    """Elementwise min; where a == b the gradient is split in half between them (PyTorch)."""

    def forward(self, a, b):
        self.saved = (a, b)
        return self.xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved
        wa = (a < b) + 0.5 * (a == b)
        return grad * wa, grad * (1 - wa)


class Where(Function):
    """``where(cond, a, b)``: a where cond is true, else b. ``cond`` gets no gradient."""

    def forward(self, cond, a, b):
        self.saved = (cond,)
        return self.xp.where(cond, a, b)

    def backward(self, grad):
        xp = self.xp
        cond = self.saved[0]
        need_a, need_b = self.needs_input_grad[1:]
        ga = _masked(xp, grad, cond) if need_a else None
        gb = _masked(xp, grad, ~cond) if need_b else None
        return None, ga, gb


__all__: list[Any] = [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Pow",
    "Exp",
    "Log",
    "Sqrt",
    "Abs",
    "Sin",
    "Cos",
    "Tanh",
    "Sigmoid",
    "ReLU",
    "Clamp",
    "ClampTensor",
    "Log1p",
    "Expm1",
    "Rounding",
    "Remainder",
    "FloorDivide",
    "Maximum",
    "Minimum",
    "Where",
]


class Erf(Function):
    """The error function; d/dx erf(x) = (2/√π)·e^(−x²). Values from ``ops.nn.erf``."""

    def forward(self, a):
        from hosila.ops.nn import erf

        self.saved = (a,)
        return erf(self.xp, a)

    def backward(self, grad):
        (a,) = self.saved
        return grad * (1.1283791670955126 * self.xp.exp(-a * a))  # 2/√π


class Log2(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.log2(a)

    def backward(self, grad):
        return grad / (self.saved[0] * 0.6931471805599453)  # ln 2


class Log10(Function):
    def forward(self, a):
        self.saved = (a,)
        return self.xp.log10(a)

    def backward(self, grad):
        return grad / (self.saved[0] * 2.302585092994046)  # ln 10
