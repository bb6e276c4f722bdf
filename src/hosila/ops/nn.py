"""Fused primitives of the neural-network layers and losses (``hosila.nn.functional``).

Each could be written from smaller ops; they are fused because a layer runs on every batch
(speed: one pass instead of five temporaries) or because the composite is numerically fragile
(log-softmax + NLL, the logistic loss on logits). As everywhere in ``hosila.ops``, ``forward``
takes NumPy arrays and saves what ``backward`` needs; ``backward`` returns one gradient per
positional input (``None`` for constants), in the input's shape or one that broadcasts to it
(the engine sums broadcast axes back, so a per-channel weight's gradient is summed for us).
"""

from __future__ import annotations

import math

from hosila.autograd import Function

# ---- linear layer ---------------------------------------------------------------------------


class Linear(Function):
    """out = x Wᵀ + b, x: (*, in), W: (out, in), b: (out,) or None.

    dL/dx = g W;  dL/dW = gᵀ x (over all leading dims);  dL/db = Σ g over leading dims.
    """

    def forward(self, x, weight, bias=None):
        self.saved = (x, weight)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, grad):
        x, weight = self.saved
        need_x, need_w = self.needs_input_grad[:2]
        need_b = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        g2 = grad.reshape(-1, grad.shape[-1])
        gx = (grad @ weight) if need_x else None
        gw = (g2.T @ x.reshape(-1, x.shape[-1])) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb


# ---- dropout --------------------------------------------------------------------------------


class Dropout(Function):
    """Inverted dropout: out = x · mask / (1 − p), mask ~ Bernoulli(1 − p), drawn from ``rng``.

    Scaling at train time keeps E[out] = x, so evaluation is the identity. p = 1 zeroes all.
    """

    def forward(self, x, p, rng):
        keep = rng.random(x.shape, dtype=self.xp.float32) >= p
        scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
        self.mask = keep * x.dtype.type(scale)  # the scaled mask, in x's dtype
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask


# ---- normalisation --------------------------------------------------------------------------


class NormalizeAffine(Function):
    """y = (x − mean) / sqrt(var + eps) · w + b, the statistics taken over ``axes`` of x.

    ``w`` and ``b`` (or None) broadcast against x: (1, C, 1, 1) for batch norm, the normalised
    shape for layer norm, (G, C/G, 1) against x viewed as (N, G, C/G, HW) for group norm.
    ``stats``, a list, receives ``(mean, var)`` (biased variance, kept dims) for batch norm's
    running statistics.

    With x̂ = (x − mean)·s the normalised input (s = 1/sqrt(var + eps)), ĝ = g·w and n the
    number of elements each statistic covers, the backward of normalisation is (Ioffe &
    Szegedy 2015, §3, in its compact form)
        dx = s · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)),
    dw = g · x̂ and db = g, summed over the axes w and b were broadcast along.

    When w is constant along ``axes`` (batch norm: one weight per channel, statistics over the
    other axes) the sums Σg and Σg·(x − mean) give dw and db directly and dx is one
    per-channel affine combination of g and x − mean: seven passes over the data, no x̂ stored.
    """

    def forward(self, x, w, b, axes, eps, stats=None):
        xp = self.xp
        mean = x.mean(axis=axes, keepdims=True)
        centred = x - mean
        var = _sum_prod(xp, centred, centred, axes, mean.shape) / (x.size // mean.size)
        invstd = 1.0 / xp.sqrt(var + eps)
        if stats is not None:
            stats.append((mean, var))
        self.axes = axes
        self.n = x.size // mean.size
        self.b_shape = None if b is None else b.shape
        self.per_stat = all(
            p is None or all(_size_along(p, x.ndim, a) == 1 for a in axes) for p in (w, b)
        )
        if self.per_stat:
            self.saved = (centred, invstd, w)
            out = centred * (invstd if w is None else invstd * w)
        else:
            xhat = centred * invstd
            self.saved = (xhat, invstd, w)
            out = xhat * w if w is not None else xhat.copy()
        if b is not None:
            out += b
        return out

    def backward(self, grad):
        centred, invstd, w = self.saved
        needs = self.needs_input_grad
        axes, n = self.axes, self.n
        if self.per_stat:
            sum_g = grad.sum(axis=axes, keepdims=True)
            sum_gc = _sum_prod(self.xp, grad, centred, axes, invstd.shape)
            gx = None
            if needs[0]:
                a = invstd if w is None else invstd * w
                gx = grad * a
                gx -= centred * (a * invstd * invstd * sum_gc / n)
                gx -= a * sum_g / n
            gw = sum_gc * invstd if needs[1] else None
            gb = sum_g if needs[2] else None
            return gx, gw, gb
        xhat = centred  # the generic path saved x̂ itself
        ghat = grad if w is None else grad * w
        gx = None
        if needs[0]:
            sum_gh = ghat.sum(axis=axes, keepdims=True)
            sum_ghx = _sum_prod(self.xp, ghat, xhat, axes, invstd.shape)
            gx = ghat * invstd
            gx -= xhat * (sum_ghx * invstd / n)
            gx -= sum_gh * invstd / n
        gw = gb = None
        if needs[1]:
            gw = _sum_prod(self.xp, grad, xhat, _broadcast_axes(w, grad.ndim), w.shape)
        if needs[2]:
            b_shape = self.b_shape
            gb = grad.sum(axis=_broadcast_axes(b_shape, grad.ndim)).reshape(b_shape)
        return gx, gw, gb


class ScaleShift(Function):
    """out = x · a + c with a and c broadcast against x (batch norm in eval mode: one scale and
    shift per channel). da = Σ g·x and dc = Σ g over the broadcast axes, each in one pass."""

    def forward(self, x, a, c):
        self.saved = (x, a)
        self.c_shape = c.shape
        out = x * a
        out += c
        return out

    def backward(self, grad):
        x, a = self.saved
        needs = self.needs_input_grad
        gx = grad * a if needs[0] else None
        ga = gc = None
        if needs[1]:
            ga = _sum_prod(self.xp, grad, x, _broadcast_axes(a, x.ndim), a.shape)
        if needs[2]:
            shape = self.c_shape
            gc = grad.sum(axis=_broadcast_axes(shape, x.ndim)).reshape(shape)
        return gx, ga, gc


def _broadcast_axes(p, ndim: int) -> tuple[int, ...]:
    """The axes of an ``ndim``-D array along which ``p`` (an array or a shape) is broadcast."""
    shape = p if isinstance(p, tuple) else p.shape
    lead = ndim - len(shape)
    return tuple(i for i in range(ndim) if i < lead or shape[i - lead] == 1)


def _sum_prod(xp, a, b, axes, shape):
    """Σ a·b over ``axes`` without the product array (one einsum), reshaped to ``shape``."""
    letters = "abcdefghijklmnopqrstuvwxyz"[: a.ndim]
    kept = "".join(ch for i, ch in enumerate(letters) if i not in axes)
    return xp.einsum(f"{letters},{letters}->{kept}", a, b).reshape(shape)


def _size_along(p, ndim: int, axis: int) -> int:
    """The size of ``p`` (broadcast against an ``ndim``-D array) along ``axis``."""
    lead = ndim - p.ndim
    return 1 if axis < lead else p.shape[axis - lead]


# ---- losses ---------------------------------------------------------------------------------


class ClassNLL(Function):
    """Negative log-likelihood of class indices, optionally after a log-softmax (cross-entropy).

    ``x``: (M, C) logits (``log_softmax=True``) or log-probabilities; ``target``: (M,) class
    indices (already checked to be in range, ``ignore_index`` allowed); ``weight``: (C,) or None.
    Per row, with logp the log-probabilities, w_y the target's weight and ε the label smoothing,
        loss_i = (1 − ε) · w_y · (−logp[y]) + (ε / C) · Σ_c w_c · (−logp[c])   (0 if ignored)
    and the reductions are PyTorch's: "mean" divides the NLL part and the smoothing part each by
    Σ w_y over the rows not ignored, "sum" adds, "none" keeps the (M,) vector.

    Writing q_ic = (1 − ε) w_y δ_{c y} + (ε / C) w_c (the smoothed, weighted target) and
    s_i = Σ_c q_ic, the gradient per row scaled by r_i (1/denominator, 1, or the upstream
    gradient) is r_i (softmax_i · s_i − q_i) after a log-softmax, and −r_i q_i without one.
    """

    def forward(self, x, target, weight, ignore_index, label_smoothing, reduction, log_softmax):
        xp = self.xp
        m, c = x.shape
        keep = target != ignore_index
        safe_t = xp.where(keep, target, 0)
        rows = xp.arange(m)
        w_y = xp.ones(m, dtype=x.dtype) if weight is None else weight[safe_t].astype(x.dtype)
        w_y = w_y * keep
        eps = float(label_smoothing)
        wc = None if weight is None else weight.astype(x.dtype)
        if log_softmax:
            # logp = x − max − log Σ exp(x − max); only logp[y] and Σ_c w_c logp[c] are needed,
            # so the (M, C) log-probabilities are never formed: e = exp(x − max) is kept for
            # the backward (softmax = e / Σe).
            e = x - x.max(axis=1, keepdims=True)
            picked = e[rows, safe_t]
            if eps > 0:
                smooth_sum = e.sum(axis=1) if wc is None else e @ wc
            xp.exp(e, out=e)
            denom_e = e.sum(axis=1)
            log_z = xp.log(denom_e)
            logp_y = picked - log_z
            if eps > 0:
                total_w = c if wc is None else wc.sum()
                smooth_sum = smooth_sum - total_w * log_z
            self.saved_e = (e, denom_e)
        else:
            logp_y = x[rows, safe_t]
            if eps > 0:
                smooth_sum = x.sum(axis=1) if wc is None else x @ wc
        nll = -logp_y * w_y
        if eps > 0:
            per_row = (1 - eps) * nll - (eps / c) * smooth_sum * keep
        else:
            per_row = nll
        denom = w_y.sum()
        if reduction == "mean":
            with xp.errstate(invalid="ignore", divide="ignore"):
                out = xp.asarray(per_row.sum() / denom, dtype=x.dtype)
        elif reduction == "sum":
            out = xp.asarray(per_row.sum(), dtype=x.dtype)
        else:
            out = per_row.astype(x.dtype, copy=False)
        self.saved = (safe_t, keep, w_y, wc, denom, x.shape, x.dtype)
        self.opts = (eps, reduction, log_softmax)
        return out

    def backward(self, grad):
        xp = self.xp
        target, keep, w_y, wc, denom, shape, dtype = self.saved
        eps, reduction, log_softmax = self.opts
        m, c = shape
        if reduction == "mean":
            r = grad / denom if denom != 0 else grad * 0  # all ignored: torch's zero gradient
            r = xp.full(m, r, dtype=dtype)
        elif reduction == "sum":
            r = xp.full(m, grad, dtype=dtype)
        else:
            r = grad.astype(dtype, copy=False)
        rows = xp.arange(m)
        # q = (1 − ε) w_y onehot(y) + (ε / C) w_c on the rows kept; s = Σ_c q
        q_y = (1 - eps) * w_y
        if eps > 0:
            smooth = (eps / c) * keep * r  # per row
            s = q_y + (eps / c) * keep * (c if wc is None else wc.sum())
        else:
            s = q_y
        if log_softmax:
            e, denom_e = self.saved_e
            out = e * (r * s / denom_e)[:, None]  # r · s · softmax
        else:
            out = xp.zeros(shape, dtype=dtype)
        if eps > 0:
            out -= smooth[:, None] * (1.0 if wc is None else wc)
        out[rows, target] -= r * q_y
        return out, None, None


class MultiMargin(Function):
    """Multiclass hinge (SVM) loss per row, PyTorch's ``multi_margin_loss`` before reduction.

    loss_i = Σ_{j ≠ y} w_y · max(0, margin − x[y] + x[j])^p / C   (p = 1 or 2), x: (M, C).
    """

    def forward(self, x, target, p, margin, weight):
        xp = self.xp
        m, c = x.shape
        rows = xp.arange(m)
        z = margin - x[rows, target][:, None] + x
        z[rows, target] = 0
        active = z > 0
        h = xp.where(active, z, 0)
        w_y = 1.0 if weight is None else weight[target].astype(x.dtype)[:, None]
        self.saved = (h, active, target, w_y)
        self.p = p
        return ((h if p == 1 else h * h) * w_y).sum(axis=1) / c

    def backward(self, grad):
        xp = self.xp
        h, active, target, w_y = self.saved
        m, c = h.shape
        d = (active * 1.0 if self.p == 1 else 2 * h) * w_y / c * grad[:, None]
        d = d.astype(h.dtype, copy=False)
        d[xp.arange(m), target] = -d.sum(axis=1)
        return d, None


class BCELoss(Function):
    """Elementwise binary cross-entropy −(t log x + (1 − t) log(1 − x)) on probabilities x.

    As in PyTorch each log is clamped at −100 (so x = 0 or 1 gives a finite loss), and the
    input gradient is (x − t) / max(x (1 − x), 1e-12). The target gradient is
    log(1 − x) − log(x) (with the same clamps).
    """

    def forward(self, x, t):
        xp = self.xp
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        self.saved = (x, t, log_x, log_1mx)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(self, grad):
        x, t, log_x, log_1mx = self.saved
        xp = self.xp
        gx = grad * (x - t) / xp.maximum(x * (1 - x), 1e-12)
        gt = grad * (log_1mx - log_x) if self.needs_input_grad[1] else None
        return gx, gt


class BCEWithLogits(Function):
    """Elementwise logistic loss on logits x with target t and optional ``pos_weight``:

        loss = (1 − t) · x + (1 + (pw − 1) · t) · softplus(−x),
        softplus(−x) = log(1 + e^(−x)) = max(−x, 0) + log(1 + e^(−|x|))  (never overflows).

    d/dx = (1 − t) − (1 + (pw − 1) t) σ(−x);  d/dt = −x + (pw − 1) softplus(−x);
    d/dpw = t · softplus(−x).
    """

    def forward(self, x, t, pos_weight=None):
        xp = self.xp
        sp = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        lw = 1.0 if pos_weight is None else 1 + (pos_weight - 1) * t
        self.saved = (x, t, pos_weight, sp, lw)
        return (1 - t) * x + lw * sp

    def backward(self, grad):
        xp = self.xp
        x, t, pw, sp, lw = self.saved
        needs = self.needs_input_grad
        sig_neg = 0.5 * (1 - xp.tanh(0.5 * x))  # σ(−x), stable
        gx = grad * ((1 - t) - lw * sig_neg) if needs[0] else None
        gt = None
        if needs[1]:
            gt = grad * (-x + (0 if pw is None else (pw - 1) * sp))
        gpw = grad * t * sp if len(needs) > 2 and needs[2] else None
        return gx, gt, gpw


# ---- activations ----------------------------------------------------------------------------


class LeakyReLU(Function):
    def forward(self, x, slope):
        self.saved = (x > 0,)
        self.slope = slope
        return self.xp.where(x > 0, x, x * slope)

    def backward(self, grad):
        pos = self.saved[0]
        return self.xp.where(pos, grad, grad * self.slope)


class ELU(Function):
    """x for x > 0, α (eˣ − 1) otherwise; the gradient there is α eˣ = out + α."""

    def forward(self, x, alpha):
        xp = self.xp
        pos = x > 0
        out = xp.where(pos, x, alpha * xp.expm1(xp.minimum(x, 0)))
        self.saved = (pos, out)
        self.alpha = alpha
        return out

    def backward(self, grad):
        pos, out = self.saved
        return self.xp.where(pos, grad, grad * (out + self.alpha))


class Softplus(Function):
    """(1/β) log(1 + e^(βx)) = (max(βx, 0) + log(1 + e^(−|βx|))) / β, and x where βx exceeds
    ``threshold``; the derivative is σ(βx) (1 above the threshold)."""

    def forward(self, x, beta, threshold):
        xp = self.xp
        bx = x * beta
        over = bx > threshold
        self.saved = (bx, over)
        return xp.where(over, x, (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta)

    def backward(self, grad):
        bx, over = self.saved
        return grad * self.xp.where(over, 1.0, 0.5 * (1 + self.xp.tanh(0.5 * bx)))


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


_ERF_WIDTH = 0.5  # erf on [0, 6) as 12 pieces of width 0.5; erf(x) = 1 beyond (erfc(6) ≈ 2e-17)
_ERF_PIECES = 12


def _erf_table(degree: int):
    """Per piece, the power-series coefficients (in u ∈ [−1, 1], the position inside the piece)
    of a least-squares Chebyshev fit of erf at 40 Chebyshev points, reference values from
    ``math.erf``. erf's k-th derivative is (2/√π)·|H_{k−1}(x)|·e^(−x²), so over a half-width of
    0.25 degree 12 is accurate to 1e-15 (float64) and degree 7 to 1e-11 (float32), and the
    coefficients shrink like 0.25^k (no cancellation in Horner's rule). Built once at import."""
    import numpy

    half = _ERF_WIDTH / 2
    nodes = numpy.cos(numpy.pi * (numpy.arange(40) + 0.5) / 40)
    table = numpy.empty((degree + 1, _ERF_PIECES))
    for i in range(_ERF_PIECES):
        centre = (i + 0.5) * _ERF_WIDTH
        values = [math.erf(centre + half * u) for u in nodes]
        cheb = numpy.polynomial.chebyshev.chebfit(nodes, values, degree)
        table[:, i] = numpy.polynomial.chebyshev.cheb2poly(cheb)
    return table


_ERF_COEF = {8: _erf_table(12), 4: _erf_table(7)}  # by itemsize: float64, float32


def erf(xp, x):
    """The error function, elementwise, to about 1e-16 (NumPy has none): a piecewise
    polynomial on [0, 6) (see ``_erf_table``), 1 beyond, odd symmetry for x < 0. One pass per
    coefficient (Horner's rule with each element's own piece), no loop over elements."""
    dtype = xp.float64 if x.dtype == xp.float64 else xp.float32  # float32 work for float32 x
    a = xp.abs(x).astype(dtype)
    piece = xp.minimum((a * (1 / _ERF_WIDTH)).astype(xp.intp), _ERF_PIECES - 1)
    u = (a - (piece.astype(dtype) + 0.5) * _ERF_WIDTH) * (2 / _ERF_WIDTH)
    coef = xp.asarray(_ERF_COEF[xp.dtype(dtype).itemsize], dtype=dtype)
    degree = coef.shape[0] - 1
    out = coef[degree].take(piece)
    for k in range(degree - 1, -1, -1):
        out *= u
        out += coef[k].take(piece)
    out = xp.where(a < _ERF_PIECES * _ERF_WIDTH, out, dtype(1.0))
    return (xp.sign(x) * out).astype(x.dtype, copy=False)


class GELU(Function):
    """x Φ(x), Φ the standard normal CDF: exact (erf) or PyTorch's tanh approximation
    0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))."""

    def forward(self, x, approximate):
        xp = self.xp
        self.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
            th = xp.tanh(inner)
            self.saved = (x, th)
            return 0.5 * x * (1 + th)
        cdf = 0.5 * (1 + erf(xp, x * (1 / math.sqrt(2.0))))
        self.saved = (x, cdf)
        return x * cdf

    def backward(self, grad):
        xp = self.xp
        x, s = self.saved
        if self.approximate == "tanh":
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + s) + 0.5 * x * (1 - s * s) * dinner)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return grad * (s + x * pdf)


# ---- embedding ------------------------------------------------------------------------------


class Embedding(Function):
    """out = weight[indices]; the gradient of a row is the sum of the gradients of every
    position that looked it up (rows at ``padding_idx`` get none)."""

    def forward(self, weight, indices, padding_idx=None):
        self.saved = (indices,)
        self.shape, self.padding_idx = weight.shape, padding_idx
        return weight[indices]

    def backward(self, grad):
        xp = self.xp
        indices = self.saved[0]
        full = xp.zeros(self.shape, dtype=grad.dtype)
        xp.add.at(full, indices.reshape(-1), grad.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            full[self.padding_idx] = 0
        return full, None
