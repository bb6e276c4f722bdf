"""The autograd machinery of the tensor engine: ``Function``, the backward pass, grad mode.

A primitive op is a :class:`Function` subclass with two methods side by side::

    class Mul(Function):
        def forward(self, a, b):          # NumPy arrays in, NumPy array out
            self.saved = (a, b)           # what backward needs
            return a * b

        def backward(self, grad):         # dL/d(out) in, one dL/d(input) per input out
            a, b = self.saved
            return grad * b, grad * a

``Mul.apply(x, y)`` runs ``forward`` on the tensors' arrays and, when gradients are wanted,
links the output tensor to the ``Function`` object (``out._ctx``) so that :func:`backward` can
later walk the graph in reverse topological order and call each ``backward``. Two rules keep
the primitives short:

* **Broadcasting is undone here, once.** A ``backward`` may return a gradient in the
  broadcast shape of its output; :func:`unbroadcast` sums it back to the input's shape.
* **Gradients are never modified in place.** ``backward`` must treat ``grad`` as read-only
  and may return it (or views of it) unchanged.

Non-tensor inputs (Python numbers, axis tuples passed positionally) are constants: their
``backward`` result is ignored and may be ``None``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Function",
    "backward",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "unbroadcast",
]

# The tensor class, registered by hosila.tensor when it is imported (tensor.py builds on this
# module, so this module cannot import it at the top).
Tensor: Any = None

_grad_enabled = True


def _register_tensor_class(cls: type) -> None:
    global Tensor
    Tensor = cls


# --------------------------------------------------------------------------------------------
# Grad mode
# --------------------------------------------------------------------------------------------


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for the backward pass."""
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off; a context manager and a decorator.

    ``with hosila.set_grad_enabled(False): ...`` is ``with hosila.no_grad(): ...``.
    The mode is global to the process (not per thread).
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _grad_enabled

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self.prev


class no_grad(set_grad_enabled):
    """Context manager and decorator: operations inside build no graph (evaluation, updates).

    >>> with hosila.no_grad():
    ...     y = model(x)          # y.requires_grad is False
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Context manager and decorator that turns graph recording back on inside ``no_grad``."""

    def __init__(self) -> None:
        super().__init__(True)


# --------------------------------------------------------------------------------------------
# Function
# --------------------------------------------------------------------------------------------


class Function:
    """Base class of every primitive op: ``forward`` and ``backward`` side by side.

    Subclasses implement ``forward(self, *arrays, **kwargs) -> array`` and
    ``backward(self, grad) -> gradient or tuple of gradients`` (one per positional input;
    ``None`` where an input gets no gradient). Arrays are reached through ``self.xp`` (the array
    module, NumPy today), never through a direct import, so another array library can take
    its place (DESIGN.md, principle 5).

    Attributes set by :meth:`apply` when the output is recorded:
        parents: the positional inputs (tensors and constants), in order.
        needs_input_grad: one bool per input: is a gradient wanted for it?
    """

    xp = np
    saved: tuple | None = ()
    parents: tuple = ()
    next_nodes: Sequence[Any] = ()
    needs_input_grad: tuple = ()
    retained: Any = None  # the output tensor, when it asked to keep its grad (retain_grad)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.backward")

    @property
    def name(self) -> str:
        """The op's name as shown in graphs and reprs (``MulBackward``-style, like PyTorch)."""
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run the op on tensors (or constants) and record it when a gradient is wanted.

        Returns a new Tensor holding ``forward``'s result. The graph edge to each input is
        the node that made it (its ``Function``, or the tensor itself for a leaf), taken now:
        an input that is later changed in place (``x[i] = v``) keeps its old edge here.
        """
        ctx = cls()
        T = Tensor
        arrays = []
        nodes = []
        record = False
        for x in inputs:
            if isinstance(x, T):
                arrays.append(x.data)
                if x.requires_grad and _grad_enabled:
                    record = True
                    nodes.append(x._ctx or x)
                else:
                    nodes.append(None)
            else:
                arrays.append(x)
                nodes.append(None)
        out = ctx.forward(*arrays, **kwargs)
        if _anomaly_mode:
            _check_finite(out, ctx.name, "forward")
        if record:
            ctx.parents = inputs
            ctx.next_nodes = nodes
            ctx.needs_input_grad = tuple(n is not None for n in nodes)
            return T._from_op(out, ctx)
        return T._from_op(out, None)


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, to get ``shape`` back.

    ``a`` of shape (3, 1) plus ``b`` of shape (4,) gives (3, 4); the gradient for ``a`` is the
    (3, 4) gradient summed over axis 1 (kept), for ``b`` summed over axis 0.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:  # a scalar-shaped grad for a larger input cannot happen in a valid graph
        raise RuntimeError(f"unbroadcast: gradient of shape {grad.shape} for input {shape}")
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if extra:
        grad = grad.reshape(shape)
    return grad


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------


def _topological_order(roots: Sequence[Any]) -> list[Any]:
    """Graph nodes that lead to ``roots``, each after every node it depends on.

    A node is a :class:`Function` (an op that was recorded) or a leaf tensor. The search is
    an iterative depth-first search, so a 10 000-op chain does not hit Python's recursion
    limit.
    """
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(r, False) for r in roots]
    F = Function
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if id(n) in visited:
            continue
        visited.add(id(n))
        stack.append((n, True))
        if isinstance(n, F):
            for p in n.next_nodes:
                if p is not None and id(p) not in visited:
                    stack.append((p, False))
    return order


def backward(
    tensors: Any | Sequence[Any],
    grad_tensors: Any | Sequence[Any] | None = None,
    retain_graph: bool = False,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` by the chain rule.

    Args:
        tensors: one output tensor or a sequence of them.
        grad_tensors: the gradient of some scalar with respect to each output (same shape as
            it); may be omitted for a single-element output, where it is 1.
        retain_graph: keep the buffers the ops saved, so backward can run through the graph
            again. Without it they are freed and a second pass is a RuntimeError.

    Leaves accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps, as in PyTorch.
    """
    T = Tensor
    if isinstance(tensors, T):
        tensors = [tensors]
        grad_tensors = [grad_tensors]
    else:
        tensors = list(tensors)
        grad_tensors = [None] * len(tensors) if grad_tensors is None else list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise ValueError(
            f"backward: got {len(tensors)} tensors but {len(grad_tensors)} grad_tensors"
        )

    grads: dict[int, Any] = {}
    roots = []
    for t, g in zip(tensors, grad_tensors, strict=True):
        if not isinstance(t, T):
            raise TypeError(f"backward: expected a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad and has no grad_fn "
                "(was it computed under no_grad, or from tensors without requires_grad=True?)"
            )
        if g is None:
            if t.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs; "
                    f"this output has shape {t.shape}: pass gradient= of that shape"
                )
            g = t.xp.ones_like(t.data)
        else:
            g = g.data if isinstance(g, T) else t.xp.asarray(g, dtype=t.data.dtype)
            if g.shape != t.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {g.shape} but the output has shape {t.shape}"
                )
            if g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
        node = t._ctx or t
        key = id(node)
        grads[key] = grads[key] + g if key in grads else g
        roots.append(node)

    F = Function
    with no_grad():
        for node in reversed(_topological_order(roots)):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if not isinstance(node, F):  # a leaf tensor
                _accumulate_grad(node, g)
                continue
            if node.retained is not None:
                _accumulate_grad(node.retained, g)
            saved = node.saved
            if saved is None:
                raise RuntimeError(
                    f"backward: trying to backward through the graph a second time (or after "
                    f"its buffers were freed) at {node.name}; pass retain_graph=True to the "
                    f"first backward if you need to backward twice"
                )
            in_grads = node.backward(g)
            del g
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if saved and not retain_graph:
                node.saved = None
            pg = None
            for p, nxt, pg in zip(node.parents, node.next_nodes, in_grads, strict=False):
                if nxt is None or pg is None:
                    continue
                pdata = p.data
                if pg.shape != pdata.shape:
                    pg = unbroadcast(pg, pdata.shape)
                if pg.dtype != pdata.dtype:
                    pg = pg.astype(pdata.dtype)
                if _anomaly_mode:
                    _check_finite(pg, node.name, "backward")
                key = id(nxt)
                prev = grads.get(key)
                grads[key] = pg if prev is None else prev + pg
            del in_grads, pg


def _accumulate_grad(t: Any, g: Any) -> None:
    """Add ``g`` into ``t.grad``.

    The first time, ``g`` is kept without a copy when nothing else can see it (it owns its
    memory, is writeable and has no other reference); otherwise it is copied, since backward
    results may be views shared between inputs (``a + b`` gives both the same array).
    """
    if t.grad is None:
        if (
            g.base is None
            and g.flags.writeable
            and g.dtype == t.data.dtype
            and type(g) is t.xp.ndarray
            and _getrefcount(g) <= _EXCLUSIVE_REFS
        ):
            t.grad = g
        else:
            t.grad = t.xp.array(g, dtype=t.data.dtype, copy=True)
    else:
        t.grad = t.grad + g


def _exclusive_refs() -> int:
    """The reference count an array has inside ``_accumulate_grad`` when only the caller's
    local variable holds it (measured, so that it holds on every CPython version)."""

    def probe(a: Any) -> int:
        return _getrefcount(a)

    def caller() -> int:
        a = np.zeros(1)
        return probe(a)

    return caller()


def _getrefcount(obj: Any) -> int:
    return sys.getrefcount(obj)


_EXCLUSIVE_REFS = _exclusive_refs()


# --------------------------------------------------------------------------------------------
# Anomaly detection
# --------------------------------------------------------------------------------------------

_anomaly_mode = False


class detect_anomaly(contextlib.ContextDecorator):
    """Context (and decorator) in which the first NaN or inf made by an op raises an error.

    The error is a RuntimeError naming the op and whether its forward or backward made it.
    Slower than normal mode (every result is checked); for debugging.
    """

    def __enter__(self) -> None:
        global _anomaly_mode
        self.prev = _anomaly_mode
        _anomaly_mode = True

    def __exit__(self, *exc: object) -> None:
        global _anomaly_mode
        _anomaly_mode = self.prev


def _check_finite(arr: Any, op: str, where: str) -> None:
    if isinstance(arr, np.ndarray | np.generic) and arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            kind = "nan" if np.isnan(arr).any() else "inf"
            raise RuntimeError(f"detect_anomaly: {op}.{where} produced {kind} values")


# --------------------------------------------------------------------------------------------
# Small helpers for ops
# --------------------------------------------------------------------------------------------


def normalize_dims(dim: int | Iterable[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """Turn ``dim`` (None, an int or a sequence, negatives allowed) into sorted axes.

    Raises IndexError-like ValueError naming ``op`` when a dim is out of range (PyTorch raises
    IndexError; we raise an error that is both an IndexError and a ValueError).
    """
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    out = []
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int | np.integer):
            raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
        if not lo <= d <= hi:
            raise DimError(
                f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions "
                f"(expected to be in range [{lo}, {hi}])"
            )
        out.append(int(d) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim!r} names a dimension twice")
    return tuple(sorted(out))


class DimError(IndexError, ValueError):
    """A dimension index out of range: an IndexError (as in PyTorch) and a ValueError."""
