"""``hosila.Value``: a scalar that remembers how it was made (the micrograd layer).

Every operation on Values makes a new Value that records

* ``_prev``  — the Values it was computed from (its children in the graph), and
* ``_local`` — the local derivative d(out)/d(child) for each of them, computed right away.

So an op and its derivative read as one thought::

    def __mul__(self, other):                      # out = a * b
        return _node(a * b, "*", (self, other), (b, a))   # d/da = b, d/db = a

:meth:`Value.backward` then needs no per-op code at all: it visits the graph in reverse
topological order and applies the chain rule, ``child.grad += local * out.grad``.
Constants (Python numbers) never become nodes: ``x * 3`` has one child, ``x``, with local
derivative 3. A neuron's weighted sum is one node (:meth:`Value.dot`), not ``2n`` of them.
Both keep the graph small, which is where hosila's speed over micrograd comes from
(``docs/benchmarks/scalar.md``).

Gradients accumulate, as in PyTorch: ``backward()`` adds to ``.grad``; call
:meth:`Value.zero_grad` (or :func:`zero_grad` on a list of parameters) before the next pass.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import mul

__all__ = ["Value", "numerical_derivative", "zero_grad"]

_Number = int | float


class Value:
    """A scalar with a gradient: ``.data`` (float), ``.grad`` (float, starts at 0.0).

    Args:
        data: a real number (``int``, ``float``, NumPy scalar); stored as ``float``.
        label: an optional name shown by :func:`hosila.viz.draw_graph`.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> c.data, a.grad, b.grad
    (-4.0, -2.0, 2.0)
    """

    __slots__ = ("data", "grad", "label", "_op", "_prev", "_local")
    __array_ufunc__ = None  # numpy_scalar * Value calls Value.__rmul__, not NumPy

    def __init__(self, data: _Number, label: str = "") -> None:
        if type(data) is not float:
            data = _as_float(data, "Value", "data")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._prev: tuple[Value, ...] = ()
        self._local: tuple[float, ...] = ()

    @property
    def op(self) -> str:
        """The name of the operation that made this Value (``""`` for a leaf)."""
        return self._op

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- arithmetic: each op returns _node(value, name, children, local derivatives) -------

    def __add__(self, other: Value | _Number) -> Value:
        if isinstance(other, Value):  # d(a+b)/da = 1, d(a+b)/db = 1
            return _node(self.data + other.data, "+", (self, other), (1.0, 1.0))
        return _node(self.data + _const(other, "+"), "+", (self,), (1.0,))

    __radd__ = __add__

    def __sub__(self, other: Value | _Number) -> Value:
        if isinstance(other, Value):  # d(a-b)/da = 1, d(a-b)/db = -1
            return _node(self.data - other.data, "-", (self, other), (1.0, -1.0))
        return _node(self.data - _const(other, "-"), "-", (self,), (1.0,))

    def __rsub__(self, other: _Number) -> Value:  # other - self
        return _node(_const(other, "-") - self.data, "-", (self,), (-1.0,))

    def __mul__(self, other: Value | _Number) -> Value:
        if isinstance(other, Value):  # d(ab)/da = b, d(ab)/db = a
            a, b = self.data, other.data
            return _node(a * b, "*", (self, other), (b, a))
        k = _const(other, "*")
        return _node(self.data * k, "*", (self,), (k,))

    __rmul__ = __mul__

    def __truediv__(self, other: Value | _Number) -> Value:
        if isinstance(other, Value):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b²
            a, b = self.data, other.data
            _check_divisor(b, a)
            q = a / b
            return _node(q, "/", (self, other), (1.0 / b, -q / b))
        k = _const(other, "/")
        _check_divisor(k, self.data)
        return _node(self.data / k, "/", (self,), (1.0 / k,))

    def __rtruediv__(self, other: _Number) -> Value:  # k / self: d/dself = -k/self²
        k, b = _const(other, "/"), self.data
        _check_divisor(b, k)
        q = k / b
        return _node(q, "/", (self,), (-q / b,))

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", (self,), (-1.0,))

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | _Number) -> Value:
        if isinstance(other, Value):
            return _pow_value_exponent(self, self.data, other)
        k = _const(other, "**")
        out = _real_pow(self.data, k)  # d(a^k)/da = k a^(k-1)
        return _node(out, f"**{_fmt(k)}", (self,), (_pow_slope(self.data, k),))

    def __rpow__(self, other: _Number) -> Value:  # k ** self
        return _pow_value_exponent(None, _const(other, "**"), self)

    # ---- functions ----------------------------------------------------------------------

    def exp(self) -> Value:
        """e^x; d/dx = e^x."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: e**{self.data!r} is too large for a float") from None
        return _node(e, "exp", (self,), (e,))

    def log(self) -> Value:
        """Natural logarithm; d/dx = 1/x. Raises ValueError for x <= 0."""
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: expects a positive number, got {x!r}")
        return _node(math.log(x), "log", (self,), (1.0 / x,))

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/dx = 1 - tanh(x)²."""
        t = math.tanh(self.data)
        return _node(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow; d/dx = s (1 - s)."""
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0 (PyTorch's choice at 0)."""
        if self.data > 0.0:
            return _node(self.data, "relu", (self,), (1.0,))
        return _node(0.0, "relu", (self,), (0.0,))

    # ---- n-ary ops: one node instead of a chain ----------------------------------------

    @staticmethod
    def sum(values: Iterable[Value | _Number], start: Value | _Number = 0.0) -> Value:
        """``start + v1 + v2 + ...`` as one node (each local derivative is 1).

        Same value and gradients as Python's ``sum`` but one node instead of ``n``,
        so the backward pass is faster.
        """
        children: list[Value] = []
        total = 0.0
        for v in (start, *values):
            if isinstance(v, Value):
                children.append(v)
                total += v.data
            else:
                total += _const(v, "sum")
        return _node(total, "sum", tuple(children), (1.0,) * len(children))

    @staticmethod
    def dot(
        weights: Sequence[Value | _Number],
        inputs: Sequence[Value | _Number],
        bias: Value | _Number = 0.0,
    ) -> Value:
        """``bias + w1*x1 + w2*x2 + ...`` as one node: a neuron's weighted sum.

        d/dwi = xi, d/dxi = wi, d/dbias = 1. ``weights`` and ``inputs`` must have the same
        length; each item may be a Value or a number (numbers are constants).
        """
        if len(weights) != len(inputs):
            raise ValueError(
                f"dot: weights and inputs must have the same length, "
                f"got {len(weights)} and {len(inputs)}"
            )
        w_all = all(map(isinstance, weights, repeat(Value)))
        x_all = all(map(isinstance, inputs, repeat(Value)))
        if w_all and x_all:  # two lists of Values (a hidden layer)
            wd = [w.data for w in weights]
            xd = [x.data for x in inputs]
            children, local = (*weights, *inputs), (*xd, *wd)
        elif w_all and not any(map(isinstance, inputs, repeat(Value))):  # Values · numbers
            wd = [w.data for w in weights]
            xd = [_const(x, "dot") for x in inputs]
            children, local = tuple(weights), tuple(xd)
        else:  # any mix
            wd = [w.data if isinstance(w, Value) else _const(w, "dot") for w in weights]
            xd = [x.data if isinstance(x, Value) else _const(x, "dot") for x in inputs]
            pairs = [
                (c, d)
                for cs, ds in ((weights, xd), (inputs, wd))
                for c, d in zip(cs, ds, strict=True)
                if isinstance(c, Value)
            ]
            children, local = tuple(c for c, _ in pairs), tuple(d for _, d in pairs)
        total = sum(map(mul, wd, xd))
        if isinstance(bias, Value):
            return _node(bias.data + total, "dot", (*children, bias), (*local, 1.0))
        return _node(_const(bias, "dot") + total, "dot", children, local)

    # ---- the backward pass -------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(v) to ``v.grad`` for every Value ``v`` that ``self`` was made from.

        ``self.grad`` gets +1.0. Gradients accumulate (PyTorch semantics): a second call
        adds the same gradients again; use :meth:`zero_grad` to start from 0.
        """
        order = _topological_order(self)  # children before parents; leaves left out
        old = [v.grad for v in order]
        carry = any(old)
        if carry:  # earlier passes left gradients: this pass starts from 0, adds them back
            for v in order:
                v.grad = 0.0
        self.grad += 1.0
        for v in reversed(order):  # the chain rule, from the output back to the leaves
            g = v.grad
            for child, local in zip(v._prev, v._local, strict=True):
                child.grad += local * g
        if carry:
            for v, g in zip(order, old, strict=True):
                v.grad += g

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every Value it was made from."""
        self.grad = 0.0
        for v in _topological_order(self):
            v.grad = 0.0
            for child in v._prev:
                child.grad = 0.0


# ---- helpers ---------------------------------------------------------------------------

_new = object.__new__


def _node(data: float, op: str, prev: tuple[Value, ...], local: tuple[float, ...]) -> Value:
    """A new Value made by ``op`` from ``prev``, with d(out)/d(prev[i]) = ``local[i]``."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._op = op
    v._prev = prev
    v._local = local
    return v


def _topological_order(root: Value) -> list[Value]:
    """The non-leaf Values that ``root`` depends on (``root`` included), each after all of
    its children. Iterative depth-first search, so a 100 000-deep chain is fine."""
    if not root._prev:
        return []
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    push, pop, add = stack.append, stack.pop, seen.add
    while stack:
        node, children = stack[-1]
        for child in children:
            if child._prev and child not in seen:
                add(child)
                push((child, iter(child._prev)))
                break
        else:
            pop()
            order.append(node)
    return order


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` to 0.0 on each Value in ``values`` (e.g. a model's parameters)."""
    for v in values:
        v.grad = 0.0


def _as_float(x: object, op: str, what: str) -> float:
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{op}: {what} must be a real number (int or float), got {type(x).__name__}")


def _const(x: object, op: str) -> float:
    """A Python number used as a constant in ``op``, as float; TypeError for anything else."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(
        f"Value {op}: the other operand must be a Value or a real number, got {type(x).__name__}"
    )


def _check_divisor(b: float, a: float) -> None:
    if b == 0.0:
        raise ZeroDivisionError(f"div: division by zero ({a!r} / {b!r})")


def _fmt(k: float) -> str:
    return str(int(k)) if k.is_integer() else repr(k)


def _real_pow(a: float, k: float) -> float:
    """``a ** k`` as a real number, with errors that name the op."""
    if a == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {k!r}")
    if a < 0.0 and not k.is_integer():
        raise ValueError(
            f"pow: a negative base ({a!r}) to a non-integer power ({k!r}) is not a real number"
        )
    try:
        return a**k
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {k!r} is too large for a float") from None


def _pow_slope(a: float, k: float) -> float:
    """d(a^k)/da = k a^(k-1); at a = 0 with k < 1 this is infinite (as in PyTorch)."""
    if k == 0.0:
        return 0.0
    if a == 0.0 and k < 1.0:
        return math.inf
    try:
        return k * a ** (k - 1.0)
    except OverflowError:  # |a^(k-1)| is beyond the float range: an infinite slope
        odd = a < 0.0 and (k - 1.0) % 2.0 == 1.0  # (negative base: k is an integer)
        return math.copysign(math.inf, -k if odd else k)


def _pow_value_exponent(base: Value | None, a: float, exponent: Value) -> Value:
    """``a ** b`` where the exponent ``b`` is a Value (and ``base`` a Value or a constant).

    d/da = b a^(b-1) and d/db = a^b ln(a). The second needs ln(a), so the base must be
    >= 0: a negative base raises ValueError. At a = 0 the exponent's derivative is taken as
    0 (the limit of a^b ln(a) as a -> 0+ for b > 0; PyTorch does the same).
    """
    b = exponent.data
    if a < 0.0:
        raise ValueError(
            f"pow: the base must be >= 0 when the exponent is a Value "
            f"(d/db a**b = a**b * log(a)), got base {a!r}; use a number exponent instead"
        )
    out = _real_pow(a, b)
    d_exponent = out * math.log(a) if a > 0.0 else 0.0
    if base is None:
        return _node(out, "**", (exponent,), (d_exponent,))
    return _node(out, "**", (base, exponent), (_pow_slope(a, b), d_exponent))


def numerical_derivative(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    """The slope of ``f`` at ``x`` by central difference: (f(x + h) - f(x - h)) / 2h.

    The error is O(h²). ``f`` may take and return floats or Values (``.data`` is used).

    >>> def f(x):
    ...     return 3 * x**2 - 4 * x + 5
    >>> round(numerical_derivative(f, 3.0), 6)
    14.0
    """
    if not h > 0.0:
        raise ValueError(f"numerical_derivative: h must be > 0, got {h!r}")
    hi, lo = f(x + h), f(x - h)
    hi = hi.data if isinstance(hi, Value) else hi
    lo = lo.data if isinstance(lo, Value) else lo
    return (hi - lo) / (2.0 * h)
