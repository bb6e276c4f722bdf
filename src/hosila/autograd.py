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
later walk the graph in reverse topological order and call each ``backward``. The graph's
nodes are the recorded ``Function`` objects and the leaf tensors: a recorded op keeps, in
``next_nodes``, the node that made each input at the time it ran (``parents`` keeps the input
tensors themselves, for drawing). Two rules keep the primitives short:

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
    "grad",
    "gradcheck",
    "jacobian",
    "GradcheckError",
    "detect_anomaly",
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
    inputs: Any | Sequence[Any] | None = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` by the chain rule.

    Args:
        tensors: one output tensor or a sequence of them.
        grad_tensors: the gradient of some scalar with respect to each output (same shape as
            it); may be omitted for a single-element output, where it is 1.
        retain_graph: keep the buffers the ops saved, so backward can run through the graph
            again. Without it they are freed and a second pass is a RuntimeError.
        inputs: when given, only these tensors get ``.grad`` accumulated (PyTorch's
            ``backward(inputs=...)``); other leaves are left alone.

    Leaves accumulate: call ``zero_grad`` (or set ``.grad = None``) between steps, as in PyTorch.
    """
    capture = None
    if inputs is not None:
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        capture = _capture_for(inputs, "backward")
    _run_backward(tensors, grad_tensors, retain_graph, capture)
    if capture is not None:
        for t in inputs:
            g = capture.get(id(t._ctx or t))
            if g is not None:
                _accumulate_grad(t, g)


def grad(
    outputs: Any | Sequence[Any],
    inputs: Any | Sequence[Any],
    grad_outputs: Any | Sequence[Any] | None = None,
    retain_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    Like ``torch.autograd.grad``: returns one Tensor (or None when unused and
    ``allow_unused``) per input, of the input's shape; no ``.grad`` is touched.
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    capture = _capture_for(inputs, "grad")
    _run_backward(outputs, grad_outputs, retain_graph, capture)
    out = []
    for i, t in enumerate(inputs):
        g = capture.get(id(t._ctx or t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} of shape {t.shape} was not used to compute the outputs "
                    f"(pass allow_unused=True to get None for it)"
                )
            out.append(None)
        else:
            out.append(Tensor._from_op(t.xp.array(g, dtype=t.data.dtype, copy=True), None))
    return tuple(out)


def _capture_for(inputs: list, op: str) -> dict:
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"{op}: input {i} is not a tensor that requires grad")
    return {id(t._ctx or t): None for t in inputs}


def _run_backward(
    tensors: Any, grad_tensors: Any, retain_graph: bool, capture: dict | None
) -> None:
    """The backward pass. With ``capture`` (node id -> None), the gradients reaching those
    nodes are stored there instead of accumulating into the leaves."""
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

    global _grad_enabled
    prev_mode = _grad_enabled
    _grad_enabled = False  # no graph is recorded while gradients are computed
    try:
        _propagate(roots, grads, retain_graph, capture)
    finally:
        _grad_enabled = prev_mode


def _propagate(roots: list, grads: dict, retain_graph: bool, capture: dict | None) -> None:
    """Walk the graph from ``roots`` in reverse topological order, calling each op's
    backward and summing the gradients that reach each node."""
    F = Function
    for node in reversed(_topological_order(roots)):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if capture is not None:
            if id(node) in capture:
                capture[id(node)] = g
            if not isinstance(node, F):
                continue
        elif not isinstance(node, F):  # a leaf tensor
            _accumulate_grad(node, g)
            continue
        elif node.retained is not None:
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

    The first time, ``g`` is kept without a copy when nothing else can see it (no other
    reference to it, and its memory is its own or a temporary's that only it views; and it is
    writeable); otherwise it is copied, since backward results may be shared between inputs
    (``a + b`` gives both the same array) or be views of the caller's gradient.
    """
    if t.grad is None:
        if (
            type(g) is t.xp.ndarray
            and sys.getrefcount(g) <= _EXCLUSIVE_REFS
            and (g.base is None or _only_viewed_by(g))
            and g.flags.writeable
            and g.dtype == t.data.dtype
        ):
            t.grad = g
        else:
            t.grad = t.xp.array(g, dtype=t.data.dtype, copy=True)
    else:
        t.grad = t.grad + g


def _only_viewed_by(view: Any) -> bool:
    """True when ``view``'s memory owner is an array that nothing but ``view`` refers to (a
    temporary from some backward), so ``view`` can become a ``.grad`` without a copy."""
    base = view.base
    # references: view.base and getrefcount's argument
    return type(base) is np.ndarray and sys.getrefcount(base) <= 2


def _exclusive_refs() -> int:
    """The reference count an array has inside ``_accumulate_grad`` when only the caller's
    local variable holds it (measured, so that it holds on every CPython version)."""

    def probe(a: Any) -> int:
        return sys.getrefcount(a)

    def caller() -> int:
        a = np.zeros(1)
        return probe(a)

    return caller()


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
    if type(dim) is int and 0 <= dim < ndim:  # the common case, fast
        return (dim,)
    if isinstance(dim, int | np.integer):
        dims = (dim,)
    elif isinstance(dim, tuple | list):
        dims = tuple(dim)
    else:
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {dim!r}")
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
    if ndim == 0:  # dim 0 / -1 of a 0-d tensor is the tensor itself: nothing to reduce
        return ()
    return tuple(sorted(out))


class DimError(IndexError, ValueError):
    """A dimension index out of range: an IndexError (as in PyTorch) and a ValueError."""


# --------------------------------------------------------------------------------------------
# Checking gradients: Jacobians and finite differences
# --------------------------------------------------------------------------------------------


def _as_tuple(x: Any) -> tuple[tuple, bool]:
    if isinstance(x, tuple | list):
        return tuple(x), True
    return (x,), False


def _analytic_jacobian(outputs: Sequence[Any], inputs: Sequence[Any]) -> list[list[Any]]:
    """J[o][i]: array of shape out_o.shape + in_i.shape, row by row with one backward pass
    per output element (the rows of J are vector-Jacobian products with unit vectors)."""
    diff = [j for j, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    result = []
    for out in outputs:
        rows = [np.zeros(out.shape + x.shape, dtype=x.data.dtype) for x in inputs]
        if out.requires_grad and out.data.size:
            flat_rows = [r.reshape((out.data.size,) + inputs[j].shape) for j, r in enumerate(rows)]
            for k in range(out.data.size):
                seed = np.zeros(out.data.size, dtype=out.data.dtype)
                seed[k] = 1
                capture = {id(inputs[j]._ctx or inputs[j]): None for j in diff}
                _run_backward(out, seed.reshape(out.shape), True, capture)
                for j in diff:
                    g = capture[id(inputs[j]._ctx or inputs[j])]
                    if g is not None:
                        flat_rows[j][k] = g
        result.append(rows)
    return result


def jacobian(func: Any, inputs: Any) -> Any:
    """The full Jacobian of ``func`` at ``inputs``: J_ij = ∂y_i/∂x_j, as
    ``torch.autograd.functional.jacobian``.

    Args:
        func: takes the input tensor(s) and returns a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors (they need not require grad; copies do).

    Returns:
        For one input and one output, a tensor of shape ``out.shape + in.shape``. For a tuple
        of inputs, a tuple over the inputs; for a tuple of outputs, a tuple over the outputs
        (of tuples over the inputs when both are tuples).
    """
    xs, tuple_in = _as_tuple(inputs)
    leaves = []
    for i, x in enumerate(xs):
        if not isinstance(x, Tensor):
            raise TypeError(f"jacobian: input {i} must be a Tensor, got {type(x).__name__}")
        if x.data.dtype.kind != "f":
            raise TypeError(f"jacobian: input {i} must be a floating-point tensor, got {x.dtype}")
        leaves.append(Tensor._new(x.data.copy(), requires_grad=True))
    with enable_grad():
        outs, tuple_out = _as_tuple(func(*leaves))
        for o, out in enumerate(outs):
            if not isinstance(out, Tensor):
                raise TypeError(
                    f"jacobian: output {o} of func must be a Tensor, got {type(out).__name__}"
                )
        J = _analytic_jacobian(outs, leaves)
    J = [[Tensor._from_op(j, None) for j in row] for row in J]
    if tuple_out:
        return tuple(tuple(row) if tuple_in else row[0] for row in J)
    return tuple(J[0]) if tuple_in else J[0][0]


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree (raised by :func:`gradcheck`)."""


def gradcheck(
    fn: Any,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare backward's gradients with centred differences, in float64.

    Every floating-point input is copied to float64; those that require grad are checked.
    For each output element i and input element j, the analytical ∂y_i/∂x_j (from backward)
    must match (f(x + eps e_j) − f(x − eps e_j))_i / (2 eps) within ``atol + rtol·|numerical|``.

    Returns True, or raises :class:`GradcheckError` naming the worst element (input, output
    index, input index), both values and the relative error (returns False instead when
    ``raise_exception`` is False).
    """
    xs, _ = _as_tuple(inputs)
    ins = []
    for x in xs:
        if isinstance(x, Tensor) and x.data.dtype.kind == "f":
            ins.append(Tensor._new(x.data.astype(np.float64), requires_grad=x.requires_grad))
        else:
            ins.append(x)
    diff = [i for i, x in enumerate(ins) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: at least one input must be a tensor with requires_grad=True")

    def run() -> list:
        outs, _ = _as_tuple(fn(*ins))
        return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]

    with enable_grad():
        outs = run()
        analytic = _analytic_jacobian(outs, ins)
    worst = None
    for i in diff:
        x = ins[i].data
        flat = x.reshape(-1)  # a view: the leaf's data changes in place below
        for j in range(flat.size):
            orig = flat[j]
            with no_grad():
                flat[j] = orig + eps
                plus = [o.data.copy() for o in run()]
                flat[j] = orig - eps
                minus = [o.data.copy() for o in run()]
                flat[j] = orig
            idx_in = np.unravel_index(j, x.shape) if x.ndim else ()
            for o, (p, m) in enumerate(zip(plus, minus, strict=True)):
                numeric = (p - m) / (2 * eps)
                ana = analytic[o][i][(...,) + tuple(idx_in)]
                err = np.abs(ana - numeric) - (atol + rtol * np.abs(numeric))
                err = np.where(np.isnan(ana) != np.isnan(numeric), np.inf, np.nan_to_num(err))
                if err.size and err.max() > 0:
                    k = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
                    score = float(err[k])
                    if worst is None or score > worst[0]:
                        worst = (score, i, o, tuple(int(v) for v in k), idx_in, ana[k], numeric[k])
    if worst is None:
        return True
    _, i, o, k, j, a, n = worst
    rel = abs(a - n) / max(abs(n), 1e-300)
    msg = (
        f"gradcheck: gradient mismatch for input {i} at element {tuple(int(v) for v in j)} "
        f"(output {o}, element {k}): analytical {float(a)!r}, numerical {float(n)!r}, "
        f"relative error {rel:.3g} (atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(msg)
    return False
