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
        out = 0.5 * (1 + self.xp.tanh(0.5 * a))
        self.saved = (out,)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return grad * out * (1 - out)


class ReLU(Function):
    def forward(self, a):
        out = self.xp.maximum(a, 0)
        self.saved = (out,)
        return out

    def backward(self, grad):
        return grad * (self.saved[0] > 0)


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
        cond = self.saved[0]
        zero = self.xp.zeros((), dtype=grad.dtype)
        return None, self.xp.where(cond, grad, zero), self.xp.where(cond, zero, grad)


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
    "Maximum",
    "Minimum",
    "Where",
]
