"""``hosila.nn.functional``: the layers and losses as functions, PyTorch's signatures.

Layers (``hosila.nn.Linear`` ...) hold parameters and call these; the math is in the fused
primitives of ``hosila.ops.nn`` or composed from Tensor ops. Arguments, defaults and shapes
are ``torch.nn.functional``'s; the legacy ``size_average``/``reduce`` arguments of the losses
are accepted and mapped to ``reduction`` as PyTorch does. ``conv2d`` and the pooling
functions are the fast ones of ``hosila.ops.conv`` / ``hosila.ops.pool``, re-exported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from hosila.autograd import no_grad
from hosila.ops import nn as N
from hosila.ops.conv import conv2d
from hosila.ops.pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from hosila.random import default_generator
from hosila.tensor import DTypeError, Tensor, pad
from hosila.tensor import log_softmax as _log_softmax
from hosila.tensor import softmax as _softmax
from hosila.tensor import where as _where

__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "linear",
    "bilinear",
    "batch_norm",
    "layer_norm",
    "group_norm",
    "dropout",
    "dropout2d",
    "relu",
    "relu6",
    "hardtanh",
    "logsigmoid",
    "softsign",
    "prelu",
    "normalize",
    "cosine_similarity",
    "huber_loss",
    "kl_div",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "embedding",
    "pad",
    "one_hot",
    "cross_entropy",
    "nll_loss",
    "multi_margin_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]


class TargetError(ValueError, IndexError):
    """A loss's target holds a class index out of range: a ValueError (and an IndexError,
    PyTorch's type for it)."""


class RangeError(ValueError, RuntimeError):
    """A loss's input or target holds values outside the range the loss is defined on (the
    probabilities of binary cross-entropy outside [0, 1], NaN included): a ValueError (and a
    RuntimeError, PyTorch's type for it)."""


# ---- argument checks ------------------------------------------------------------------------


def _tensor(x: Any, op: str, name: str = "input") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a hosila Tensor, got {type(x).__name__}")
    return x


def _float_tensor(x: Any, op: str, name: str = "input") -> Tensor:
    x = _tensor(x, op, name)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {x.data.dtype}")
    return x


def _optional(x: Any, op: str, name: str) -> Tensor | None:
    return None if x is None else _tensor(x, op, name)


def _const(a: Any) -> Tensor:
    """Wrap a NumPy array as a constant tensor (no gradient)."""
    return Tensor._from_op(a, None)


def _reduction(op: str, reduction: str, size_average: Any = None, reduce: Any = None) -> str:
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# ---- linear ---------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``.

    input: (*, in_features); weight: (out_features, in_features); bias: (out_features,);
    returns (*, out_features).
    """
    x = _float_tensor(input, "linear")
    w = _float_tensor(weight, "linear", "weight")
    b = _optional(bias, "linear", "bias")
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight {w.shape}: the last "
            f"dimension must be in_features={w.shape[1]}"
        )
    if b is not None and b.shape not in ((w.shape[0],), ()):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {b.shape}")
    for name, t in (("weight", w), ("bias", b)):
        if t is not None and t.data.dtype != x.data.dtype:  # PyTorch does not promote either
            raise DTypeError(
                f"linear: input ({x.dtype}) and {name} ({t.dtype}) must have the same dtype; "
                f"cast one with .to() (for a module: model.to(dtype) or model.double())"
            )
    return N.Linear.apply(x, w, b)


def _as_dtype(t: Tensor, dtype: Any) -> Tensor:
    """``t`` cast to ``dtype`` (a differentiable cast), or ``t`` itself when it has it."""
    return t if t.data.dtype == dtype else t.to(dtype)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``out[..., k] = x1 · W[k] · x2 + b[k]``; x1: (*, in1), x2: (*, in2), W: (out, in1, in2)."""
    x1 = _float_tensor(input1, "bilinear", "input1")
    x2 = _float_tensor(input2, "bilinear", "input2")
    w = _float_tensor(weight, "bilinear", "weight")
    if w.ndim != 3 or x1.shape[-1] != w.shape[1] or x2.shape[-1] != w.shape[2]:
        raise ValueError(
            f"bilinear: weight {w.shape} does not match inputs {x1.shape} and {x2.shape}"
        )
    # (*, 1, 1, in1) @ (out, in1, in2) -> (*, out, 1, in2); then · x2
    t = x1.unsqueeze(-2).unsqueeze(-2) @ w
    out = (t.squeeze(-2) * x2.unsqueeze(-2)).sum(-1)
    return out if bias is None else out + bias


# ---- normalisation --------------------------------------------------------------------------


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over every dim but the channel dim 1 (Ioffe & Szegedy 2015).

    input: (N, C) or (N, C, *); running_mean/running_var/weight/bias: (C,).
    Training: normalise with the batch mean and biased variance, and update the running
    statistics in place: ``r = (1 − momentum) · r + momentum · batch_stat``, the variance
    unbiased (× n / (n − 1)). Evaluation: normalise with the running statistics.
    """
    x = _float_tensor(input, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, *), got shape {x.shape}")
    c = x.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and (not isinstance(t, Tensor) or t.shape != (c,)):
            got = t.shape if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"batch_norm: {name} must have shape ({c},) for C={c}, got {got}")
    axes = (0, *range(2, x.ndim))
    bshape = (1, c) + (1,) * (x.ndim - 2)
    w = None if weight is None else weight.reshape(bshape)
    b = None if bias is None else bias.reshape(bshape)
    if training:
        n = x.data.size // c
        if n <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, "
                f"got input size {x.shape}"
            )
        stats: list = []
        out = N.NormalizeAffine.apply(x, w, b, axes, eps, stats=stats)
        mean, var = stats[0]
        if running_mean is not None:
            rm = running_mean.data
            rm *= 1 - momentum
            rm += momentum * mean.reshape(c).astype(rm.dtype)
        if running_var is not None:
            rv = running_var.data
            rv *= 1 - momentum
            rv += (momentum * n / (n - 1)) * var.reshape(c).astype(rv.dtype)
        return out
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    dtype = x.data.dtype
    invstd = (1.0 / x.xp.sqrt(running_var.data.astype(dtype) + eps)).reshape(bshape)
    rm = running_mean.data.astype(dtype).reshape(bshape)
    scale: Any = _const(invstd) if w is None else w * _const(invstd)
    shift: Any = -scale * _const(rm)
    if b is not None:
        shift = shift + b
    return N.ScaleShift.apply(x, scale, shift)


def layer_norm(
    input: Tensor,
    normalized_shape: Sequence[int] | int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (Ba et al. 2016).

    input: (*, *normalized_shape); weight/bias: normalized_shape.
    """
    x = _float_tensor(input, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"layer_norm: the input's last dims must be normalized_shape={list(shape)}, "
            f"got input of shape {x.shape}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {t.shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    return N.NormalizeAffine.apply(x, weight, bias, axes, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each of ``num_groups`` groups of channels per sample (Wu & He 2018).

    input: (N, C, *) with C divisible by num_groups; weight/bias: (C,).
    """
    x = _float_tensor(input, "group_norm")
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, *), got shape {x.shape}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(
            f"group_norm: the number of channels C={c} must be divisible by num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"group_norm: {name} must have shape ({c},), got {t.shape}")
    g = num_groups
    xr = x.reshape(n, g, c // g, -1)
    w = None if weight is None else weight.reshape(g, c // g, 1)
    b = None if bias is None else bias.reshape(g, c // g, 1)
    out = N.NormalizeAffine.apply(xr, w, b, (2, 3), eps)
    return out.reshape(x.shape)


# ---- dropout --------------------------------------------------------------------------------


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1 / (1 − p); the identity when not ``training``. Draws from hosila's generator
    (``hosila.manual_seed``). ``inplace`` is accepted and ignored (a new tensor is returned)."""
    x = _tensor(input, "dropout")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    return N.Dropout.apply(x, float(p), default_generator())


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel dropout (Tompson et al. 2015): zero whole channels of (N, C, H, W) input (or of
    (N, C, L), as PyTorch still reads 3-D input) with probability ``p``, scale the rest by
    1 / (1 − p); the identity when not ``training``."""
    x = _tensor(input, "dropout2d")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if x.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 4-D (N, C, H, W) or 3-D (N, C, L) input, got shape {x.shape}"
        )
    if not training or p == 0:
        return x
    xp = x.xp
    keep = default_generator().random(x.shape[:2], dtype=xp.float32) >= p
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(x.data.dtype).reshape(x.shape[:2] + (1,) * (x.ndim - 2))
    return x * _const(mask)


# ---- activations ----------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    return _tensor(input, "relu").relu()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    x = _tensor(input, "relu6")
    return _where(x.data >= 6, _const(x.data.dtype.type(6)), x.relu())


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, ``negative_slope`` · x otherwise."""
    return N.LeakyReLU.apply(_float_tensor(input, "leaky_relu"), negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, α (eˣ − 1) otherwise (Clevert et al. 2015)."""
    return N.ELU.apply(_float_tensor(input, "elu"), alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Φ(x) (Hendrycks & Gimpel 2016); ``approximate="tanh"`` uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return N.GELU.apply(_float_tensor(input, "gelu"), approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x σ(x) (also called swish)."""
    x = _float_tensor(input, "silu")
    return x * x.sigmoid()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """(1/β) log(1 + e^(βx)), and x itself where βx > ``threshold`` (as PyTorch)."""
    return N.Softplus.apply(_float_tensor(input, "softplus"), beta, threshold)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside, 0 outside."""
    x = _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    d = x.data.dtype
    inner = _where(x.data >= max_val, _const(d.type(max_val)), x)
    return _where(x.data <= min_val, _const(d.type(min_val)), inner)


def logsigmoid(input: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x), stable for any x."""
    x = _float_tensor(input, "logsigmoid")
    return -N.Softplus.apply(-x, 1.0, float("inf"))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    x = _float_tensor(input, "softsign")
    return x / (x.abs() + 1)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, a · x otherwise, with learnable slopes ``weight``: one (shape (1,)) or one
    per channel (shape (C,), along dim 1 of the input)."""
    x = _float_tensor(input, "prelu")
    w = _float_tensor(weight, "prelu", "weight")
    if w.numel() != 1:
        if x.ndim < 2 or w.shape != (x.shape[1],):
            raise ValueError(
                f"prelu: weight of shape {w.shape} must have 1 element or one per channel "
                f"(input dim 1), input shape {x.shape}"
            )
        w = w.reshape((1, x.shape[1]) + (1,) * (x.ndim - 2))
    else:
        w = w.reshape(())
    return _where(x.data > 0, x, x * w)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^(−x))."""
    return _tensor(input, "sigmoid").sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x)."""
    return _tensor(input, "tanh").tanh()


def _softmax_dim(x: Tensor, dim: int | None) -> int:
    if dim is None:  # PyTorch's legacy implicit choice
        return 0 if x.ndim in (0, 1, 3) else 1
    return dim


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (cast to ``dtype`` first if given)."""
    x = _tensor(input, "softmax")
    if dtype is not None:
        x = x.to(dtype)
    return _softmax(x, _softmax_dim(x, dim))


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """x − logsumexp(x) along ``dim`` (cast to ``dtype`` first if given)."""
    x = _tensor(input, "log_softmax")
    if dtype is not None:
        x = x.to(dtype)
    return _log_softmax(x, _softmax_dim(x, dim))


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """x / max(‖x‖_p, eps) along ``dim`` (unit vectors; ``p`` may be inf)."""
    x = _float_tensor(input, "normalize")
    return x / _vector_norm(x, p, dim).clamp(min=eps)


def _vector_norm(x: Tensor, p: float, dim: int, keepdim: bool = True) -> Tensor:
    """‖x‖_p along ``dim``. A zero vector has norm 0 and, as in PyTorch's norm, a zero
    gradient (the root's derivative at 0 is infinite; without the guard 0 · ∞ gives NaN)."""
    if p == float("inf"):
        return x.abs().amax(dim, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    s = (x * x if p == 2 else x.abs() ** p).sum(dim, keepdim=keepdim)
    zero = s.data == 0
    if not zero.any():
        return s.sqrt() if p == 2 else s ** (1.0 / p)
    safe = _where(zero, _const(s.data.dtype.type(1)), s)
    root = safe.sqrt() if p == 2 else safe ** (1.0 / p)
    return _where(zero, _const(s.data.dtype.type(0)), root)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 · x2 / (max(‖x1‖, eps) · max(‖x2‖, eps)) along ``dim`` (inputs broadcast)."""
    a = _float_tensor(x1, "cosine_similarity", "x1")
    b = _float_tensor(x2, "cosine_similarity", "x2")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"cosine_similarity: x1 {a.shape} and x2 {b.shape} do not broadcast"
        ) from None
    dot = (a * b).sum(dim)
    na = _vector_norm(a, 2, dim, keepdim=False).clamp(min=eps)
    nb = _vector_norm(b, 2, dim, keepdim=False).clamp(min=eps)
    return dot / (na * nb)


# ---- embedding, padding, one-hot -------------------------------------------------------------


def _int_tensor(x: Any, op: str, name: str) -> np.ndarray:
    if isinstance(x, Tensor):
        a = x.data
    else:
        raise TypeError(f"{op}: {name} must be a hosila Tensor of integers, got {type(x).__name__}")
    if a.dtype.kind not in "iu":
        raise ValueError(f"{op}: {name} must have an integer dtype (int64), got {a.dtype}")
    return a


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (V, D) at the integer ``input`` (*); returns (*, D).

    ``padding_idx`` rows get no gradient; ``max_norm`` renormalises (in place, as PyTorch)
    the looked-up rows whose ``norm_type``-norm exceeds it; ``scale_grad_by_freq`` divides
    each row's gradient by how often its index occurs in ``input``. ``sparse`` gradients are
    not supported.
    """
    idx = _int_tensor(input, "embedding", "input")
    w = _float_tensor(weight, "embedding", "weight")
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, dim), got {w.shape}")
    v = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        bad = idx[(idx < 0) | (idx >= v)].flat[0]
        raise TargetError(
            f"embedding: index {int(bad)} is out of range for num_embeddings={v} "
            f"(expected 0 <= index < {v})"
        )
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported")
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings={v}")
        padding_idx %= v
    if max_norm is not None:
        with no_grad():
            xp = w.xp
            rows = xp.unique(idx)
            norms = xp.linalg.norm(w.data[rows], ord=norm_type, axis=1)
            scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w.data[rows] *= scale[:, None].astype(w.data.dtype)
    return N.Embedding.apply(w, idx, padding_idx, bool(scale_grad_by_freq))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: (*,) class indices -> (*, num_classes) (max + 1 when -1)."""
    idx = _int_tensor(tensor, "one_hot", "tensor")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise TargetError(
            f"one_hot: class values must be in [0, {num_classes}), got "
            f"min {int(idx.min())}, max {int(idx.max())}"
        )
    xp = tensor.xp
    return _const((idx[..., None] == xp.arange(num_classes)).astype(xp.int64))


# ---- classification losses ------------------------------------------------------------------


def _class_target(op: str, x: Tensor, target: Any, ignore_index: int) -> tuple[Tensor, np.ndarray]:
    """Check a class-index target against input (N, C, d1...) / (C,); return the input as
    (M, C) (classes last) and the target as (M,)."""
    t = _int_tensor(target, op, "target") if isinstance(target, Tensor) else None
    if t is None:
        raise TypeError(f"{op}: target must be a hosila Tensor, got {type(target).__name__}")
    if x.ndim == 0:
        raise ValueError(f"{op}: input must be (C,), (N, C) or (N, C, d1, ...), got a scalar")
    if x.ndim == 1:
        expected: tuple = ()
    else:
        expected = (x.shape[0],) + tuple(x.shape[2:])
    if t.shape != expected:
        raise ValueError(
            f"{op}: target of shape {t.shape} does not match input of shape {x.shape} "
            f"(expected target shape {expected})"
        )
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    flat = t.reshape(-1).astype(np.int64, copy=False)
    bad = (flat != ignore_index) & ((flat < 0) | (flat >= c))
    if bad.any():
        raise TargetError(
            f"{op}: target {int(flat[bad][0])} is out of bounds: class indices must be in "
            f"[0, {c}) (or ignore_index={ignore_index})"
        )
    if x.ndim == 1:
        x2 = x.reshape(1, c)
    elif x.ndim == 2:
        x2 = x
    else:
        x2 = x.permute(0, *range(2, x.ndim), 1).reshape(-1, c)
    return x2, flat


def _class_weight(op: str, weight: Any, c: int, dtype: Any) -> np.ndarray | None:
    if weight is None:
        return None
    w = _tensor(weight, op, "weight")
    if w.shape != (c,):
        raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {w.shape}")
    return w.data.astype(dtype, copy=False)


def _unflatten_none(loss: Tensor, x: Tensor) -> Tensor:
    """Reshape a per-row (M,) loss back to the target's shape (N, d1, ...) or ()."""
    if x.ndim == 1:
        return loss.reshape(())
    return loss.reshape((x.shape[0],) + tuple(x.shape[2:]))


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits ``input`` against ``target``.

    input: (C,), (N, C) or (N, C, d1, ...) logits. target: class indices () / (N,) /
    (N, d1, ...) of an integer dtype, or class probabilities of the input's shape (float).
    ``weight``: (C,) per-class weights; rows whose target is ``ignore_index`` count for
    nothing; ``label_smoothing`` ε mixes the one-hot target with the uniform distribution,
    (1 − ε) · onehot + ε / C. "mean" divides by the summed weight of the rows counted (for
    index targets), as PyTorch.
    """
    op = "cross_entropy"
    x = _float_tensor(input, op)
    reduction = _reduction(op, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if isinstance(target, Tensor) and target.data.dtype.kind == "f":
        return _cross_entropy_probs(x, target, weight, reduction, label_smoothing)
    x2, t = _class_target(op, x, target, ignore_index)
    _weight_dtype_check(op, weight, x)
    w = _class_weight(op, weight, x2.shape[1], x.data.dtype)
    loss = N.ClassNLL.apply(x2, t, w, ignore_index, label_smoothing, reduction, True)
    return _unflatten_none(loss, x) if reduction == "none" else loss


def _cross_entropy_probs(
    x: Tensor, target: Tensor, weight: Any, reduction: str, eps: float
) -> Tensor:
    op = "cross_entropy"
    if target.shape != x.shape:
        raise ValueError(
            f"{op}: a probability target (float dtype) must have the input's shape {x.shape}, "
            f"got {target.shape}"
        )
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    logp = _log_softmax(x, cdim)
    t = target if eps == 0 else target * (1 - eps) + eps / c
    prod = logp * t
    if weight is not None:
        w = _class_weight(op, weight, c, weight.data.dtype)  # promotes like PyTorch
        prod = prod * _const(w.reshape((c,) + (1,) * (x.ndim - 1 - cdim)))
    loss = -prod.sum(cdim)
    if reduction == "mean":
        n = 1 if x.ndim == 1 else loss.numel()
        return loss.sum() / n
    return _reduce(loss, reduction)


def _weight_dtype_check(op: str, weight: Any, x: Tensor) -> None:
    """A float ``weight`` tensor of another dtype than the input is refused, as PyTorch does
    for class-index targets ("expected scalar type Float but found Double")."""
    if isinstance(weight, Tensor) and weight.data.dtype.kind == "f" and weight.dtype != x.dtype:
        raise DTypeError(
            f"{op}: weight ({weight.dtype}) must have the input's dtype ({x.dtype}); cast it "
            f"with .to()"
        )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: −weight[y] · input[y] per row; input holds log-probabilities.

    input: (C,), (N, C) or (N, C, d1, ...); target: integer class indices () / (N,) /
    (N, d1, ...). "mean" divides by the summed weights of the rows not ignored.
    """
    op = "nll_loss"
    x = _float_tensor(input, op)
    reduction = _reduction(op, reduction, size_average, reduce)
    x2, t = _class_target(op, x, target, ignore_index)
    _weight_dtype_check(op, weight, x)
    w = _class_weight(op, weight, x2.shape[1], x.data.dtype)
    loss = N.ClassNLL.apply(x2, t, w, ignore_index, 0.0, reduction, False)
    return _unflatten_none(loss, x) if reduction == "none" else loss


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """The multiclass SVM (hinge) loss (Weston & Watkins; CS231n's SVM loss up to the 1/C):

        loss_i = Σ_{j ≠ y_i} weight[y_i] · max(0, margin − x[y_i] + x[j])^p / C

    input: (N, C) or (C,); target: (N,) or () integer class indices; p is 1 or 2.
    """
    op = "multi_margin_loss"
    x = _float_tensor(input, op)
    reduction = _reduction(op, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 are supported, got p={p}")
    if x.ndim not in (1, 2):
        raise ValueError(f"{op}: input must be (C,) or (N, C), got shape {x.shape}")
    x2, t = _class_target(op, x, target, ignore_index=-(2**62))
    w = _class_weight(op, weight, x2.shape[1], x.data.dtype)
    loss = N.MultiMargin.apply(x2, t, p, margin, w)
    if x.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


# ---- regression and binary losses ------------------------------------------------------------


def _pair(op: str, input: Any, target: Any, warn_size: bool = True) -> tuple[Tensor, Tensor]:
    """input and target of an elementwise loss; as PyTorch, a target of another shape that
    broadcasts is used but warned about (a (N, 1) prediction against a (N,) target gives an
    (N, N) loss), unless ``warn_size`` is False (kl_div, which PyTorch does not warn for)."""
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    try:
        np.broadcast_shapes(x.shape, t.shape)
    except ValueError:
        raise ValueError(
            f"{op}: target of shape {t.shape} does not broadcast with input of shape {x.shape}"
        ) from None
    if warn_size and t.shape != x.shape:
        warnings.warn(
            f"{op}: Using a target size ({t.shape}) that is different to the input size "
            f"({x.shape}). This will likely lead to incorrect results due to broadcasting. "
            f"Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
    if t.data.dtype.kind != "f":
        t = t.to(x.data.dtype)
    return x, t


def _weighted(op: str, loss: Tensor, x: Tensor, weight: Any, reduction: str) -> Tensor:
    if weight is None:
        return _reduce(loss, reduction)
    w = _tensor(weight, op, "weight")
    if w.shape != x.shape:
        raise ValueError(f"{op}: weight must have the input's shape {x.shape}, got {w.shape}")
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Squared error (x − t)², reduced; with ``weight`` (input's shape) "mean" is Σwℓ / Σw."""
    op = "mse_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, t = _pair(op, input, target)
    d = x - t
    return _weighted(op, d * d, x, weight, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Absolute error |x − t|, reduced; with ``weight`` "mean" is Σwℓ / Σw."""
    op = "l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    x, t = _pair(op, input, target)
    return _weighted(op, (x - t).abs(), x, weight, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Huber-like loss: 0.5 d² / β where |d| < β, |d| − 0.5 β elsewhere (d = x − t)."""
    op = "smooth_l1_loss"
    reduction = _reduction(op, reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"{op}: beta must be >= 0, got {beta}")
    x, t = _pair(op, input, target)
    d = x - t
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    loss = _where(ad < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d² where |d| < delta, delta · (|d| − 0.5 delta) elsewhere (d = x − t); with
    ``weight`` (the input's shape) each element is multiplied by it before the reduction."""
    op = "huber_loss"
    reduction = _reduction(op, reduction)
    if delta <= 0:
        raise ValueError(f"{op}: delta must be positive, got {delta}")
    x, t = _pair(op, input, target)
    d = x - t
    ad = d.abs()
    loss = _where(ad.data < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:  # PyTorch: here "mean" is the plain mean of w·ℓ (not Σwℓ / Σw)
        w = _tensor(weight, op, "weight")
        if w.shape != x.shape:
            raise ValueError(f"{op}: weight must have the input's shape {x.shape}, got {w.shape}")
        loss = loss * w
    return _reduce(loss, reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Kullback–Leibler divergence with ``input`` log-probabilities:
    t · (log t − x) per element (0 where t = 0), or e^t · (t − x) with ``log_target``.
    ``reduction="batchmean"`` divides the sum by the batch size (the true KL per sample)."""
    op = "kl_div"
    if reduction == "batchmean" and size_average is None and reduce is None:
        mode = "batchmean"
    else:
        mode = _reduction(op, reduction, size_average, reduce)
        if reduction == "mean" and size_average is None and reduce is None:
            warnings.warn(  # PyTorch's warning, word for word
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.",
                UserWarning,
                stacklevel=2,
            )
    x, t = _pair(op, input, target, warn_size=False)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        positive = t.data > 0
        safe_t = _where(positive, t, _const(t.data.dtype.type(1)))
        loss = _where(positive, t * (safe_t.log() - x), _const(x.data.dtype.type(0)))
    if mode == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, mode)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """−w (t log x + (1 − t) log(1 − x)) for probabilities x in [0, 1] (logs clamped at −100).

    input and target: the same shape, every element in [0, 1] (else a :class:`RangeError`, a
    ValueError and RuntimeError, as PyTorch's RuntimeError; NaN is out of range too); weight
    broadcasts to it.
    """
    op = "binary_cross_entropy"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    if t.shape != x.shape:
        raise ValueError(f"{op}: target size {t.shape} must be the same as input size {x.shape}")
    if t.data.dtype != x.data.dtype:
        t = t.to(x.data.dtype)
    for name, a in (("input", x.data), ("target", t.data)):
        inside = (a >= 0) & (a <= 1)  # False for NaN
        if not inside.all():
            raise RangeError(
                f"{op}: all elements of {name} should be between 0 and 1, got "
                f"{float(a[~inside].flat[0])} ({int((~inside).sum())} of {a.size} outside)"
            )
    loss = N.BCELoss.apply(x, t)
    if weight is not None:
        loss = loss * _as_dtype(_tensor(weight, op, "weight"), loss.data.dtype)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable step, on logits x:

        ℓ = −w [pw · t · log σ(x) + (1 − t) · log(1 − σ(x))]

    ``pos_weight`` (broadcast along the last dim, e.g. (C,)) weighs the positive examples.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(op, reduction, size_average, reduce)
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    if t.shape != x.shape:
        raise ValueError(f"{op}: target size {t.shape} must be the same as input size {x.shape}")
    # PyTorch builds the loss in place from (1 − target), so it has the target's dtype (a
    # float64 target makes a float64 loss of float32 logits and vice versa); weights follow.
    dtype = t.data.dtype if t.data.dtype.kind == "f" else x.data.dtype
    x, t = _as_dtype(x, dtype), _as_dtype(t, dtype)
    pw = _optional(pos_weight, op, "pos_weight")
    if pw is not None:
        try:
            np.broadcast_shapes(pw.shape, x.shape)
        except ValueError:
            raise ValueError(
                f"{op}: pos_weight of shape {pw.shape} does not broadcast with input {x.shape}"
            ) from None
        pw = _as_dtype(pw, dtype)
    loss = N.BCEWithLogits.apply(x, t, pw)
    if weight is not None:
        loss = loss * _as_dtype(_tensor(weight, op, "weight"), dtype)
    return _reduce(loss, reduction)
