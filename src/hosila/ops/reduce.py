"""Reductions and the normalising ops built on them (softmax, log-softmax, logsumexp).

``axes`` is always a sorted tuple of non-negative axes (``autograd.normalize_dims`` makes it).
A reduction's backward puts the reduced axes back (size 1) and lets the gradient flow to every
element that contributed: all of them for sum and mean, the selected ones for max and min.
"""

from __future__ import annotations

from hosila.autograd import Function


def _expand(xp, g, shape):
    """``g`` (broadcastable) stretched to ``shape`` as a fresh array: cheaper than a
    broadcast view for small results, and a leaf can keep it as its ``.grad`` uncopied."""
    if g.shape == shape:
        return g
    out = xp.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


_ONES: dict = {}


def _sum_keep(xp, x, axis):
    """``x`` summed over ``axis``, keeping it (size 1). Over the last axis of a contiguous
    float array this is a matrix-vector product with ones (BLAS), several times faster than
    ``add.reduce`` for the row sums of softmax."""
    if axis == x.ndim - 1 and x.dtype.kind == "f" and x.ndim and x.flags.c_contiguous:
        key = (x.shape[-1], x.dtype)
        ones = _ONES.get(key)
        if ones is None:
            ones = _ONES[key] = xp.ones((x.shape[-1], 1), dtype=x.dtype)
        return x @ ones
    return xp.add.reduce(x, axis=axis, keepdims=True)


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
        return self.xp.add.reduce(a, axis=axes, keepdims=keepdim, dtype=a.dtype)

    def backward(self, grad):
        return _expand(self.xp, _keep(grad, self.axes, self.keepdim), self.shape)


class Mean(Function):
    def forward(self, a, axes, keepdim=False):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        self.n = n
        with self.xp.errstate(invalid="ignore", divide="ignore"):
            return self.xp.add.reduce(a, axis=axes, keepdims=keepdim) / n

    def backward(self, grad):
        g = _keep(grad, self.axes, self.keepdim) * (1.0 / self.n if self.n else self.xp.nan)
        return _expand(self.xp, g, self.shape)


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
        centred = a - xp.add.reduce(a, axis=axes, keepdims=True) / n
        dof = n - correction
        with xp.errstate(divide="ignore", invalid="ignore"):
            out = xp.add.reduce(centred * centred, axis=axes, keepdims=True) / (
                dof if dof > 0 else 0.0
            )
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


class Prod(Function):
    """Product along ``axis``. d/da_i = Π_{j≠i} a_j, computed as the product of the running
    products before and after i, so zeros in the input need no division (exact)."""

    def forward(self, a, axis, keepdim=False):
        self.saved = (a,)
        self.axis, self.keepdim = axis, keepdim
        return self.xp.prod(a, axis=axis, keepdims=keepdim)

    def backward(self, grad):
        xp = self.xp
        (a,) = self.saved
        ax = self.axis
        ones = xp.ones_like(xp.take(a, [0], axis=ax))
        before = xp.concatenate([ones, xp.cumprod(a, axis=ax)], axis=ax)
        after = xp.flip(xp.cumprod(xp.flip(a, ax), axis=ax), ax)
        after = xp.concatenate([after, ones], axis=ax)
        n = a.shape[ax]
        others = xp.take(before, range(n), axis=ax) * xp.take(after, range(1, n + 1), axis=ax)
        return _keep(grad, (ax,), self.keepdim) * others


class VectorNorm(Function):
    """‖a‖_p over ``axes``: (Σ|a|^p)^(1/p); p = inf is max|a|, p = 1 is Σ|a|, p = 0 is
    the number of nonzeros (gradient 0).

    d/da = sign(a)·|a|^(p−1) / ‖a‖^(p−1) (a/‖a‖ for p = 2), taken as 0 where ‖a‖ = 0, as
    PyTorch does; for p = ±inf the gradient is shared evenly between the tied extremes.
    """

    def forward(self, a, axes, p=2.0, keepdim=False):
        xp = self.xp
        m = xp.abs(a)
        if p == 2:
            out = xp.sqrt(xp.add.reduce(m * m, axis=axes, keepdims=True))
        elif p == 1:
            out = xp.add.reduce(m, axis=axes, keepdims=True)
        elif p == float("inf"):
            out = xp.maximum.reduce(m, axis=axes, keepdims=True)
        elif p == float("-inf"):
            out = xp.minimum.reduce(m, axis=axes, keepdims=True)
        elif p == 0:
            out = xp.add.reduce(m != 0, axis=axes, keepdims=True, dtype=a.dtype)
        else:
            out = xp.add.reduce(m**p, axis=axes, keepdims=True) ** (1.0 / p)
        self.saved = (a, m, out)
        self.axes, self.p, self.keepdim = axes, p, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        xp = self.xp
        a, m, out = self.saved
        g = _keep(grad, self.axes, self.keepdim)
        p = self.p
        if p == 0:  # a count: piecewise constant
            return xp.zeros_like(a)
        if p == 1:
            return g * xp.sign(a)
        if p in (float("inf"), float("-inf")):
            hit = m == out
            count = xp.add.reduce(hit, axis=self.axes, keepdims=True, dtype=grad.dtype)
            return xp.sign(a) * hit * (g / count)
        with xp.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                scale = xp.where(out == 0, 0, g / out)
                return a * scale
            scale = xp.where(out == 0, 0, g / out ** (p - 1))
            return xp.sign(a) * m ** (p - 1) * scale


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
        xp = self.xp
        out = (xp.maximum if self.mode == "max" else xp.minimum).reduce(a, axis=axes, keepdims=True)
        self.saved = (a, out)
        self.axes, self.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        a, out = self.saved
        mask = a == out
        count = self.xp.add.reduce(mask, axis=self.axes, keepdims=True, dtype=grad.dtype)
        return mask * (_keep(grad, self.axes, self.keepdim) / count)


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
        m = xp.maximum.reduce(a, axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        e = xp.subtract(a, m, out=xp.empty(a.shape, a.dtype))
        xp.exp(e, out=e)
        out = xp.log(xp.add.reduce(e, axis=axes, keepdims=True)) + m
        self.saved = (a, out)
        self.axes, self.keepdim = axes, keepdim
        return out if keepdim else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad):
        xp = self.xp
        a, out = self.saved
        # d/da logsumexp(a) = softmax(a) = exp(a − logsumexp(a))
        s = xp.subtract(a, out, out=xp.empty(a.shape, a.dtype))
        xp.exp(s, out=s)
        return xp.multiply(s, _keep(grad, self.axes, self.keepdim), out=s)


class Softmax(Function):
    """softmax(a)_i = exp(a_i − max) / Σ_j exp(a_j − max) along ``axis``.

    Temporaries are reused in place (``out=``): one fresh array per pass.
    """

    def forward(self, a, axis):
        xp = self.xp
        e = xp.subtract(
            a, xp.maximum.reduce(a, axis=axis, keepdims=True), out=xp.empty(a.shape, a.dtype)
        )
        xp.exp(e, out=e)
        xp.divide(e, _sum_keep(xp, e, axis), out=e)
        self.saved, self.axis = (e,), axis
        return e

    def backward(self, grad):
        xp = self.xp
        s = self.saved[0]
        # J = diag(s) − s sᵀ, so Jᵀg = s ⊙ (g − Σ g⊙s)
        t = xp.multiply(grad, s, out=xp.empty(s.shape, s.dtype))
        xp.subtract(grad, _sum_keep(xp, t, self.axis), out=t)
        return xp.multiply(t, s, out=t)


class LogSoftmax(Function):
    """log softmax(a) = a − logsumexp(a) along ``axis`` (stable for large logits)."""

    def forward(self, a, axis):
        xp = self.xp
        shifted = xp.subtract(
            a, xp.maximum.reduce(a, axis=axis, keepdims=True), out=xp.empty(a.shape, a.dtype)
        )
        lse = xp.log(_sum_keep(xp, xp.exp(shifted), axis))
        out = xp.subtract(shifted, lse, out=shifted)
        self.saved, self.axis = (out,), axis
        return out

    def backward(self, grad):
        xp = self.xp
        out = self.saved[0]
        # d/da_j Σ_i g_i (a_i − lse) = g_j − softmax_j Σ_i g_i
        e = xp.exp(out, out=xp.empty(out.shape, out.dtype))
        xp.multiply(e, _sum_keep(xp, grad, self.axis), out=e)
        return xp.subtract(grad, e, out=e)


class CumProd(Function):
    """Running product along ``axis``.

    Backward: d out_j / d a_k = prod_{i≤j, i≠k} a_i for j ≥ k. Without zeros along the axis
    that is out_j / a_k, so grad_a = reverse_cumsum(grad·out) / a. With a zero, the exact
    form is used: grad_a_k = P(<k) · Σ_{j≥k} grad_j · P(k+1..j), the partial products P taken
    from an (n, n) table per row (O(n²) memory: only when a zero occurs).
    """

    def forward(self, a, axis):
        self.saved, self.axis = (a,), axis
        self.out = self.xp.cumprod(a, axis=axis)
        return self.out

    def backward(self, grad):
        xp, (a,), ax = self.xp, self.saved, self.axis
        if a.all():
            rev = xp.flip(xp.cumsum(xp.flip(grad * self.out, axis=ax), axis=ax), axis=ax)
            return rev / a
        a_l = xp.moveaxis(a, ax, -1)
        g_l = xp.moveaxis(grad, ax, -1)
        n = a_l.shape[-1]
        prefix = xp.concatenate(
            [xp.ones_like(a_l[..., :1]), xp.cumprod(a_l[..., :-1], axis=-1)], axis=-1
        )  # P(<k)
        k = xp.arange(n)
        after = k[None, :] > k[:, None]  # [k, j]: j > k
        table = xp.where(after, a_l[..., None, :], 1)  # (..., k, j)
        partial = xp.cumprod(table, axis=-1)  # P(k+1..j) for j ≥ k
        upper = k[None, :] >= k[:, None]
        summed = (xp.where(upper, partial, 0) * g_l[..., None, :]).sum(axis=-1)
        return xp.moveaxis(prefix * summed, -1, ax)
