"""Reductions and the normalising ops built on them (softmax, log-softmax, logsumexp).

``axes`` is always a sorted tuple of non-negative axes (``autograd.normalize_dims`` makes it).
A reduction's backward puts the reduced axes back (size 1) and lets the gradient flow to every
element that contributed: all of them for sum and mean, the selected ones for max and min.
"""

from __future__ import annotations

from hosila.autograd import Function


def _keep(grad, axes, keepdim):
    """Re-insert the reduced ``axes`` as size-1 dimensions when they were dropped."""
    if keepdim or not axes:
        return grad
    shape = list(grad.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return grad.reshape(shape)


class Sum(Function):
    def forward(self, a, axes, keepdim=False):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        g = _keep(grad, self.axes, self.keepdim)
        return self.xp.broadcast_to(g, self.shape)


class Mean(Function):
    def forward(self, a, axes, keepdim=False):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        self.n = n
        return a.mean(axis=axes, keepdims=keepdim)

    def backward(self, grad):
        g = _keep(grad, self.axes, self.keepdim) / self.n
        return self.xp.broadcast_to(g, self.shape)


class Var(Function):
    """Variance over ``axes`` with ``correction`` (Bessel's: divide by N − correction); with
    ``take_sqrt`` the standard deviation.

    d var/da = 2 (a − mean) / (N − correction); d std/da = that / (2 std), taken as 0 where
    std = 0 (a constant input), as PyTorch does.
    """

    def forward(self, a, axes, correction=1, keepdim=False, take_sqrt=False):
        xp = self.xp
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        centred = a - a.mean(axis=axes, keepdims=True)
        dof = n - correction
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = (centred * centred).sum(axis=axes, keepdims=True) / (dof if dof > 0 else 0.0)
        if take_sqrt:
            out = xp.sqrt(out)
        self.saved = (centred, out)
        self.axes, self.keepdim, self.dof, self.take_sqrt = axes, keepdim, dof, take_sqrt
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        xp = self.xp
        centred, out = self.saved
        g = _keep(grad, self.axes, self.keepdim)
        with xp.errstate(divide="ignore", invalid="ignore"):
            if self.take_sqrt:
                g = xp.where(out == 0, 0, g / (2 * out))
            scale = 2.0 / self.dof if self.dof > 0 else xp.inf
            return g * (scale * centred)


class CumSum(Function):
    """Running sum along ``axis``; backward is the running sum of the gradient from the end."""

    def forward(self, a, axis, dtype=None):
        self.axis = axis
        return self.xp.cumsum(a, axis=axis, dtype=dtype)

    def backward(self, grad):
        xp = self.xp
        return xp.flip(xp.cumsum(xp.flip(grad, self.axis), axis=self.axis), self.axis)


class AMax(Function):
    """Max over ``axes``; the gradient is shared evenly between tied maxima (PyTorch's amax)."""

    mode = "max"

    def forward(self, a, axes, keepdim=False):
        out = (
            a.max(axis=axes, keepdims=True)
            if self.mode == "max"
            else a.min(axis=axes, keepdims=True)
        )
        self.saved = (a, out)
        self.axes, self.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        a, out = self.saved
        mask = a == out
        count = mask.sum(axis=self.axes, keepdims=True)
        return _keep(grad, self.axes, self.keepdim) * mask / count


class AMin(AMax):
    """Min over ``axes``; the gradient is shared evenly between tied minima (PyTorch's amin)."""

    mode = "min"


class TakeAlongDim(Function):
    """Pick one element along ``axis`` at ``index`` (the values of ``max(dim)``/``min(dim)``).

    ``index`` has the input's shape with ``axis`` of size 1; the gradient goes to exactly the
    picked elements.
    """

    def forward(self, a, index, axis, keepdim=False):
        self.shape, self.index, self.axis, self.keepdim = a.shape, index, axis, keepdim
        out = self.xp.take_along_axis(a, index, axis=axis)
        return out if keepdim else out.squeeze(axis)

    def backward(self, grad):
        xp = self.xp
        g = grad if self.keepdim else xp.expand_dims(grad, self.axis)
        full = xp.zeros(self.shape, dtype=grad.dtype)
        xp.put_along_axis(full, self.index, g, axis=self.axis)
        return full


class LogSumExp(Function):
    """log Σ exp(a) over ``axes``, shifted by the max so that ±1e4 stays finite."""

    def forward(self, a, axes, keepdim=False):
        xp = self.xp
        m = a.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(a - m).sum(axis=axes, keepdims=True)) + m
        self.saved = (a, out)
        self.axes, self.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        a, out = self.saved
        # d/da logsumexp(a) = softmax(a)
        return _keep(grad, self.axes, self.keepdim) * self.xp.exp(a - out)


class Softmax(Function):
    """softmax(a)_i = exp(a_i − max) / Σ_j exp(a_j − max) along ``axis``."""

    def forward(self, a, axis):
        e = self.xp.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        self.saved, self.axis = (out,), axis
        return out

    def backward(self, grad):
        s = self.saved[0]
        # J = diag(s) − s sᵀ, so Jᵀg = s ⊙ (g − Σ g⊙s)
        return s * (grad - (grad * s).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """log softmax(a) = a − logsumexp(a) along ``axis`` (stable for large logits)."""

    def forward(self, a, axis):
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - self.xp.log(self.xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.saved, self.axis = (out,), axis
        return out

    def backward(self, grad):
        out = self.saved[0]
        return grad - self.xp.exp(out) * grad.sum(axis=self.axis, keepdims=True)
