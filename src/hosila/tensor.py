"""``hosila.Tensor``: a NumPy array that remembers how it was made, with PyTorch's API.

A tensor holds

* ``.data`` — the NumPy array (float32 by default for floats);
* ``.grad`` — a NumPy array of the same shape and dtype once ``backward`` has reached it
  (``None`` before), as in micrograd, so ``p.data -= lr * p.grad`` works;
* ``._ctx`` — the :class:`~hosila.autograd.Function` that made it (``None`` for leaves), whose
  ``parents`` are the input tensors: the computational graph.

Operators and methods (``a + b``, ``a @ b``, ``x.sum(dim=1)``) call the primitives in
``hosila.ops``; where PyTorch and hosila differ, it is said here once: ``.data`` and ``.grad``
are NumPy arrays (PyTorch's are tensors), and dtypes are NumPy dtypes (``hosila.float32`` is
``numpy.dtype('float32')``).
"""

from __future__ import annotations

import builtins
import functools
import numbers
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from hosila import autograd
from hosila.autograd import Function, is_grad_enabled, normalize_dims
from hosila.ops import elementwise as E
from hosila.ops import linalg as L
from hosila.ops import reduce as R
from hosila.ops import shape as S
from hosila.random import default_generator

# ---- dtypes ---------------------------------------------------------------------------------

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")
half, float, double = float16, float32, float64  # noqa: A001 - PyTorch's aliases
long, int = int64, int32  # noqa: A001

_default_float = float32
_builtin_float = __builtins__["float"] if isinstance(__builtins__, dict) else __builtins__.float
_builtin_int = __builtins__["int"] if isinstance(__builtins__, dict) else __builtins__.int
_builtin_bool = __builtins__["bool"] if isinstance(__builtins__, dict) else __builtins__.bool
builtins_sum, builtins_min, builtins_max = builtins.sum, builtins.min, builtins.max


class DTypeError(TypeError, RuntimeError):
    """A dtype that an operation cannot take (a TypeError; also a RuntimeError, as in PyTorch)."""


class ShapeError(ValueError, RuntimeError):
    """Bad shapes or sizes for an op: a ValueError (hosila's rule for bad arguments) that is
    also a RuntimeError, the type PyTorch raises for the same mistakes."""


def get_default_dtype() -> np.dtype:
    """The dtype of float tensors made from Python numbers (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype of float tensors made from Python numbers: float32 or float64."""
    global _default_float
    d = as_dtype(dtype, "set_default_dtype")
    if d.kind != "f":
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {d}")
    _default_float = d


def as_dtype(dtype: Any, op: str = "dtype") -> np.dtype:
    """Turn ``dtype`` (a NumPy dtype, a type like ``np.float32``/``float``, or a name) into a
    NumPy dtype, or raise a TypeError naming ``op``."""
    if dtype is _builtin_float:
        return _default_float
    if dtype is _builtin_int:
        return int64
    try:
        return np.dtype(dtype)
    except TypeError:
        raise DTypeError(f"{op}: {dtype!r} is not a dtype") from None


def _is_size(a: Any) -> bool:
    """An int usable as a size (not a bool)."""
    return isinstance(a, _builtin_int | np.integer) and not isinstance(a, _builtin_bool)


def _is_float(a: np.ndarray) -> bool:
    return a.dtype.kind == "f"


# ---- the Tensor -----------------------------------------------------------------------------


class Tensor:
    """An n-dimensional array with automatic differentiation (PyTorch's ``Tensor`` API).

    Build one with :func:`hosila.tensor` or the creation functions (``zeros``, ``randn``, ...).
    ``Tensor(*sizes)`` / ``Tensor(data)``: PyTorch's legacy constructor (default float dtype).
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "_ctx",
        "_retains_grad",
        "name",
        "_view",
        "_views",
        "__weakref__",
    )
    __array_priority__ = 1000  # so that ndarray + Tensor calls Tensor.__radd__
    xp = np  # the array module behind .data (principle 5: ops reach it through here)

    def __init__(self, *args: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        """PyTorch's legacy constructor: ``Tensor(2, 3)`` is a (2, 3) tensor (zeros here, where
        PyTorch leaves it uninitialised), ``Tensor([1, 2])`` a copy of the data; both of the
        default float dtype (float32) unless ``dtype`` is given. ``hosila.tensor(data)`` is the
        constructor that infers the dtype from the data."""
        if dtype is None:
            dtype = _default_float
        if len(args) == 1 and not _is_size(args[0]):
            self._init(args[0], dtype, requires_grad)
            return
        if not args:
            args = (0,)  # Tensor(): an empty 1-d tensor
        if not all(_is_size(a) for a in args):
            raise TypeError(
                f"Tensor(): expected data (a number, sequence or array) or sizes (ints), got "
                f"{args!r}"
            )
        self._init(
            np.zeros(tuple(_builtin_int(a) for a in args), dtype=as_dtype(dtype)),
            None,
            requires_grad,
        )

    @classmethod
    def _new(cls, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new leaf from ``data`` with :func:`tensor`'s dtype rules (the internal constructor)."""
        t = object.__new__(cls)
        t._init(data, dtype, requires_grad)
        return t

    def _init(self, data: Any, dtype: Any, requires_grad: bool) -> None:
        self.data = _as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.name = None
        self._view = self._views = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data: Any, ctx: Function | None) -> Tensor:
        """Wrap an op's result (fast path used by ``Function.apply``)."""
        t = object.__new__(cls)
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t.requires_grad = ctx is not None
        t._retains_grad = False
        t.name = None
        t._view = t._views = None
        return t

    def __getstate__(self) -> dict:
        # the view links (weak references) are not part of a copy's state
        state = {k: getattr(self, k) for k in ("data", "grad", "requires_grad", "_ctx")}
        state.update(_retains_grad=self._retains_grad, name=self.name)
        return state

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        self._view = self._views = None

    # ---- properties ---------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape as a tuple (PyTorch's ``torch.Size`` is a tuple too)."""
        return self.data.shape

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return self.data.shape
        return self.data.shape[_one_dim(dim, self.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an op that recorded a gradient)."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The op that made this tensor (PyTorch's name for ``_ctx``)."""
        return self._ctx

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed (for 2-D: the transpose)."""
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:
        """Transpose of the last two dimensions (a batch of matrices)."""
        return self.transpose(-2, -1)

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    nelement = numel

    @property
    def device(self) -> str:
        """Always ``"cpu"`` (hosila runs on NumPy)."""
        return "cpu"

    def cpu(self) -> Tensor:
        """``self``: tensors already live in main memory."""
        return self

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # ---- conversion ---------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shares memory, like ``torch.Tensor.numpy``).

        Raises a RuntimeError for a tensor that requires grad, as PyTorch does: call
        ``.detach().numpy()`` (or read ``.data``).
        """
        if self.requires_grad:
            raise RuntimeError(
                "numpy(): can't call numpy() on a tensor that requires grad; "
                "use tensor.detach().numpy() (or tensor.data)"
            )
        return self.data

    def item(self) -> Any:
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ShapeError(
                f"item(): only a tensor with one element can be converted to a Python number, "
                f"got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        """The data as (nested) Python lists of numbers."""
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __float__(self) -> float:
        return _builtin_float(self.item())

    def __int__(self) -> int:
        return _builtin_int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with more than one element is ambiguous "
                f"(shape {self.shape}); use .any() or .all()"
            )
        return _builtin_bool(self.data.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return _builtin_int(self.data.item())

    def to(self, *args: Any, dtype: Any = None, copy: bool = False, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (its dtype):
        a tensor of that dtype (differentiable between float dtypes); ``self`` if it already
        has it and ``copy`` is False. The only device is ``"cpu"``."""
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                a = a.data.dtype
            if isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps"):
                device = a
            elif a is not None:
                if dtype is not None:
                    raise TypeError(f"to: more than one dtype given: {args!r}")
                dtype = a
        if device is not None and str(device).split(":")[0] != "cpu":
            raise ValueError(f"to: hosila runs on the CPU only, got device {device!r}")
        if dtype is None:
            return self.clone() if copy else self
        d = as_dtype(dtype, "to")
        if d == self.data.dtype and not copy:
            return self
        return Cast.apply(self, d)

    def type(self, dtype: Any) -> Tensor:
        """Same as ``to(dtype)``."""
        return self.to(dtype)

    def float(self) -> Tensor:
        """As float32."""
        return self.to(float32)

    def double(self) -> Tensor:
        """As float64."""
        return self.to(float64)

    def half(self) -> Tensor:
        """As float16."""
        return self.to(float16)

    def long(self) -> Tensor:
        """As int64."""
        return self.to(int64)

    def int(self) -> Tensor:
        """As int32."""
        return self.to(int32)

    def bool(self) -> Tensor:
        """As bool."""
        return self.to(bool_)

    def is_floating_point(self) -> bool:
        return _is_float(self.data)

    # ---- autograd -----------------------------------------------------------------------

    def backward(
        self, gradient: Any = None, retain_graph: bool = False, inputs: Any = None
    ) -> None:
        """Backpropagate from this tensor: every leaf that requires grad gets ``.grad += ∂/∂leaf``.

        ``gradient`` (same shape as this tensor) is required unless it has one element.
        Gradients accumulate across calls; the graph's saved buffers are freed unless
        ``retain_graph=True``.
        """
        autograd.backward(self, gradient, retain_graph=retain_graph, inputs=inputs)

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut from the graph (requires_grad False)."""
        return Tensor._from_op(self.data, None)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place."""
        self._ctx = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf in place; only float tensors can require grad."""
        if requires_grad and not _is_float(self.data):
            raise DTypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False): this tensor was made by an op; use .detach() instead"
            )
        self.requires_grad = _builtin_bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): the tensor does not require grad")
        self._retains_grad = True
        if self._ctx is not None:
            self._ctx.retained = self

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        """Fill with ``value`` (a number or a 0-d tensor) in place; in the graph it is
        recorded as PyTorch does (the old value gets no gradient, a 0-d ``value`` gets the
        sum)."""
        if self._in_graph(value):
            if self.requires_grad and self._ctx is None:
                self._check_inplace("fill_")
            return self.copy_(value)
        self.data[...] = value.data if isinstance(value, Tensor) else value
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (broadcastable to this shape) into this tensor in place; when ``src``
        requires grad (or this tensor is in the graph) the copy is recorded, as in PyTorch."""
        if self._in_graph(src):
            if self.requires_grad and self._ctx is None:
                self._check_inplace("copy_")
            src = _to_tensor(src).to(self.data.dtype)
            expand(src, self.shape)  # checks that src broadcasts to this shape
            self._become(S.SetItem.apply(self._as_node(), src, Ellipsis))
            return self
        self._check_inplace("copy_")
        self.data[...] = src.data if isinstance(src, Tensor) else src
        return self

    def _check_inplace(self, op: str) -> None:
        if self.requires_grad and is_grad_enabled():
            if self._ctx is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                    f"gradients are recorded; do it inside `with hosila.no_grad():`"
                )
            raise RuntimeError(
                f"{op}: in-place changes to a tensor in the graph are not supported (its old "
                f"value may be needed by backward); use the out-of-place op instead"
            )

    # ---- repr ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        body = np.array2string(
            self.data, separator=", ", prefix="tensor(", threshold=1000, precision=4
        )
        extras = []
        if self.data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    # ---- arithmetic (operator sugar over hosila.ops) ---------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return Add.apply(*_binary(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(*_binary(other, self))

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(*_binary(*_no_bool_sub(self, other)))

    def __rsub__(self, other: Any) -> Tensor:
        return Sub.apply(*_binary(*_no_bool_sub(other, self)))

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(*_binary(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(*_binary(other, self))

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(*_binary(self, other, true_div=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(*_binary(other, self, true_div=True))

    def __pow__(self, other: Any) -> Tensor:
        return _pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    def __neg__(self) -> Tensor:
        return Neg.apply(_no_bool_neg(self))

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    # In-place operators: true in-place updates of .data for tensors outside the graph
    # (parameters under no_grad, buffers). When the tensor is in the graph, or the other
    # operand requires grad, the tensor object becomes the op's output node instead (a fresh
    # array): `out += identity` is differentiable, as in PyTorch, and ops that used the old
    # value keep it.
    def _inplace(self, other: Any, op: Any, name: str) -> Tensor:
        grad_on = is_grad_enabled()
        if grad_on and (self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            if self.requires_grad and self._ctx is None:
                self._check_inplace(name)  # a leaf that requires grad: refused
            new = op.apply(*_binary(self._as_node(), other))
            if new.data.dtype != self.data.dtype:
                if not np.can_cast(new.data.dtype, self.data.dtype, casting="same_kind"):
                    raise DTypeError(
                        f"{name}: result type {new.data.dtype} can't be cast to the tensor's "
                        f"dtype {self.data.dtype} in place"
                    )
                new = new.to(self.data.dtype)
            self._become(new)
            return self
        src = other.data if isinstance(other, Tensor) else other
        result = op().forward(self.data, src)
        if np.can_cast(result.dtype, self.data.dtype, casting="same_kind"):
            self.data[...] = result
        else:
            raise DTypeError(
                f"{name}: result type {result.dtype} can't be cast to the tensor's dtype "
                f"{self.data.dtype} in place"
            )
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(other, Add, "+=")

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(_no_bool_sub(self, other)[1], Sub, "-=")

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(other, Mul, "*=")

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(other, Div, "/=")

    def _in_graph(self, other: Any) -> bool:
        """Would an in-place op with ``other`` have to be recorded?"""
        return is_grad_enabled() and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        )

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        """In place ``self += alpha * other``: writes ``.data`` outside the graph (parameters
        under no_grad); in the graph it is ``+=`` (see :meth:`_inplace`)."""
        if self._in_graph(other):
            return self._inplace(other if alpha == 1 else other * alpha, Add, "add_")
        o = other.data if isinstance(other, Tensor) else other
        self.data += _wrap_int(o if alpha == 1 else alpha * o, self.data.dtype)
        return self

    def mul_(self, other: Any) -> Tensor:
        """In place ``self *= other`` (as :meth:`add_`)."""
        if self._in_graph(other):
            return self._inplace(other, Mul, "mul_")
        self.data *= other.data if isinstance(other, Tensor) else _wrap_int(other, self.data.dtype)
        return self

    # comparisons give bool tensors (no gradient)
    def _compare(self, other: Any, fn: Any) -> Tensor:
        o = other.data if isinstance(other, Tensor) else _wrap_int(other, self.data.dtype)
        return Tensor._from_op(fn(self.data, o), None)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        if other is None:  # PyTorch: a tensor is never None
            return False
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        if other is None:
            return True
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise DTypeError(f"~: needs a bool or integer tensor, got {self.data.dtype}")
        return Tensor._from_op(~self.data, None)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_or)

    def __xor__(self, other: Any) -> Tensor:
        return self._compare(other, np.bitwise_xor)

    # ---- methods mirroring the functions below ---------------------------------------------

    def add(self, other: Any, alpha: Any = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = 1) -> Tensor:
        return self - (other if alpha == 1 else _no_bool_sub(self, other)[1] * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        return matmul(self, other)

    def neg(self) -> Tensor:
        return Neg.apply(_no_bool_neg(self))

    def exp(self) -> Tensor:
        return Exp.apply(_floating(self, "exp"))

    def log(self) -> Tensor:
        return Log.apply(_floating(self, "log"))

    def sqrt(self) -> Tensor:
        return Sqrt.apply(_floating(self, "sqrt"))

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def sin(self) -> Tensor:
        return Sin.apply(_floating(self, "sin"))

    def cos(self) -> Tensor:
        return Cos.apply(_floating(self, "cos"))

    def tanh(self) -> Tensor:
        return Tanh.apply(_floating(self, "tanh"))

    def sigmoid(self) -> Tensor:
        return Sigmoid.apply(_floating(self, "sigmoid"))

    def relu(self) -> Tensor:
        return ReLU.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return minimum(self, other)

    def sum(
        self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
    ) -> Tensor:
        return sum(self, dim, keepdim, dtype=dtype, axis=axis)

    def mean(
        self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
    ) -> Tensor:
        return mean(self, dim, keepdim, dtype=dtype, axis=axis)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        return max(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        return min(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return amin(self, dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return argmax(self, dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return logsumexp(self, dim, keepdim)

    def softmax(self, dim: int) -> Tensor:
        return softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        return log_softmax(self, dim)

    def reshape(self, *shape: Any) -> Tensor:
        return reshape(self, _shape_args(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        """The same elements in a new shape, without copying (PyTorch's ``view``).

        Raises a RuntimeError when the memory layout makes that impossible (e.g. after a
        transpose), as PyTorch does: use :meth:`reshape` or ``.contiguous().view(...)``.
        """
        shape = _shape_args(shape, "view")
        try:
            target = _infer_shape(shape, self.data.size)
        except ValueError as exc:
            raise ShapeError(
                f"view: shape {shape} is invalid for a tensor of shape {self.shape}: {exc}"
            ) from None
        try:
            self.xp.reshape(self.data, target, copy=False)
        except ValueError:
            raise ShapeError(
                f"view: a tensor of shape {self.shape} with strides "
                f"{self.data.strides} cannot be viewed as {target} without a copy; use "
                f".reshape(...) or .contiguous().view(...)"
            ) from None
        return reshape(self, target)

    def view_as(self, other: Tensor) -> Tensor:
        return reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return flatten(self, start_dim, end_dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return unsqueeze(self, dim)

    def permute(self, *dims: Any) -> Tensor:
        return permute(self, _shape_args(dims, "permute"))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t(): expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def expand(self, *shape: Any) -> Tensor:
        return expand(self, _shape_args(shape, "expand"))

    def expand_as(self, other: Tensor) -> Tensor:
        return expand(self, other.shape)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return broadcast_to(self, shape)

    def flip(self, *dims: Any) -> Tensor:
        return flip(self, _shape_args(dims, "flip"))

    def __getitem__(self, index: Any) -> Tensor:
        idx = _index(index)
        items = idx if type(idx) is tuple else (idx,)
        basic, one = True, len(items) == self.data.ndim  # one: ints only, one element
        for i in items:
            t = type(i)
            if t is _builtin_int:
                continue
            if t is slice:
                one = False
                if i.step is not None and i.step <= 0:
                    if i.step == 0:
                        raise ValueError(f"slice step cannot be zero (index {index!r})")
                    raise ValueError(
                        f"step must be greater than zero (index {index!r}; use .flip(dims) "
                        f"to reverse)"
                    )
            elif i is None or i is Ellipsis:
                one = False
            elif not (isinstance(i, np.integer) and t is not np.bool_):
                basic = one = False  # arrays, lists, masks: advanced indexing (a copy)
        if not basic:
            return GetItem.apply(self, idx)
        if one:
            idx = (*items, Ellipsis)  # one element: a 0-d view, not a copy (as PyTorch)
        out = GetItem.apply(self, idx)
        self._link_view(out, "index", idx)
        return out

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` with PyTorch's semantics, gradients included.

        On a tensor outside the graph with a constant value this writes into ``.data``
        (views see it). When ``x`` is in the graph or ``value`` requires grad, ``x`` becomes
        the output of a ``SetItem`` op: the gradient flows to ``value`` at ``index`` and to
        the old ``x`` everywhere else; ops that used the old ``x`` keep its old value. A leaf
        that requires grad is refused (as in PyTorch), unless under ``no_grad``.
        """
        idx = _index(index)
        grad_on = is_grad_enabled()
        value_graph = isinstance(value, Tensor) and value.requires_grad and grad_on
        if self.requires_grad and grad_on:
            if self._ctx is None:
                self._check_inplace("__setitem__")
        elif not value_graph:
            self.data[idx] = value.data if isinstance(value, Tensor) else value
            return
        if not isinstance(value, Tensor):
            value = Tensor._from_op(np.asarray(value, dtype=self.data.dtype), None)
        elif value.data.dtype != self.data.dtype:
            value = value.to(self.data.dtype)
        self._become(S.SetItem.apply(self._as_node(), value, idx))

    def _as_node(self) -> Tensor:
        """A tensor standing for this one's current value and graph node (before an in-place
        change makes this object a new node)."""
        old = Tensor._from_op(self.data, self._ctx)
        old.requires_grad = self.requires_grad
        return old

    def _become(self, new: Tensor) -> None:
        """Take over ``new``'s data and graph node (the in-place ops' last step).

        When this tensor is a view of another (``y[0]``, ``y.view(-1)``, ``y.T``) whose memory
        it still shares, the change goes to the base instead, as in PyTorch: the base becomes
        "the base with this region replaced by ``new``" (recursively up a chain of views), and
        every live view of it, this one included, is taken again from its new value.
        """
        link = self._view
        if link is not None and np.may_share_memory(self.data, link[0].data):
            base, kind, arg = link
            if kind == "multi":
                raise RuntimeError(
                    f"Output {arg[2]} of {arg[1]} is a view and is being modified in place. "
                    f"This view is the output of a function that returns multiple views, whose "
                    f"outputs may not be modified in place in the graph (as in PyTorch); use "
                    f"the out-of-place op, or .clone() the output first"
                )
            if kind == "expand":
                raise RuntimeError(
                    "in-place op on an expanded tensor: more than one element of the "
                    "written-to tensor refers to a single memory location; use .clone() first"
                )
            if base.requires_grad and base._ctx is None:
                raise RuntimeError(
                    "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation (change the leaf under `with hosila.no_grad():` or clone it)"
                )
            if kind == "index":
                updated = S.SetItem.apply(base._as_node(), new, arg)
            elif kind == "reshape":
                updated = S.Reshape.apply(new, base.shape)
            else:  # permute
                inverse = [0] * len(arg)
                for i, d in enumerate(arg):
                    inverse[d] = i
                updated = S.Permute.apply(new, tuple(inverse))
            base._become(updated)
            return
        old = self.data
        self.data, self._ctx, self.requires_grad = new.data, new._ctx, new.requires_grad
        self._refresh_views(old)

    def _add_view(self, out: Tensor, kind: str, arg: Any) -> Tensor:
        """Record that ``out`` (made from this tensor by a view op ``kind`` with ``arg``)
        shares this tensor's memory, so that in-place changes to either reach the other."""
        if out is self or not np.may_share_memory(out.data, self.data):
            return out
        self._link_view(out, kind, arg)
        return out

    def _link_view(self, out: Tensor, kind: str, arg: Any) -> None:
        out._view = (self, kind, arg)
        views = self._views
        if views is None:
            self._views = [weakref.ref(out)]
            return
        n = len(views)
        if n >= 16 and n & (n - 1) == 0:  # drop dead links now and then (amortised O(1))
            views[:] = [r for r in views if r() is not None]
        views.append(weakref.ref(out))

    def _refresh_views(self, old: np.ndarray) -> None:
        """After this tensor took a new value in the graph, take its live views again (their
        data and graph node), as PyTorch's views always show their base's current value.
        Views that no longer shared the ``old`` array (``.data`` was replaced) are dropped."""
        views = self._views
        if not views:
            return
        live = []
        for ref in views:
            v = ref()
            if v is None or v._view is None or v._view[0] is not self:
                continue
            if not np.may_share_memory(v.data, old):
                v._view = None
                continue
            kind, arg = v._view[1], v._view[2]
            if kind == "index":
                new = GetItem.apply(self, arg)
            elif kind == "multi":
                new = GetItem.apply(self, arg[0])
            elif kind == "reshape":
                new = S.Reshape.apply(self, arg)
            elif kind == "permute":
                new = S.Permute.apply(self, arg)
            else:
                new = S.Expand.apply(self, arg)
            v_old = v.data
            v.data, v._ctx, v.requires_grad = new.data, new._ctx, new.requires_grad
            live.append(ref)
            v._refresh_views(v_old)
        self._views = live

    # elementwise predicates / misc without gradient
    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        axes = None if dim is None else normalize_dims(dim, self.ndim, "any")
        return Tensor._from_op(self.data.any(axis=axes, keepdims=keepdim), None)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        axes = None if dim is None else normalize_dims(dim, self.ndim, "all")
        return Tensor._from_op(self.data.all(axis=axes, keepdims=keepdim), None)

    def contiguous(self) -> Tensor:
        """``self`` when its data is C-contiguous, else a contiguous copy (in the graph)."""
        if self.data.flags.c_contiguous:
            return self
        return Clone.apply(self)

    def is_contiguous(self) -> bool:
        return self.data.flags.c_contiguous

    # ---- more ops (more methods are bound at the end of this module: x.var() is var(x)) ----

    def repeat(self, *sizes: Any) -> Tensor:
        """Tile the tensor: ``sizes[i]`` copies along dim i (leading new dims allowed)."""
        return _repeat(self, _shape_args(sizes, "repeat"))

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        return transpose(self, axis0, axis1)

    swapdims = swapaxes

    def __floordiv__(self, other: Any) -> Tensor:
        return floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return remainder(other, self)

    def eq(self, other: Any) -> Tensor:
        return self == other

    def ne(self, other: Any) -> Tensor:
        return self != other

    def lt(self, other: Any) -> Tensor:
        return self < other

    def le(self, other: Any) -> Tensor:
        return self <= other

    def gt(self, other: Any) -> Tensor:
        return self > other

    def ge(self, other: Any) -> Tensor:
        return self >= other

    def isnan(self) -> Tensor:
        return Tensor._from_op(np.isnan(self.data), None)

    def isinf(self) -> Tensor:
        return Tensor._from_op(np.isinf(self.data), None)

    def isfinite(self) -> Tensor:
        return Tensor._from_op(np.isfinite(self.data), None)

    def logical_not(self) -> Tensor:
        return Tensor._from_op(np.logical_not(self.data), None)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def new_zeros(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(
        self, size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """``fill_value`` in ``size`` with this tensor's dtype (unless ``dtype``)."""
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """A new leaf from ``data`` with this tensor's dtype (unless ``dtype``)."""
        return Tensor._new(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        """In place ``self -= alpha * other`` (as :meth:`add_`)."""
        return self.add_(_no_bool_sub(self, other)[1], alpha=-alpha)

    def div_(self, other: Any) -> Tensor:
        """In place ``self /= other`` (as :meth:`add_`)."""
        if self._in_graph(other):
            return self._inplace(other, Div, "div_")
        self.data /= other.data if isinstance(other, Tensor) else other
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill in place with samples uniform in [a, b) from hosila's generator."""
        self._check_inplace("uniform_")
        self.data[...] = default_generator().uniform(a, b, size=self.data.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill in place with normal samples from hosila's generator."""
        self._check_inplace("normal_")
        self.data[...] = default_generator().normal(mean, std, size=self.data.shape)
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph (gradient flows back to ``self``)."""
        return Clone.apply(self)


autograd._register_tensor_class(Tensor)


# ---- helpers --------------------------------------------------------------------------------


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Make the NumPy array for a new tensor, following ``torch.tensor``'s dtype rules:
    Python floats → the default float dtype (float32), Python ints → int64, bools → bool;
    NumPy arrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=as_dtype(dtype, "tensor"))
    if isinstance(data, np.ndarray | np.generic):
        arr = np.array(data)
    else:
        if isinstance(data, str | bytes) or data is None:
            raise TypeError(
                f"tensor: data must be a number, a (nested) sequence of numbers or an array, "
                f"got {type(data).__name__}"
            )
        try:
            arr = np.array(data)
        except ValueError as exc:
            raise ShapeError(
                f"tensor: data must be a rectangular nested sequence of numbers ({exc})"
            ) from None
        if arr.dtype.kind == "f":
            arr = arr.astype(_default_float, copy=False)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(int64, copy=False)
        elif arr.dtype == object or arr.dtype.kind in "USV":
            raise TypeError(
                f"tensor: data must be numeric, got elements of type {arr.dtype} "
                f"(ragged nested sequences are not allowed)"
            )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"tensor: unsupported dtype {arr.dtype}")
    return arr


def _floating(t: Tensor, op: str) -> Tensor:
    """Integer/bool tensors become the default float dtype for float-valued ops (as PyTorch)."""
    if t.data.dtype.kind == "f":
        return t
    return Tensor._from_op(t.data.astype(_default_float), None)


class NotImplementedForDTypeError(DTypeError, NotImplementedError):
    """An op PyTorch has no kernel for at this dtype (it raises NotImplementedError)."""


def _float_only(t: Tensor, op: str) -> Tensor:
    """``t`` when it is floating point, else the error PyTorch gives (no integer kernel)."""
    if t.data.dtype.kind != "f":
        raise NotImplementedForDTypeError(
            f"{op}: not implemented for dtype {t.data.dtype}; convert with .float() first"
        )
    return t


def _category(dtype: np.dtype) -> int:
    """PyTorch's type categories: bool < integer < floating."""
    k = dtype.kind
    return 2 if k == "f" else (0 if k == "b" else 1)


def _result_dtype(a: Tensor, b: Tensor) -> np.dtype:
    """The dtype of a binary op on two tensors, by PyTorch's rules: dimensioned tensors decide
    over 0-d ones unless a 0-d tensor is of a higher category (int < float), in which case its
    dtype is used (``float32 [n] + float64 []`` is float32; ``int64 [n] + float64 []`` is
    float64)."""
    da, db = a.data.dtype, b.data.dtype
    za, zb = a.data.ndim == 0, b.data.ndim == 0
    if za == zb:
        ca, cb = _category(da), _category(db)
        if ca != cb:  # int64 with float32 is float32 (NumPy would say float64)
            return da if ca > cb else db
        return np.promote_types(da, db)
    dim_dt, zero_dt = (db, da) if za else (da, db)
    return zero_dt if _category(zero_dt) > _category(dim_dt) else dim_dt


def _binary(a: Any, b: Any, true_div: bool = False) -> tuple[Any, Any]:
    """Apply PyTorch's type promotion to a binary op's operands.

    Two tensors of the same dtype pass untouched (the fast path). A Python number takes the
    tensor's dtype unless it is of a higher category (an int tensor with a float number
    becomes float32, the default dtype); between tensors, see :func:`_result_dtype`; ``/``
    of integers is true division in float32. NumPy scalars count as Python numbers.
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a.data.dtype, b.data.dtype
        if da is db and (not true_div or da.kind == "f"):
            return a, b
        d = _result_dtype(a, b)
        if true_div and d.kind != "f":
            d = _default_float
        if da != d:
            a = a.to(d)
        if db != d:
            b = b.to(d)
        return a, b
    t, other = (a, b) if ta else (b, a)
    if isinstance(other, np.ndarray):
        other = Tensor._from_op(other, None)
        return _binary(*((t, other) if ta else (other, t)), true_div=true_div)
    if isinstance(other, np.generic):
        other = other.item()
    elif not isinstance(other, numbers.Number):
        raise TypeError(
            f"unsupported operand type {type(other).__name__} for a tensor operation "
            f"(expected a Tensor, an array or a number)"
        )
    kind = t.data.dtype.kind
    other = _wrap_int(other, t.data.dtype)
    if kind != "f" and (true_div or isinstance(other, _builtin_float)):
        t = t.to(_default_float)
    elif kind == "b" and isinstance(other, _builtin_int) and not isinstance(other, _builtin_bool):
        t = t.to(int64)
    return (t, other) if ta else (other, t)


def _wrap_int(x: Any, dtype: np.dtype) -> Any:
    """A Python int ``x`` outside the range of the integer ``dtype`` wrapped into it (two's
    complement), as PyTorch converts scalars for an integer tensor: int32 ``* 2**40`` is
    ``* 0``. Anything else is returned unchanged."""
    if (
        dtype.kind not in "iu"
        or not isinstance(x, _builtin_int)
        or isinstance(x, _builtin_bool)
        or -(2**63) > x
        or x >= 2**64
    ):
        return x
    info = np.iinfo(dtype)
    if info.min <= x <= info.max:
        return x
    return (x - _builtin_int(info.min)) % 2**info.bits + _builtin_int(info.min)


def _pow(a: Any, b: Any) -> Tensor:
    """``a ** b`` with PyTorch's bool rules: a bool tensor to a Python bool power stays bool
    (``** True`` is itself, ``** False`` all True); other all-bool powers are refused."""
    if _is_bool(a) and _is_bool(b):
        if isinstance(a, Tensor) and isinstance(b, _builtin_bool):
            return Tensor._from_op(a.data.copy() if b else np.ones_like(a.data), None)
        raise NotImplementedForDTypeError("pow: not implemented for bool tensors")
    return Pow.apply(*_binary(a, b))


def _is_bool(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.data.dtype.kind == "b"
    return isinstance(x, _builtin_bool) or (isinstance(x, np.ndarray) and x.dtype.kind == "b")


def _no_bool_sub(a: Any, b: Any) -> tuple[Any, Any]:
    """``(a, b)`` for ``a - b``; a bool tensor or Python bool operand is refused, as PyTorch
    does (subtraction of masks is usually a mistake for ``^`` or ``~``)."""
    if _is_bool(a) or _is_bool(b):
        if _is_bool(a) and _is_bool(b):
            raise DTypeError(
                "sub: subtraction, the `-` operator, with two bool tensors is not supported; "
                "use the `^` or `logical_xor()` operator instead"
            )
        raise DTypeError(
            "sub: subtraction, the `-` operator, with a bool tensor is not supported; to "
            "invert a mask use the `~` or `logical_not()` operator instead"
        )
    return a, b


def _no_bool_neg(a: Tensor) -> Tensor:
    """``a`` for ``-a``; a bool tensor is refused, as PyTorch does."""
    if a.data.dtype.kind == "b":
        raise DTypeError(
            "neg: negation, the `-` operator, on a bool tensor is not supported; to invert a "
            "mask use the `~` or `logical_not()` operator instead"
        )
    return a


def _shape_args(shape: tuple, op: str) -> tuple:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], list | tuple):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, _builtin_bool) or not isinstance(s, _builtin_int | np.integer):
            raise TypeError(f"{op}: expected ints, got {shape!r}")
    return tuple(_builtin_int(s) for s in shape)


def _index(index: Any) -> Any:
    """Unwrap Tensors (and lists) inside an index so NumPy can use it."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _all_if_empty(dim: Any) -> Any:
    """``dim=()`` / ``dim=[]`` means every dim in PyTorch's reductions."""
    return None if isinstance(dim, tuple | list) and len(dim) == 0 else dim


def _one_dim(dim: Any, ndim: int, op: str) -> int:
    """One dim index, checked and made non-negative (0 for a 0-d tensor)."""
    if not isinstance(dim, _builtin_int | np.integer) or isinstance(dim, _builtin_bool):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    axes = normalize_dims(dim, ndim, op)
    return axes[0] if axes else 0


def _to_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._new(x)


# ---- primitives re-exported under their op names ---------------------------------------------

Add, Sub, Mul, Div, Neg, Pow = E.Add, E.Sub, E.Mul, E.Div, E.Neg, E.Pow
Exp, Log, Sqrt, Abs, Sin, Cos = E.Exp, E.Log, E.Sqrt, E.Abs, E.Sin, E.Cos
Tanh, Sigmoid, ReLU = E.Tanh, E.Sigmoid, E.ReLU
GetItem = S.GetItem


class Cast(Function):
    """Change dtype; the gradient is cast back (only between float dtypes)."""

    def forward(self, a, dtype):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.in_dtype) if self.in_dtype.kind == "f" else None


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return grad


# ---- functions (the ``hosila.`` namespace) ---------------------------------------------------


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor from a number, a nested sequence or an array (copied).

    Python floats give float32 (the default float dtype), Python ints int64, bools bool;
    NumPy arrays keep their dtype. Only float tensors may have ``requires_grad=True``.
    """
    return Tensor._new(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"from_numpy: unsupported dtype {array.dtype}")
    return Tensor._from_op(array, None)


def is_tensor(obj: Any) -> bool:
    """True when ``obj`` is a hosila Tensor."""
    return isinstance(obj, Tensor)


def _size(size: tuple, op: str) -> tuple[int, ...]:
    shape = _shape_args(size, op)
    if any(s < 0 for s in shape):
        raise ShapeError(f"{op}: sizes must be non-negative, got {shape}")
    return shape


def _float_dtype(dtype: Any, op: str) -> np.dtype:
    return _default_float if dtype is None else as_dtype(dtype, op)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of shape ``size`` (float32 unless ``dtype``)."""
    data = np.zeros(_size(size, "zeros"), dtype=_float_dtype(dtype, "zeros"))
    return Tensor._new(data, requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of shape ``size`` (float32 unless ``dtype``)."""
    data = np.ones(_size(size, "ones"), dtype=_float_dtype(dtype, "ones"))
    return Tensor._new(data, requires_grad=requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of shape ``size``."""
    data = np.empty(_size(size, "empty"), dtype=_float_dtype(dtype, "empty"))
    return Tensor._new(data, requires_grad=requires_grad)


def full(
    size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype inferred as in ``tensor``)."""
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    data = np.full(_size(tuple(size), "full"), fill_value, dtype=as_dtype(dtype, "full"))
    return Tensor._new(data, requires_grad=requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``t`` (its dtype unless ``dtype``)."""
    return Tensor._new(np.zeros_like(_to_tensor(t).data, dtype=dtype), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones shaped like ``t`` (its dtype unless ``dtype``)."""
    return Tensor._new(np.ones_like(_to_tensor(t).data, dtype=dtype), requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` shaped like ``t`` (its dtype unless ``dtype``)."""
    data = np.full_like(_to_tensor(t).data, fill_value, dtype=dtype)
    return Tensor._new(data, requires_grad=requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 when all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ShapeError("arange: step must be nonzero")
    all_int = all(isinstance(v, _builtin_int | np.integer) for v in (start, end, step))
    d = as_dtype(dtype, "arange") if dtype is not None else (int64 if all_int else _default_float)
    return Tensor._new(np.arange(start, end, step).astype(d), requires_grad=requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if not isinstance(steps, _builtin_int | np.integer) or steps < 0:
        raise ShapeError(f"linspace: steps must be a non-negative int, got {steps!r}")
    data = np.linspace(start, end, steps).astype(_float_dtype(dtype, "linspace"))
    return Tensor._new(data, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (m = n by default)."""
    data = np.eye(n, m, dtype=_float_dtype(dtype, "eye"))
    return Tensor._new(data, requires_grad=requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from hosila's generator (see ``manual_seed``)."""
    d = _float_dtype(dtype, "rand")
    data = default_generator().random(_size(size, "rand"), dtype=np.float64).astype(d)
    return Tensor._new(data, requires_grad=requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from hosila's generator (see ``manual_seed``)."""
    d = _float_dtype(dtype, "randn")
    data = default_generator().standard_normal(_size(size, "randn")).astype(d)
    return Tensor._new(data, requires_grad=requires_grad)


def randint(
    low: Any, high: Any = None, size: Any = None, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Integers uniform in [low, high) (int64), from hosila's generator.

    As in PyTorch: ``randint(high, size)``, ``randint(low, high, size)`` or with keywords;
    ``size`` is a tuple.
    """
    if size is None:
        if isinstance(high, tuple | list):  # randint(high, size)
            low, high, size = 0, low, high
        else:
            raise TypeError("randint: missing the size argument (a tuple of ints)")
    if high is None:
        low, high = 0, low
    if requires_grad:
        raise DTypeError("randint: only floating-point tensors can require gradients")
    if high <= low:
        raise ShapeError(f"randint: expected low < high, got low={low}, high={high}")
    d = int64 if dtype is None else as_dtype(dtype, "randint")
    data = default_generator().integers(low, high, size=_size(tuple(size), "randint"))
    return Tensor._new(data.astype(d))


def randperm(n: int, dtype: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    d = int64 if dtype is None else as_dtype(dtype, "randperm")
    return Tensor._new(default_generator().permutation(n).astype(d))


# elementwise


def add(a: Any, b: Any, alpha: Any = 1) -> Tensor:
    """``a + alpha * b`` (broadcasting, PyTorch's type promotion)."""
    return _to_tensor(a).add(b, alpha=alpha)


def sub(a: Any, b: Any, alpha: Any = 1) -> Tensor:
    """``a - alpha * b`` (broadcasting, PyTorch's type promotion)."""
    return _to_tensor(a).sub(b, alpha=alpha)


def mul(a: Any, b: Any) -> Tensor:
    """``a * b`` elementwise (broadcasting)."""
    return Mul.apply(*_binary(_to_tensor(a), b))


def div(a: Any, b: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``a / b``: true division (integers give float32) when ``rounding_mode`` is None;
    ``"trunc"`` rounds toward zero and ``"floor"`` toward −inf, keeping integer dtypes
    (integer division by zero raises, as PyTorch) with zero gradients."""
    if rounding_mode is None:
        return Div.apply(*_binary(_to_tensor(a), b, true_div=True))
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    a, b = _binary(_to_tensor(a), b)
    if _is_bool(a) and _is_bool(b):
        raise NotImplementedForDTypeError(f"div: rounding_mode={rounding_mode!r} on bool")
    _int_zero_check(a, b, "div")
    return E.RoundedDiv.apply(a, b, mode=rounding_mode)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001
    """``a ** b``; either may be a number (a number base with a tensor exponent works too)."""
    return _to_tensor(a) ** b if not isinstance(b, Tensor) else a**b


def neg(a: Tensor) -> Tensor:
    """``-a`` (a bool tensor is refused, as in PyTorch: use ``~`` or ``logical_not``)."""
    return Neg.apply(_no_bool_neg(_to_tensor(a)))


def exp(a: Tensor) -> Tensor:
    """e to the power ``a`` (integers give float32)."""
    return _to_tensor(a).exp()


def log(a: Tensor) -> Tensor:
    """Natural logarithm (integers give float32)."""
    return _to_tensor(a).log()


def sqrt(a: Tensor) -> Tensor:
    """Square root; its gradient at 0 is inf, as in PyTorch."""
    return _to_tensor(a).sqrt()


def abs(a: Tensor) -> Tensor:  # noqa: A001
    """Absolute value; the gradient at 0 is 0, as in PyTorch."""
    return _to_tensor(a).abs()


def sin(a: Tensor) -> Tensor:
    """Sine (radians)."""
    return _to_tensor(a).sin()


def cos(a: Tensor) -> Tensor:
    """Cosine (radians)."""
    return _to_tensor(a).cos()


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _to_tensor(a).tanh()


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^(-a)), computed without overflow."""
    return _to_tensor(a).sigmoid()


def relu(a: Tensor) -> Tensor:
    """max(a, 0); the gradient at 0 is 0, as in PyTorch."""
    return _to_tensor(a).relu()


def clamp(a: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the gradient flows where min ≤ a ≤ max."""
    a = _to_tensor(a)
    if min is None and max is None:
        raise ShapeError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = None if min is None else _to_tensor(min)
        hi = None if max is None else _to_tensor(max)
        d = a.data.dtype
        for bound in (lo, hi):
            if bound is not None:
                d = _result_dtype(Tensor._from_op(np.empty((1,), d), None), bound)
        lo = None if lo is None else lo.to(d)
        hi = None if hi is None else hi.to(d)
        return E.ClampTensor.apply(a.to(d), lo, hi)
    if a.data.dtype.kind != "f" and (
        isinstance(min, _builtin_float) or isinstance(max, _builtin_float)
    ):
        a = a.to(_default_float)
    return E.Clamp.apply(a, min, max)


clip = clamp


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (broadcasting); ties share the gradient equally."""
    return E.Maximum.apply(*_binary(_to_tensor(a), _to_tensor(b)))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum of two tensors (broadcasting); ties share the gradient equally."""
    return E.Minimum.apply(*_binary(_to_tensor(a), _to_tensor(b)))


def where(condition: Any, a: Any = None, b: Any = None) -> Any:
    """``a`` where ``condition`` is true, else ``b`` (all three broadcast).

    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``, as in PyTorch.
    """
    if a is None and b is None:
        return nonzero(condition, as_tuple=True)
    if a is None or b is None:
        raise TypeError("where: give both a and b, or neither")
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool_:
        raise DTypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._new(a)
    if isinstance(a, Tensor):
        a, b = _binary(a, b)
    else:
        b, a = _binary(b, a)
    return E.Where.apply(cond, a, b)


# reductions


def _dim_or_axis(dim: Any, axis: Any, op: str) -> Any:
    """PyTorch accepts NumPy's ``axis=`` as another name for ``dim``."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; give one")
    return axis


def _with_axis_alias(fn: Any) -> Any:
    """``fn`` (a function or method whose second parameter is ``dim``) also taking NumPy's
    ``axis=`` keyword as another name for ``dim``, as PyTorch's reductions do."""

    @functools.wraps(fn)
    def wrapper(*args: Any, axis: Any = None, **kwargs: Any) -> Any:
        if axis is not None:
            if len(args) > 1 or "dim" in kwargs:
                raise TypeError(f"{fn.__name__}: got both dim and axis={axis!r}; give one")
            kwargs["dim"] = axis
        return fn(*args, **kwargs)

    return wrapper


def sum(  # noqa: A001
    a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or all dims when None; ``axis`` is an alias).
    Bool/int sums are int64; ``dtype`` casts the input first."""
    a = _to_tensor(a)
    dim = _dim_or_axis(dim, axis, "sum")
    if dtype is not None:
        a = a.to(dtype)
    elif a.data.dtype.kind in "biu" and a.data.dtype != int64:
        a = a.to(int64)
    return R.Sum.apply(a, normalize_dims(_all_if_empty(dim), a.ndim, "sum"), keepdim)


def mean(
    a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None
) -> Tensor:
    """Mean over ``dim`` (an int, a tuple, or all dims when None; ``axis`` is an alias);
    float tensors only, or any tensor with a floating ``dtype`` to cast it to first."""
    a = _to_tensor(a)
    dim = _dim_or_axis(dim, axis, "mean")
    if dtype is not None:
        d = as_dtype(dtype, "mean")
        if d.kind != "f":
            raise DTypeError(f"mean: dtype must be a floating dtype, got {d}")
        a = a.to(d)
    if a.data.dtype.kind != "f":
        raise DTypeError(
            f"mean: needs a floating-point tensor, got dtype {a.data.dtype} (pass dtype=)"
        )
    return R.Mean.apply(a, normalize_dims(_all_if_empty(dim), a.ndim, "mean"), keepdim)


def amax(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Max over ``dim`` (all dims when () or None); tied maxima share the gradient."""
    a = _to_tensor(a)
    _nonempty(a, "amax")
    return R.AMax.apply(a, normalize_dims(dim if dim != () else None, a.ndim, "amax"), keepdim)


def amin(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Min over ``dim`` (all dims when () or None); tied minima share the gradient."""
    a = _to_tensor(a)
    _nonempty(a, "amin")
    return R.AMin.apply(a, normalize_dims(dim if dim != () else None, a.ndim, "amin"), keepdim)


def _nonempty(a: Tensor, op: str) -> None:
    if a.data.size == 0:
        raise ShapeError(f"{op}: the input is empty (shape {a.shape}); the result is undefined")


def _max_min(a: Tensor, dim: Any, keepdim: bool, op: str) -> Any:
    a = _to_tensor(a)
    _nonempty(a, op)
    if dim is None:
        return amax(a) if op == "max" else amin(a)
    if not isinstance(dim, _builtin_int | np.integer):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    axis = _one_dim(dim, a.ndim, op)
    data = a.data if a.ndim else a.data.reshape(1)
    idx = (np.argmax if op == "max" else np.argmin)(data, axis=axis, keepdims=True)
    src = a if a.ndim else a.reshape(1)
    values = R.TakeAlongDim.apply(src, idx, axis, keepdim or a.ndim == 0)
    indices = idx if keepdim else idx.squeeze(axis)
    if a.ndim == 0:
        values, indices = values.reshape(()), indices.reshape(())
    return MaxResult(values, Tensor._from_op(indices.astype(int64), None))


class MaxResult(tuple):
    """``(values, indices)`` as returned by ``max(dim)``/``min(dim)``, also by name."""

    def __new__(cls, values: Tensor, indices: Tensor) -> MaxResult:
        return super().__new__(cls, (values, indices))

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]


def max(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Without ``dim``: the largest element. With ``dim``: ``(values, indices)`` along it;
    the gradient goes to the element each index names."""
    if isinstance(dim, Tensor):  # max(a, b) is maximum, as in PyTorch
        return maximum(a, dim)
    return _max_min(a, dim, keepdim, "max")


def min(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """Without ``dim``: the smallest element. With ``dim``: ``(values, indices)`` along it."""
    if isinstance(dim, Tensor):
        return minimum(a, dim)
    return _max_min(a, dim, keepdim, "min")


def argmax(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    a = _to_tensor(a)
    _nonempty(a, "argmax")
    if dim is None:
        out = np.argmax(a.data)
        return Tensor._from_op(
            np.asarray(out, dtype=int64).reshape((1,) * a.ndim if keepdim else ()), None
        )
    axis = _one_dim(dim, a.ndim, "argmax")
    return Tensor._from_op(np.argmax(a.data, axis=axis, keepdims=keepdim).astype(int64), None)


def argmin(a: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    a = _to_tensor(a)
    _nonempty(a, "argmin")
    if dim is None:
        out = np.argmin(a.data)
        return Tensor._from_op(
            np.asarray(out, dtype=int64).reshape((1,) * a.ndim if keepdim else ()), None
        )
    axis = _one_dim(dim, a.ndim, "argmin")
    return Tensor._from_op(np.argmin(a.data, axis=axis, keepdims=keepdim).astype(int64), None)


def logsumexp(a: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(a), dim)) computed stably (finite for logits of ±1e4)."""
    a = _floating(_to_tensor(a), "logsumexp")
    return R.LogSumExp.apply(a, normalize_dims(_all_if_empty(dim), a.ndim, "logsumexp"), keepdim)


def softmax(a: Tensor, dim: int) -> Tensor:
    """exp(a) / sum(exp(a), dim), stable for large logits."""
    a = _float_only(_to_tensor(a), "softmax")
    return R.Softmax.apply(a, _one_dim(dim, a.ndim, "softmax"))


def log_softmax(a: Tensor, dim: int) -> Tensor:
    """a − logsumexp(a, dim), stable for large logits."""
    a = _float_only(_to_tensor(a), "log_softmax")
    return R.LogSoftmax.apply(a, _one_dim(dim, a.ndim, "log_softmax"))


# shape


def reshape(a: Tensor, shape: Sequence[int]) -> Tensor:
    """The same elements in a new shape (one dim may be -1)."""
    a = _to_tensor(a)
    shape = tuple(shape)
    try:
        target = _infer_shape(shape, a.data.size)
    except ValueError as exc:
        raise ShapeError(
            f"reshape: cannot reshape a tensor of shape {a.shape} to {shape}: {exc}"
        ) from None
    if target == a.shape:
        return a
    return a._add_view(S.Reshape.apply(a, target), "reshape", target)


def _infer_shape(shape: tuple, size: int) -> tuple[int, ...]:
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1 or any(s < -1 for s in shape):
        raise ShapeError("only one dimension can be -1 and sizes must be >= -1")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{size} elements do not divide into the known sizes")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise ShapeError(f"{size} elements, but the new shape holds {known}")
    return shape


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    a = _to_tensor(a)
    if a.ndim == 0:
        return a.reshape(1)
    s, e = (
        _one_dim(start_dim, a.ndim, "flatten"),
        _one_dim(end_dim, a.ndim, "flatten"),
    )
    if s > e:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = 1
    for n in a.shape[s : e + 1]:
        merged *= n
    return reshape(a, a.shape[:s] + (merged,) + a.shape[e + 1 :])


def squeeze(a: Tensor, dim: Any = None) -> Tensor:
    """Drop size-1 dims (all, or those in ``dim`` that have size 1)."""
    a = _to_tensor(a)
    axes = normalize_dims(dim, a.ndim, "squeeze") if dim is not None else range(a.ndim)
    shape = tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1))
    return reshape(a, shape)


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in range [-ndim-1, ndim])."""
    a = _to_tensor(a)
    d = _one_dim(dim, a.ndim + 1, "unsqueeze")
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def permute(a: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder the dimensions: output dim i is input dim ``dims[i]``."""
    a = _to_tensor(a)
    dims = tuple(dims)
    if len(dims) != a.ndim:
        raise ShapeError(
            f"permute: got {len(dims)} dims {dims} for a tensor with {a.ndim} dimensions"
        )
    norm = tuple(_one_dim(d, a.ndim, "permute") for d in dims)
    if len(set(norm)) != len(norm):
        raise ShapeError(f"permute: dims {dims} repeat a dimension")
    if norm == tuple(range(a.ndim)):
        return a
    return a._add_view(S.Permute.apply(a, norm), "permute", norm)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    a = _to_tensor(a)
    if a.ndim == 0:
        return a
    d0 = _one_dim(dim0, a.ndim, "transpose")
    d1 = _one_dim(dim1, a.ndim, "transpose")
    dims = list(range(a.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(a, dims)


def expand(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast size-1 dims to ``shape`` (-1 keeps a dim) without copying."""
    a = _to_tensor(a)
    shape = tuple(shape)
    if len(shape) < a.ndim:
        raise ShapeError(
            f"expand: the target shape {shape} has fewer dims than the tensor {a.shape}"
        )
    lead = len(shape) - a.ndim
    if any(s < 0 for s in shape[:lead]):
        raise ShapeError(f"expand: -1 is not allowed in a new leading dim: {a.shape} to {shape}")
    target = tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
    for i, n in enumerate(a.shape):
        if n != 1 and n != target[i + lead]:
            raise ShapeError(f"expand: cannot expand shape {a.shape} to {shape}")
    if target == a.shape:
        return a
    return a._add_view(S.Expand.apply(a, target), "expand", target)


def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Same as :func:`expand`."""
    return expand(a, shape)


def flip(a: Tensor, dims: Sequence[int]) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    a = _to_tensor(a)
    return S.Flip.apply(a, normalize_dims(tuple(dims), a.ndim, "flip"))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other dims must match."""
    tensors = [_to_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("cat: expected a non-empty sequence of tensors")
    ref = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(f"cat: tensor {i} is zero-dimensional and cannot be concatenated")
    axis = _one_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        if (
            t.ndim != ref.ndim
            or t.shape[:axis] + t.shape[axis + 1 :] != ref.shape[:axis] + ref.shape[axis + 1 :]
        ):
            raise ShapeError(
                f"cat: tensor {i} has shape {t.shape}, which does not match {ref.shape} "
                f"outside dim {dim}"
            )
    dtype = tensors[0].data.dtype
    for t in tensors[1:]:
        dtype = _result_dtype(Tensor._from_op(np.empty(1, dtype), None), t)
    tensors = [t.to(dtype) for t in tensors]
    return S.Cat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    tensors = [_to_tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with PyTorch's rules for 1-D, 2-D and batched operands."""
    a, b = _to_tensor(a), _to_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both operands need at least 1 dimension, got {a.shape} @ {b.shape}"
        )
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise ShapeError(f"matmul: {a.shape} @ {b.shape}: inner dimensions {ka} and {kb} differ")
    if a.ndim > 2 or b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ShapeError(
                f"matmul: {a.shape} @ {b.shape}: batch dimensions {a.shape[:-2]} and "
                f"{b.shape[:-2]} do not broadcast"
            ) from None
    if a.data.dtype != b.data.dtype:  # PyTorch does not promote here either
        raise DTypeError(
            f"matmul: expected both operands to have the same dtype, got {a.dtype} and "
            f"{b.dtype} (cast one with .to())"
        )
    return L.MatMul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Product of two matrices: ``a: (n, k)``, ``b: (k, m)`` -> ``(n, m)``."""
    a, b = _to_tensor(a), _to_tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: expects two 2-D tensors, got {a.shape} and {b.shape}")
    return matmul(a, b)


# ---- statistics ------------------------------------------------------------------------------


def _var_args(dim: Any, unbiased: Any, correction: Any, op: str) -> tuple[Any, Any]:
    """Resolve PyTorch's two ``var``/``std`` signatures into (dim, correction)."""
    if isinstance(dim, _builtin_bool):  # var(unbiased) as the first positional argument
        if unbiased is not None:
            raise TypeError(f"{op}: got unbiased twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give either unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if isinstance(correction, _builtin_bool) or not isinstance(
        correction, numbers.Real | np.integer
    ):
        raise TypeError(f"{op}: correction must be a number, got {correction!r}")
    return dim, correction


def var(
    a: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    """Variance over ``dim`` (int, tuple, or all dims): Σ(a − mean)² / (N − correction).

    ``correction`` defaults to 1 (Bessel's correction, the sample variance); ``unbiased=False``
    is ``correction=0``. Both PyTorch signatures work: ``var(dim, unbiased, keepdim)`` and
    ``var(dim, correction=..., keepdim=...)``.
    """
    a = _to_tensor(a)
    dim, correction = _var_args(dim, unbiased, correction, "var")
    if a.data.dtype.kind != "f":
        raise DTypeError(f"var: needs a floating-point tensor, got dtype {a.data.dtype}")
    axes = normalize_dims(_all_if_empty(dim), a.ndim, "var")
    return R.Var.apply(a, axes, correction, keepdim, False)


def std(
    a: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> Tensor:
    """Standard deviation: the square root of :func:`var` (same arguments and defaults).

    Its gradient is taken as 0 where the result is 0 (a constant input), as in PyTorch.
    """
    a = _to_tensor(a)
    dim, correction = _var_args(dim, unbiased, correction, "std")
    if a.data.dtype.kind != "f":
        raise DTypeError(f"std: needs a floating-point tensor, got dtype {a.data.dtype}")
    axes = normalize_dims(_all_if_empty(dim), a.ndim, "std")
    return R.Var.apply(a, axes, correction, keepdim, True)


def cumsum(a: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim`` (bool/int inputs give int64, as in PyTorch)."""
    a = _to_tensor(a)
    if dtype is not None:
        a = a.to(dtype)
    elif a.data.dtype.kind in "biu":
        a = a.to(int64)
    axis = _one_dim(dim, a.ndim, "cumsum") if a.ndim else None
    if axis is None:
        return Clone.apply(a)
    return R.CumSum.apply(a, axis)


# ---- more elementwise ------------------------------------------------------------------------


def square(a: Tensor) -> Tensor:
    """a * a."""
    a = _to_tensor(a)
    return a * a


def reciprocal(a: Tensor) -> Tensor:
    """1 / a (integers give float32)."""
    return Div.apply(*_binary(1, _to_tensor(a), true_div=True))


def rsqrt(a: Tensor) -> Tensor:
    """1 / sqrt(a)."""
    return _floating(_to_tensor(a), "rsqrt") ** -0.5


def log1p(a: Tensor) -> Tensor:
    """log(1 + a), accurate for small ``a``."""
    return E.Log1p.apply(_floating(_to_tensor(a), "log1p"))


def expm1(a: Tensor) -> Tensor:
    """exp(a) − 1, accurate for small ``a``."""
    return E.Expm1.apply(_floating(_to_tensor(a), "expm1"))


def _rounding(a: Any, fn: str) -> Tensor:
    a = _to_tensor(a)
    if a.data.dtype.kind != "f" and fn != "sign":
        return Clone.apply(a) if a.requires_grad else Tensor._from_op(a.data.copy(), None)
    return E.Rounding.apply(a, fn)


def floor(a: Tensor) -> Tensor:
    """Round down (gradient zero)."""
    return _rounding(a, "floor")


def ceil(a: Tensor) -> Tensor:
    """Round up (gradient zero)."""
    return _rounding(a, "ceil")


def round(a: Tensor) -> Tensor:  # noqa: A001
    """Round half to even, as PyTorch (gradient zero)."""
    return _rounding(a, "round")


def trunc(a: Tensor) -> Tensor:
    """Round toward zero (gradient zero)."""
    return _rounding(a, "trunc")


def sign(a: Tensor) -> Tensor:
    """−1, 0 or 1 (gradient zero)."""
    a = _to_tensor(a)
    if a.data.dtype == bool_:
        return Tensor._from_op(a.data.copy(), None)
    return E.Rounding.apply(a, "sign")


def _int_zero_check(a: Any, b: Any, op: str) -> None:
    """Integer ``//`` and ``%`` by zero: PyTorch raises (NumPy would warn and give 0)."""
    x, y = (t.data if isinstance(t, Tensor) else np.asarray(t) for t in (a, b))
    if x.dtype.kind in "iub" and y.dtype.kind in "iub" and not y.all():
        raise RuntimeError(f"ZeroDivisionError: integer {op} by zero")


def remainder(a: Any, b: Any) -> Tensor:
    """``a % b`` with the sign of ``b`` (Python's rule, as ``torch.remainder``). Integer
    division by zero raises (as PyTorch)."""
    a, b = _binary(a, b) if isinstance(a, Tensor) else _binary(a, _to_tensor(b))
    _int_zero_check(a, b, "remainder")
    return E.Remainder.apply(a, b)


def floor_divide(a: Any, b: Any) -> Tensor:
    """``a // b`` rounded toward −inf; not differentiable (backward raises, as in PyTorch).
    Integer division by zero raises (as PyTorch)."""
    a, b = _binary(a, b) if isinstance(a, Tensor) else _binary(a, _to_tensor(b))
    _int_zero_check(a, b, "floor_divide")
    return E.FloorDivide.apply(a, b)


def masked_fill(a: Tensor, mask: Any, value: Any) -> Tensor:
    """``value`` where the bool ``mask`` (broadcast to ``a``) is true, else ``a``.

    The result has ``a``'s dtype and shape; a 0-d tensor ``value`` gets its gradient summed.
    """
    a = _to_tensor(a)
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != bool_:
        raise DTypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    try:
        np.broadcast_shapes(m.shape, a.shape)
        if np.broadcast_shapes(m.shape, a.shape) != a.shape:
            raise ValueError
    except ValueError:
        raise ShapeError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the tensor's shape "
            f"{a.shape}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(
                f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}"
            )
        value = value.to(a.data.dtype)
    else:
        value = Tensor._from_op(np.asarray(value).astype(a.data.dtype), None)
    return E.Where.apply(m, value, a)


def _tri(a: Tensor, diagonal: int, lower: bool, op: str) -> Tensor:
    a = _to_tensor(a)
    if a.ndim < 2:
        raise ShapeError(f"{op}: needs a tensor with at least 2 dimensions, got {a.shape}")
    n, m = a.shape[-2:]
    keep = np.tri(n, m, diagonal, dtype=bool_)
    if not lower:
        keep = ~np.tri(n, m, diagonal - 1, dtype=bool_)
    zero = Tensor._from_op(np.zeros((), dtype=a.data.dtype), None)
    return E.Where.apply(keep, a, zero)


def tril(a: Tensor, diagonal: int = 0) -> Tensor:
    """Keep the lower triangle of the last two dims (on and below ``diagonal``), zero the rest."""
    return _tri(a, diagonal, True, "tril")


def triu(a: Tensor, diagonal: int = 0) -> Tensor:
    """Keep the upper triangle of the last two dims (on and above ``diagonal``), zero the rest."""
    return _tri(a, diagonal, False, "triu")


# ---- more shape ops --------------------------------------------------------------------------


def _repeat(a: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """``a.repeat(*sizes)`` from primitives: reshape to (1, s0, 1, s1, ...), expand the 1s to
    the repeat counts, merge each pair."""
    if len(sizes) < a.ndim:
        raise ShapeError(
            f"repeat: got {len(sizes)} repeat counts {sizes} for a tensor with {a.ndim} "
            f"dimensions (need at least {a.ndim})"
        )
    if any(r < 0 for r in sizes):
        raise ShapeError(f"repeat: repeat counts must be >= 0, got {sizes}")
    shape = (1,) * (len(sizes) - a.ndim) + a.shape
    pairs = tuple(x for n in shape for x in (1, n))
    big = tuple(x for r, n in zip(sizes, shape, strict=True) for x in (r, n))
    out = expand(reshape(a, pairs), big)
    return reshape(out, tuple(r * n for r, n in zip(sizes, shape, strict=True)))


def narrow(a: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice ``start:start+length`` of dimension ``dim`` (a view)."""
    a = _to_tensor(a)
    d = _one_dim(dim, a.ndim, "narrow")
    n = a.shape[d]
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise ShapeError(
            f"narrow: start {start} and length {length} do not fit dimension {dim} of size {n}"
        )
    return a[(slice(None),) * d + (slice(start, start + length),)]


def split(a: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Cut ``a`` along ``dim`` into pieces of ``split_size`` (the last may be smaller) or into
    pieces of the sizes in a list ``sections`` (which must add up to the dim's size)."""
    a = _to_tensor(a)
    d = _one_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, _builtin_int | np.integer) and not isinstance(
        split_size_or_sections, _builtin_bool
    ):
        size = _builtin_int(split_size_or_sections)
        if size <= 0:
            raise ShapeError(f"split: split_size must be a positive int, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if n == 0:
            sizes = [0]
    else:
        sizes = [_builtin_int(s) for s in split_size_or_sections]
        if builtins_sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: sections {sizes} must be >= 0 and add up to the size {n} of dim {dim}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(a[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return _multi_views(out, "split")


def _multi_views(outs: Sequence[Tensor], op: str) -> tuple[Tensor, ...]:
    """Mark views that one call returned together (``split``, ``chunk``, ``unbind``): as in
    PyTorch, an in-place op in the graph on one of them is refused."""
    for k, o in enumerate(outs):
        if o._view is not None and o._view[1] == "index":
            o._view = (o._view[0], "multi", (o._view[2], op, k))
    return tuple(outs)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of equal size ceil(n / chunks) (the last may be smaller,
    and there may be fewer pieces), as ``torch.chunk``."""
    a = _to_tensor(a)
    if not isinstance(chunks, _builtin_int | np.integer) or chunks <= 0:
        raise ShapeError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = _one_dim(dim, a.ndim, "chunk")
    n = a.shape[d]
    size = -(-n // chunks) if n else 1
    return split(a, size, dim) if n else (a,)


def unbind(a: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that dimension removed."""
    a = _to_tensor(a)
    d = _one_dim(dim, a.ndim, "unbind")
    return _multi_views([a[(slice(None),) * d + (i,)] for i in range(a.shape[d])], "unbind")


def movedim(a: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination`` (ints or tuples); the others keep
    their order."""
    a = _to_tensor(a)
    src = (source,) if isinstance(source, _builtin_int | np.integer) else tuple(source)
    dst = (
        (destination,) if isinstance(destination, _builtin_int | np.integer) else tuple(destination)
    )
    if len(src) != len(dst):
        raise ShapeError(f"movedim: source {source} and destination {destination} differ in length")
    src = tuple(_one_dim(s, a.ndim, "movedim") for s in src)
    dst = tuple(_one_dim(s, a.ndim, "movedim") for s in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ShapeError(f"movedim: repeated dims in {source} or {destination}")
    rest = iter(i for i in range(a.ndim) if i not in src)
    placed = dict(zip(dst, src, strict=True))
    return permute(a, [placed[i] if i in placed else next(rest) for i in range(a.ndim)])


def swapaxes(a: Tensor, axis0: int, axis1: int) -> Tensor:
    """Same as :func:`transpose`."""
    return transpose(a, axis0, axis1)


def _index_tensor(index: Any, op: str) -> np.ndarray:
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}")
    return idx


def gather(a: Tensor, dim: int, index: Any) -> Tensor:
    """``out[i][j] = a[i][index[i][j]]`` for ``dim=1`` (any number of dims).

    a: (..., n, ...); index: integer, same number of dims as ``a``, no larger than ``a``
    outside ``dim``; out: index's shape. Repeated indices accumulate in backward.
    """
    a = _to_tensor(a)
    idx = _index_tensor(index, "gather")
    d = _one_dim(dim, a.ndim, "gather")
    if idx.ndim != a.ndim:
        raise ShapeError(
            f"gather: index has {idx.ndim} dims {idx.shape} but the input has {a.ndim} {a.shape}"
        )
    for i, (ni, na) in enumerate(zip(idx.shape, a.shape, strict=True)):
        if i != d and ni > na:
            raise ShapeError(
                f"gather: index {idx.shape} is larger than the input {a.shape} in dim {i}"
            )
    n = a.shape[d] if a.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"gather: index out of range for dim {dim} of size {n}")
    return S.Gather.apply(a, idx, d)


def take_along_dim(a: Tensor, indices: Any, dim: int) -> Tensor:
    """Like :func:`gather`, with ``indices`` broadcast against ``a`` outside ``dim``."""
    a = _to_tensor(a)
    idx = _index_tensor(indices, "take_along_dim")
    d = _one_dim(dim, a.ndim, "take_along_dim")
    shape = list(
        np.broadcast_shapes(
            a.shape[:d] + (1,) + a.shape[d + 1 :], idx.shape[:d] + (1,) + idx.shape[d + 1 :]
        )
    )
    a = expand(a, shape[:d] + [a.shape[d]] + shape[d + 1 :])
    idx = np.broadcast_to(idx, tuple(shape[:d] + [idx.shape[d]] + shape[d + 1 :]))
    return gather(a, d, idx)


def index_select(a: Tensor, dim: int, index: Any) -> Tensor:
    """The entries ``index`` (1-D integer) along ``dim``; repeats accumulate in backward."""
    a = _to_tensor(a)
    idx = _index_tensor(index, "index_select")
    if idx.ndim > 1:
        raise ShapeError(f"index_select: index must be 1-D, got shape {idx.shape}")
    d = _one_dim(dim, a.ndim, "index_select")
    return a[(slice(None),) * d + (idx.reshape(-1),)]


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Any = None) -> Tensor:  # noqa: A002
    """Pad (or, with negative amounts, crop) the last dims, as ``torch.nn.functional.pad``.

    ``pad`` = (left, right) for the last dim, then (top, bottom) for the one before, and so
    on backwards. ``mode``: "constant" (fill with ``value``, default 0), "reflect" (mirror
    without repeating the edge), "replicate" (repeat the edge), "circular" (wrap around).
    input: (*, n); out: (*, n + left + right).
    """
    a = _to_tensor(input)
    pads = tuple(pad)
    if any(
        isinstance(p, _builtin_bool) or not isinstance(p, _builtin_int | np.integer) for p in pads
    ):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}")
    if len(pads) % 2:
        raise ShapeError(f"pad: the pad sequence must have an even length, got {len(pads)}")
    if len(pads) // 2 > a.ndim:
        raise ShapeError(
            f"pad: {len(pads)} pad values pad {len(pads) // 2} dims, but the input {a.shape} "
            f"has only {a.ndim}"
        )
    if mode not in _PAD_MODES:
        raise ShapeError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ShapeError(f"pad: value is only used with mode='constant', got mode={mode!r}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pads) // 2):
        widths[a.ndim - 1 - i] = (_builtin_int(pads[2 * i]), _builtin_int(pads[2 * i + 1]))
    if mode == "constant":
        crop = tuple(
            slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n)
            for (lo, hi), n in zip(widths, a.shape, strict=True)
        )
        for (lo, hi), n in zip(widths, a.shape, strict=True):
            if n + builtins_min(lo, 0) + builtins_min(hi, 0) < 0:
                raise ShapeError(f"pad: padding {pads} crops more than the input {a.shape} holds")
        if any(lo < 0 or hi < 0 for lo, hi in widths):
            a = a[crop]
        pos = tuple((builtins_max(lo, 0), builtins_max(hi, 0)) for lo, hi in widths)
        if not any(lo or hi for lo, hi in pos):
            return a if a is not input else Clone.apply(a)
        return S.Pad.apply(a, pos, 0 if value is None else value)
    out = a
    for ax, (lo, hi) in enumerate(widths):
        if not lo and not hi:
            continue
        n = a.shape[ax]
        if lo < 0 or hi < 0:
            raise ShapeError("pad: negative padding is only supported in mode='constant'")
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(
                f"pad: reflect padding ({lo}, {hi}) must be smaller than the size {n} of dim {ax}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise ShapeError(
                f"pad: circular padding ({lo}, {hi}) must be at most the size {n} of dim {ax}"
            )
        if n == 0:
            raise ShapeError(f"pad: mode={mode!r} cannot pad the empty dim {ax} of {a.shape}")
        i = np.arange(-lo, n + hi)
        if mode == "reflect":
            i = np.abs(i)
            i = np.where(i >= n, 2 * (n - 1) - i, i)
        elif mode == "replicate":
            i = np.clip(i, 0, n - 1)
        else:
            i = i % n
        out = out[(slice(None),) * ax + (i,)]
    return out


# ---- products, sorting, rolling ------------------------------------------------------------


def prod(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over ``dim`` (one int) or of all elements; bool/int inputs give int64.

    The gradient is exact with zeros in the input (products of the other elements).
    """
    a = _to_tensor(a)
    if dtype is not None:
        a = a.to(dtype)
    elif a.data.dtype.kind in "biu":
        a = a.to(int64)
    if dim is None:
        return R.Prod.apply(reshape(a, (-1,)), 0, False)
    return R.Prod.apply(a, _one_dim(dim, a.ndim, "prod"), keepdim) if a.ndim else Clone.apply(a)


def roll(a: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (the flattened tensor when
    ``dims`` is None), as ``torch.roll``."""
    a = _to_tensor(a)
    if dims is None:
        if not isinstance(shifts, _builtin_int | np.integer):
            raise TypeError(f"roll: with dims=None, shifts must be an int, got {shifts!r}")
        return reshape(roll(reshape(a, (-1,)), shifts, 0), a.shape)
    shifts = (shifts,) if isinstance(shifts, _builtin_int | np.integer) else tuple(shifts)
    dims = (dims,) if isinstance(dims, _builtin_int | np.integer) else tuple(dims)
    if len(shifts) != len(dims):
        raise ShapeError(f"roll: shifts {shifts} and dims {dims} differ in length")
    out = a
    for sh, d in zip(shifts, dims, strict=True):
        ax = _one_dim(d, a.ndim, "roll")
        n = a.shape[ax]
        if n:
            idx = (np.arange(n) - _builtin_int(sh)) % n
            out = out[(slice(None),) * ax + (idx,)]
    return out


def _sort_indices(a: Tensor, dim: int, descending: bool, op: str) -> tuple[int, np.ndarray]:
    ax = _one_dim(dim, a.ndim, op)
    data = a.data if a.ndim else a.data.reshape(1)
    key = -data if descending and data.dtype.kind != "b" else data
    if descending and data.dtype.kind == "b":
        key = ~data
    idx = np.argsort(key, axis=ax, kind="stable")
    return ax, idx if a.ndim else idx.reshape(())


def sort(a: Tensor, dim: int = -1, descending: bool = False) -> Any:
    """``(values, indices)`` sorted along ``dim`` (stable: ties keep their order); the
    gradient flows back to each value's position."""
    a = _to_tensor(a)
    ax, idx = _sort_indices(a, dim, descending, "sort")
    values = gather(a, ax, idx) if a.ndim else Clone.apply(a)
    return MaxResult(values, Tensor._from_op(idx.astype(int64), None))


def argsort(a: Tensor, dim: int = -1, descending: bool = False) -> Tensor:
    """The indices that sort ``a`` along ``dim`` (stable)."""
    a = _to_tensor(a)
    return Tensor._from_op(_sort_indices(a, dim, descending, "argsort")[1].astype(int64), None)


def topk(
    a: Tensor,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> Any:
    """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``."""
    a = _to_tensor(a)
    ax = _one_dim(dim, a.ndim, "topk")
    n = a.shape[ax] if a.ndim else 1
    if not isinstance(k, _builtin_int | np.integer) or not 0 <= k <= n:
        raise ShapeError(f"topk: k must be an int in [0, {n}], got {k!r}")
    _, idx = _sort_indices(a, dim, largest, "topk")
    if a.ndim:
        idx = np.take(idx, np.arange(k), axis=ax)
        return MaxResult(gather(a, ax, idx), Tensor._from_op(idx.astype(int64), None))
    return MaxResult(Clone.apply(a), Tensor._from_op(np.zeros((), int64), None))


def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same length."""
    a, b = _to_tensor(a), _to_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"dot: expects two 1-D tensors, got {a.shape} and {b.shape}")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """``out[i, j] = a[i] * b[j]`` for 1-D ``a: (n,)``, ``b: (m,)`` -> ``(n, m)``."""
    a, b = _to_tensor(a), _to_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"outer: expects two 1-D tensors, got {a.shape} and {b.shape}")
    return unsqueeze(a, 1) * unsqueeze(b, 0)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product: ``a: (B, n, k)``, ``b: (B, k, m)`` -> ``(B, n, m)``."""
    a, b = _to_tensor(a), _to_tensor(b)
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ShapeError(
            f"bmm: expects two 3-D tensors with the same batch size, got {a.shape} and {b.shape}"
        )
    return matmul(a, b)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor shaped like ``t``."""
    return Tensor._new(np.empty_like(_to_tensor(t).data, dtype=dtype), requires_grad=requires_grad)


# Methods that are the functions above with the tensor first: ``x.prod(1)`` is ``prod(x, 1)``.
for _name in (
    "var",
    "std",
    "split",
    "chunk",
    "unbind",
    "narrow",
    "gather",
    "index_select",
    "masked_fill",
    "tril",
    "triu",
    "cumsum",
    "square",
    "reciprocal",
    "rsqrt",
    "log1p",
    "expm1",
    "floor",
    "ceil",
    "round",
    "trunc",
    "sign",
    "movedim",
    "mm",
    "bmm",
    "dot",
    "outer",
    "prod",
    "roll",
    "sort",
    "argsort",
    "topk",
):
    setattr(Tensor, _name, globals()[_name])


def nonzero(a: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or with ``as_tuple`` one
    1-D index tensor per dim (usable as ``x[idx]``)."""
    a = _to_tensor(a)
    idx = np.nonzero(a.data) if a.ndim else np.nonzero(a.data.reshape(1))
    if as_tuple:
        return tuple(Tensor._from_op(i.astype(int64), None) for i in idx)
    out = np.stack(idx, axis=1) if a.ndim else np.zeros((len(idx[0]), 0), dtype=int64)
    return Tensor._from_op(out.astype(int64), None)


def isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Elementwise ``|a − b| ≤ atol + rtol·|b|`` as a bool tensor."""
    a, b = _to_tensor(a), _to_tensor(b)
    return Tensor._from_op(
        np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan), None
    )


def allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True when every element of ``a`` is close to ``b`` (see :func:`isclose`)."""
    return _builtin_bool(isclose(a, b, rtol, atol, equal_nan).data.all())


def equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` have the same shape and elements."""
    a, b = _to_tensor(a), _to_tensor(b)
    return a.shape == b.shape and _builtin_bool(np.array_equal(a.data, b.data))


for _name in ("nonzero", "isclose", "allclose", "equal"):
    setattr(Tensor, _name, globals()[_name])


def _scatter(a: Tensor, dim: int, index: Any, src: Any, reduce: Any, op: str) -> Tensor:
    a, src, idx, d = _scatter_args(a, dim, index, src, op)
    if reduce == "multiply" and src.requires_grad and is_grad_enabled():
        raise RuntimeError(  # PyTorch has no derivative for it either
            "scatter: reduce='multiply' has no gradient for src; detach src or use no_grad"
        )
    return S.Scatter.apply(a, src, idx, d, reduce)


def _scatter_args(a: Tensor, dim: int, index: Any, src: Any, op: str) -> tuple:
    """Checked ``(a, src, index array, axis)`` for the scatter ops."""
    a = _to_tensor(a)
    idx = _index_tensor(index, op)
    d = _one_dim(dim, a.ndim, op)
    if idx.ndim != a.ndim:
        raise ShapeError(f"{op}: index has {idx.ndim} dims {idx.shape}, the input {a.shape}")
    src = (
        src.to(a.data.dtype)
        if isinstance(src, Tensor)
        else Tensor._from_op(np.asarray(src, dtype=a.data.dtype), None)
    )
    for i, n in enumerate(idx.shape):
        if (i != d and n > a.shape[i]) or (src.ndim and n > src.shape[i]):
            raise ShapeError(
                f"{op}: index {idx.shape} is larger than the input {a.shape} or the source "
                f"{src.shape} in dim {i}"
            )
    n = a.shape[d] if a.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{op}: index out of range for dim {dim} of size {n}")
    return a, src, idx, d


def scatter_reduce(
    a: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``a`` with ``src`` reduced in at ``index`` along ``dim`` (for dim 1, into
    ``out[i][index[i][j]]``) by ``reduce`` = "sum", "prod", "mean", "amax" or "amin", as
    ``torch.scatter_reduce``; with ``include_self=False`` ``a``'s values at the positions
    that receive something are left out. Gradients for ``a`` and ``src`` as PyTorch's (ties
    in amax/amin share the gradient evenly)."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(
            "scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', "
            f"got {reduce!r}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a Tensor, got {type(src).__name__}")
    a, src, idx, d = _scatter_args(a, dim, index, src, "scatter_reduce")
    return S.ScatterReduce.apply(a, src, idx, d, reduce, _builtin_bool(include_self))


def scatter(
    a: Tensor,
    dim: int,
    index: Any,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``a`` with ``src`` (a tensor, or the number ``value``) written at ``index``
    along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for dim 1. One-hot labels:
    ``zeros(N, C).scatter(1, y[:, None], 1.0)``. ``reduce="add"`` adds and
    ``reduce="multiply"`` multiplies instead of writing (repeated indices accumulate), as
    PyTorch's ``scatter(..., reduce=)``; with ``"multiply"`` only ``a`` gets a gradient."""
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src and value")
    if reduce not in (None, "add", "multiply"):
        raise ValueError(f"scatter: reduce must be None, 'add' or 'multiply', got {reduce!r}")
    return _scatter(a, dim, index, value if src is None else src, reduce, "scatter")


def scatter_add(a: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of ``a`` with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
    return _scatter(a, dim, index, src, "add", "scatter_add")


def _inplace_method(name: str) -> Any:
    """``x.name_(...)``: ``x`` takes the value of ``name(x, ...)``; in the graph it becomes
    the op's output node (as ``+=`` does), outside it its ``.data`` is written."""
    fn = globals()[name]

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        other = args[-1] if name in ("masked_fill", "scatter", "scatter_add") and args else None
        if self._in_graph(other):
            if self.requires_grad and self._ctx is None:
                self._check_inplace(name + "_")
            new = fn(self._as_node(), *args, **kwargs)
        else:
            new = fn(Tensor._from_op(self.data, None), *args, **kwargs)
        if new.data.dtype != self.data.dtype:
            if not np.can_cast(new.data.dtype, self.data.dtype, casting="same_kind"):
                raise DTypeError(
                    f"{name}_: result type {new.data.dtype} can't be cast to the tensor's "
                    f"dtype {self.data.dtype} in place"
                )
            new = new.to(self.data.dtype)
        if new.requires_grad:
            self._become(new)
        else:
            self.data[...] = new.data
        return self

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In place :func:`{name}` (see ``Tensor.add_`` for the graph rules)."
    return method


for _name in (
    "abs", "neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "clamp",
    "floor", "ceil", "round", "trunc", "masked_fill", "scatter", "pow", "square",
    "sign", "reciprocal", "rsqrt", "expm1", "log1p", "scatter_add", "scatter_reduce",
):  # fmt: skip
    setattr(Tensor, _name + "_", _inplace_method(_name))
for _name in ("scatter", "scatter_add", "scatter_reduce"):
    setattr(Tensor, _name, globals()[_name])
Tensor.clip_ = Tensor.clamp_


def norm(
    a: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    """The vector p-norm over ``dim`` (all dims when None): p = 2 or "fro" (default), 1,
    inf, -inf, 0 (the number of nonzeros, gradient 0) or any other number. Its gradient is 0
    where the norm is 0, as in PyTorch. ``a`` must be floating point; ``dtype`` (floating,
    not narrower than ``a``'s) casts ``a`` first, as in PyTorch."""
    a = _to_tensor(a)
    if a.data.dtype.kind != "f":
        raise DTypeError(f"norm: expected a floating point tensor, got {a.dtype}")
    if dtype is not None:
        d = as_dtype(dtype, "norm")
        if d.kind != "f":
            raise DTypeError(f"norm: dtype must be floating point, got {d}")
        if d.itemsize < a.data.dtype.itemsize:
            raise DTypeError(f"norm: the input's dtype {a.dtype} does not fit in dtype={d}")
        a = a.to(d)
    if p == "fro":
        p = 2.0
    if isinstance(p, str) or not isinstance(p, numbers.Real):
        raise ValueError(f"norm: p must be 'fro' or a number, got {p!r}")
    axes = normalize_dims(_all_if_empty(dim), a.ndim, "norm")
    return R.VectorNorm.apply(a, axes, _builtin_float(p), keepdim)


Tensor.norm = norm


def _einsum_subscripts(equation: str, ts: list) -> tuple[list[str], str]:
    """Parse ``equation`` for tensors ``ts`` into plain letter subscripts (``...`` replaced by
    fresh letters, right-aligned and broadcast across operands as in PyTorch) and the output."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ts):
        raise ValueError(f"einsum: {equation!r} names {len(inputs)} operands, got {len(ts)}")
    for s in [*inputs, out]:
        if not s.replace("...", "").isalpha() and s.replace("...", ""):
            raise ValueError(f"einsum: subscripts must be letters or '...', got {equation!r}")
        if s.count("...") > 1 or s.replace("...", "").count(".") or s.count(".") % 3:
            raise ValueError(f"einsum: at most one '...' per operand, got {equation!r}")
    used = set(eq) - set(".,->")
    fresh = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ell = 0
    for k, (sub, t) in enumerate(zip(inputs, ts, strict=True)):
        n_letters = len(sub.replace("...", ""))
        if ("..." in sub and t.ndim < n_letters) or ("..." not in sub and t.ndim != n_letters):
            raise ShapeError(
                f"einsum: operand {k} has {t.ndim} dims {t.shape} but subscripts {sub!r}"
            )
        if "..." in sub:
            n_ell = builtins.max(n_ell, t.ndim - n_letters)
    if n_ell > len(fresh):
        raise ValueError(f"einsum: too many dimensions under '...' in {equation!r}")
    ell = "".join(fresh[:n_ell])
    inputs = [
        s.replace("...", ell[n_ell - (t.ndim - len(s) + 3) :] if "..." in s else "")
        for s, t in zip(inputs, ts, strict=True)
    ]
    if arrow:  # '...' left out of the output sums those dimensions, as in PyTorch
        out = out.replace("...", ell)
    else:
        letters = "".join(inputs)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
        out = ell + "".join(once)
    return inputs, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("bij,bjk->bik", a, b)`` is a batched
    matmul, ``einsum("ij->ji", a)`` a transpose, ``einsum("i,i->", a, b)`` a dot product,
    ``einsum("ii->i", a)`` a diagonal, ``einsum("...ij->...ji", a)`` a batched transpose.

    ``operands`` are tensors given one by one or as one list. A letter repeated inside one
    operand takes the diagonal; ``...`` stands for the dimensions not named by letters
    (right-aligned and broadcast across operands); a letter of size 1 in one operand
    broadcasts against the others. Without ``->`` the output is the ``...`` dimensions, then
    the letters that occur once, in alphabetical order (upper case before lower case).
    """
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a str, got {type(equation).__name__}")
    ts = [_to_tensor(o) for o in operands]
    inputs, out = _einsum_subscripts(equation, ts)
    sizes: dict[str, int] = {}
    for sub, t in zip(inputs, ts, strict=True):
        for c, n in zip(sub, t.shape, strict=True):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise ShapeError(
                    f"einsum: letter {c!r} has sizes {sizes[c]} and {n} in {equation!r}"
                )
    if set(out) - set(sizes) or len(set(out)) != len(out):
        raise ValueError(f"einsum: bad output subscripts in {equation!r}")
    if len({t.data.dtype for t in ts}) > 1:  # PyTorch does not promote either
        raise DTypeError(
            f"einsum: expected all operands to have the same dtype, got "
            f"{[str(t.dtype) for t in ts]} (cast with .to())"
        )
    for k, (sub, t) in enumerate(zip(inputs, ts, strict=True)):
        full = tuple(sizes[c] for c in sub)
        if t.shape != full:  # size-1 letters broadcast (expand's backward sums them back)
            ts[k] = t.expand(*full)
    return L.Einsum.apply(*ts, inputs=tuple(inputs), output=out)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """Pairwise p-norm distances, as ``torch.cdist``: ``x1: (*, P, M)``, ``x2: (*, R, M)`` ->
    ``(*, P, R)`` with ``out[..., i, j] = ‖x1[..., i, :] − x2[..., j, :]‖_p`` (batch dims
    broadcast). Floating point, same dtype, ``p >= 0``; the gradient is 0 at distance 0.
    Builds the (*, P, R, M) differences: meant for the small sizes of this course."""
    x1, x2 = _to_tensor(x1), _to_tensor(x2)
    for name, t in (("x1", x1), ("x2", x2)):
        if t.data.dtype.kind != "f":
            raise DTypeError(f"cdist: {name} must be floating point, got {t.dtype}")
        if t.ndim < 2:
            raise ShapeError(f"cdist: {name} must have at least 2 dims, got shape {t.shape}")
    if x1.data.dtype != x2.data.dtype:
        raise DTypeError(f"cdist: x1 and x2 must have the same dtype, got {x1.dtype}, {x2.dtype}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"cdist: x1 {x1.shape} and x2 {x2.shape} must have the same number of columns"
        )
    if isinstance(p, _builtin_bool) or not isinstance(p, numbers.Real) or p < 0:
        raise ValueError(f"cdist: p must be a non-negative number, got {p!r}")
    return norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p=p, dim=-1)


# ---- more of PyTorch's functions (composed from the primitives above) -----------------------


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor without copying when possible: a Tensor of the right dtype is
    returned as is, a NumPy array of a supported dtype is shared (as ``from_numpy``); anything
    else is copied as by :func:`tensor`. ``device`` may only be ``"cpu"``."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(f"as_tensor: hosila runs on the CPU only, got device {device!r}")
    d = None if dtype is None else as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if d is None or d == data.data.dtype else data.to(d)
    if isinstance(data, np.ndarray) and data.dtype.kind in "fiub" and d in (None, data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=d)


def numel(a: Tensor) -> int:
    """The number of elements of ``a``."""
    return _to_tensor(a).numel()


def isnan(a: Tensor) -> Tensor:
    """Elementwise ``a != a`` (bool)."""
    return _to_tensor(a).isnan()


def isinf(a: Tensor) -> Tensor:
    """Elementwise ±inf test (bool)."""
    return _to_tensor(a).isinf()


def isfinite(a: Tensor) -> Tensor:
    """Elementwise finite test (bool)."""
    return _to_tensor(a).isfinite()


def logical_not(a: Tensor) -> Tensor:
    """Elementwise ``not`` (bool)."""
    return _to_tensor(a).logical_not()


def rand_like(t: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """:func:`rand` with ``t``'s shape (and dtype unless ``dtype`` is given)."""
    t = _to_tensor(t)
    d = as_dtype(dtype or t.dtype, "rand_like")
    if d.kind != "f":
        raise DTypeError(f"rand_like: needs a floating dtype, got {d} (pass dtype=)")
    return rand(*t.shape, dtype=d, requires_grad=requires_grad)


def randn_like(t: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """:func:`randn` with ``t``'s shape (and dtype unless ``dtype`` is given)."""
    t = _to_tensor(t)
    d = as_dtype(dtype or t.dtype, "randn_like")
    if d.kind != "f":
        raise DTypeError(f"randn_like: needs a floating dtype, got {d} (pass dtype=)")
    return randn(*t.shape, dtype=d, requires_grad=requires_grad)


def randint_like(t: Tensor, low: int = 0, high: int | None = None, *, dtype: Any = None) -> Tensor:
    """Integers uniform in [low, high) with ``t``'s shape and dtype (unless ``dtype``), as
    ``torch.randint_like(t, high)`` / ``randint_like(t, low, high)``."""
    t = _to_tensor(t)
    if high is None:
        low, high = 0, low
    d = as_dtype(dtype or t.dtype, "randint_like")
    return randint(low, high, t.shape, dtype=d)


def normal(mean: Any, std: Any = 1.0, size: Any = None) -> Tensor:
    """Normal samples ``mean + std·ε``, ε ~ N(0, 1), as ``torch.normal``: tensor ``mean``
    and/or ``std`` (shapes broadcast; gradients flow to both: ∂/∂mean = 1, ∂/∂std = ε), or
    two numbers and a ``size``. ``std`` must be ≥ 0."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal: with number mean and std, give size")
        if std < 0:
            raise ValueError(f"normal: std must be >= 0, got {std}")
        return randn(*_size((size,), "normal")) * std + mean
    m, sd = (x if isinstance(x, Tensor) else x for x in (mean, std))
    if isinstance(sd, Tensor) and (sd.data < 0).any():
        raise ValueError("normal: expects all elements of std >= 0")
    if isinstance(sd, Tensor) and not isinstance(m, Tensor):
        m = full(sd.shape, m, dtype=sd.dtype)
    shape = np.broadcast_shapes(m.shape, sd.shape if isinstance(sd, Tensor) else ())
    eps = randn(*shape, dtype=m.dtype if m.data.dtype.kind == "f" else None)
    return m + sd * eps


def bernoulli(a: Tensor, p: float | None = None) -> Tensor:
    """0/1 samples with probability ``a`` (or the number ``p`` for every element), in ``a``'s
    float dtype, as ``torch.bernoulli``. Not differentiable (the sample is detached)."""
    a = _to_tensor(a)
    if a.data.dtype.kind != "f":
        raise NotImplementedForDTypeError(f"bernoulli: needs a floating tensor, got {a.dtype}")
    prob = a.data if p is None else np.full(a.shape, p)
    if not ((prob >= 0) & (prob <= 1)).all():
        raise ValueError("bernoulli: probabilities must be in [0, 1]")
    u = default_generator().random(a.shape)
    return Tensor._from_op((u < prob).astype(a.data.dtype), None)


def multinomial(a: Tensor, num_samples: int, replacement: bool = False) -> Tensor:
    """Category indices (int64) drawn with the nonnegative weights ``a: (C,)`` or ``(N, C)``
    per row -> ``(num_samples,)`` or ``(N, num_samples)``, as ``torch.multinomial``. Without
    replacement each category is drawn at most once (the keys u^(1/w) of Efraimidis and
    Spirakis, 2006, "Weighted random sampling with a reservoir", largest first)."""
    a = _to_tensor(a)
    if a.data.dtype.kind != "f":
        raise DTypeError(f"multinomial: needs a floating tensor, got {a.dtype}")
    if a.ndim not in (1, 2):
        raise ShapeError(f"multinomial: weights must be 1-D or 2-D, got shape {a.shape}")
    w = a.data.reshape(-1, a.shape[-1]).astype(np.float64)
    n, c = w.shape
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("multinomial: weights must be finite and >= 0")
    if (w.sum(1) <= 0).any():
        raise ValueError("multinomial: every row needs a positive total weight")
    if not replacement and num_samples > c:
        raise ValueError(
            f"multinomial: cannot draw {num_samples} > {c} samples without replacement"
        )
    rng = default_generator()
    if replacement:
        cdf = np.cumsum(w, axis=1)
        u = rng.random((n, num_samples)) * cdf[:, -1:]
        idx = (cdf[:, None, :] <= u[:, :, None]).sum(-1)
        idx = np.minimum(idx, c - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = np.log(rng.random((n, c))) / w  # log u^(1/w); -inf for weight 0
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._from_op(idx.reshape(*a.shape[:-1], num_samples).astype(int64), None)


def erf(a: Tensor) -> Tensor:
    """The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, elementwise (integers give float)."""
    return E.Erf.apply(_floating(_to_tensor(a), "erf"))


def log2(a: Tensor) -> Tensor:
    """Base-2 logarithm, elementwise (integers give float)."""
    return E.Log2.apply(_floating(_to_tensor(a), "log2"))


def log10(a: Tensor) -> Tensor:
    """Base-10 logarithm, elementwise (integers give float)."""
    return E.Log10.apply(_floating(_to_tensor(a), "log10"))


def cumprod(a: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim`` (bool/int inputs give int64, as in PyTorch); the
    gradient is exact with zeros in the input too."""
    a = _to_tensor(a)
    if dtype is not None:
        a = a.to(dtype)
    elif a.data.dtype.kind in "biu":
        a = a.to(int64)
    axis = _one_dim(dim, a.ndim, "cumprod") if a.ndim else None
    if axis is None:
        return Clone.apply(a)
    return R.CumProd.apply(a, axis)


def diag(a: Tensor, diagonal: int = 0) -> Tensor:
    """1-D ``a`` (n,): the (n+|k|, n+|k|) matrix with ``a`` on diagonal ``k``; 2-D ``a``:
    its diagonal ``k`` as a 1-D tensor (k > 0 above the main diagonal, k < 0 below)."""
    a = _to_tensor(a)
    k = _builtin_int(diagonal)
    if a.ndim == 1:
        n = a.shape[0] + abs(k)
        idx = np.arange(a.shape[0])
        where = (idx + builtins.max(-k, 0), idx + builtins.max(k, 0))
        return S.SetItem.apply(Tensor._new(np.zeros((n, n), dtype=a.dtype)), a, where)
    if a.ndim != 2:
        raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {a.shape}")
    rows, cols = a.shape
    length = builtins.max(0, builtins.min(rows - builtins.max(-k, 0), cols - builtins.max(k, 0)))
    idx = np.arange(length)
    return a[idx + builtins.max(-k, 0), idx + builtins.max(k, 0)]


def trace(a: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor (integers give int64)."""
    a = _to_tensor(a)
    if a.ndim != 2:
        raise ShapeError(f"trace: expected a 2-D tensor, got shape {a.shape}")
    return sum(diag(a))


def var_mean(
    a: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """``(var(a, ...), mean(a, ...))`` over the same dims (arguments as :func:`var`)."""
    dim, correction = _var_args(dim, unbiased, correction, "var_mean")
    return var(a, dim, keepdim=keepdim, correction=correction), mean(a, dim, keepdim)


def std_mean(
    a: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """``(std(a, ...), mean(a, ...))`` over the same dims (arguments as :func:`std`)."""
    dim, correction = _var_args(dim, unbiased, correction, "std_mean")
    return std(a, dim, keepdim=keepdim, correction=correction), mean(a, dim, keepdim)


def _tensordot_dims(dims: Any, a: Tensor, b: Tensor) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, _builtin_int | np.integer) and not isinstance(dims, _builtin_bool):
        if dims < 0 or dims > a.ndim or dims > b.ndim:
            raise ValueError(
                f"tensordot: dims={dims} must be in [0, min({a.ndim}, {b.ndim})] for shapes "
                f"{a.shape} and {b.shape}"
            )
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if not isinstance(dims, tuple | list) or len(dims) != 2:
        raise TypeError(f"tensordot: dims must be an int or a pair of dim lists, got {dims!r}")
    da, db = ([d] if isinstance(d, _builtin_int | np.integer) else list(d) for d in dims)
    if len(da) != len(db):
        raise ValueError(f"tensordot: dims {dims!r} list different numbers of dims")
    da = [_one_dim(d, a.ndim, "tensordot") for d in da]
    db = [_one_dim(d, b.ndim, "tensordot") for d in db]
    return da, db


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum of products over dims of ``a`` and ``b`` paired by ``dims``: an int n (the last n of
    ``a`` with the first n of ``b``) or two lists ``([a dims], [b dims])``. The result has
    ``a``'s other dims, then ``b``'s."""
    a, b = _to_tensor(a), _to_tensor(b)
    da, db = _tensordot_dims(dims, a, b)
    for i, j in zip(da, db, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(
                f"tensordot: dim {i} of a (size {a.shape[i]}) and dim {j} of b "
                f"(size {b.shape[j]}) must match; shapes {a.shape} and {b.shape}"
            )
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [j for j in range(b.ndim) if j not in db]
    k = _builtin_int(np.prod([a.shape[i] for i in da], dtype=np.int64))
    out_shape = tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b)
    am = permute(a, free_a + da).reshape(-1, k)
    bm = permute(b, db + free_b).reshape(k, -1)
    return matmul(am, bm).reshape(out_shape)


def addmm(
    input: Tensor,  # noqa: A002 (PyTorch's name)
    mat1: Tensor,
    mat2: Tensor,
    *,
    beta: Any = 1,
    alpha: Any = 1,
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``; mat1: (n, m), mat2: (m, p), input
    broadcastable to (n, p). With ``beta=0`` the input is ignored (nan/inf in it too)."""
    mat1, mat2 = _to_tensor(mat1), _to_tensor(mat2)
    if mat1.ndim != 2 or mat2.ndim != 2:
        raise ShapeError(
            f"addmm: mat1 and mat2 must be 2-D, got shapes {mat1.shape} and {mat2.shape}"
        )
    out = matmul(mat1, mat2)
    input = _to_tensor(input)
    if input.data.dtype != out.data.dtype:  # PyTorch does not promote either
        raise DTypeError(
            f"addmm: input ({input.dtype}) and mat1/mat2 ({out.dtype}) must have the same dtype"
        )
    try:
        shape = np.broadcast_shapes(input.shape, out.shape)
    except ValueError:
        shape = None
    if shape != out.shape:
        raise ShapeError(f"addmm: input of shape {input.shape} does not broadcast to {out.shape}")
    if alpha != 1:
        out = out * alpha
    if beta == 0:  # out in every place; input gets a zero gradient and its nan/inf is unused
        return S.SetItem.apply(expand(input.to(out.dtype), out.shape), out, Ellipsis)
    return out + (input if beta == 1 else input * beta)


def count_nonzero(a: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (an int, a tuple, or all dims), int64."""
    a = _to_tensor(a)
    axes = normalize_dims(_all_if_empty(dim), a.ndim, "count_nonzero")
    return Tensor._from_op(np.count_nonzero(a.data, axis=axes).astype(int64), None)


def argwhere(a: Tensor) -> Tensor:
    """The indices of the nonzero elements, (n, ndim) int64 (same as :func:`nonzero`)."""
    return nonzero(a)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views, with gradients)."""
    ts = [_to_tensor(t) for t in tensors]
    try:
        shape = np.broadcast_shapes(*(t.shape for t in ts))
    except ValueError:
        raise ShapeError(
            f"broadcast_tensors: shapes {[t.shape for t in ts]} do not broadcast"
        ) from None
    return tuple(expand(t, shape) for t in ts)


def nan_to_num(
    a: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN → ``nan``, +inf → ``posinf``, −inf → ``neginf`` (default: the dtype's largest and
    smallest finite values). The gradient passes where ``a`` is finite and is 0 elsewhere."""
    a = _to_tensor(a)
    if a.data.dtype.kind != "f":
        return Clone.apply(a)
    filled = np.nan_to_num(a.data, nan=nan, posinf=posinf, neginf=neginf)
    return E.Where.apply(np.isfinite(a.data), a, Tensor._from_op(filled, None))


for _name in ("erf", "log2", "log10", "cumprod", "diag", "trace", "count_nonzero", "argwhere"):
    setattr(Tensor, _name, globals()[_name])
Tensor.nan_to_num = nan_to_num  # type: ignore[attr-defined]
for _name in ("erf", "log2", "log10", "nan_to_num"):
    setattr(Tensor, _name + "_", _inplace_method(_name))


def unique(
    a: Tensor,
    sorted: bool = True,  # noqa: A002 (PyTorch's name)
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``a`` (flattened; with ``dim``, the distinct slices along
    it), in ascending order, as ``torch.unique``: optionally also ``inverse`` (for each
    element/slice the index of its value in the output; shape of ``a``, or ``(a.shape[dim],)``)
    and ``counts``. NaNs are all distinct, as in PyTorch. Not differentiable. The output is
    always sorted (``sorted=False`` is accepted; PyTorch's CPU result is sorted too)."""
    a = _to_tensor(a)
    if dim is None:
        vals, inv, counts = np.unique(
            a.data.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
        )
        inv = inv.reshape(a.shape)
    else:
        d = _one_dim(dim, a.ndim, "unique")
        vals, inv, counts = np.unique(
            a.data, return_inverse=True, return_counts=True, axis=d, equal_nan=False
        )
        inv = inv.reshape(-1)
    out = [Tensor._from_op(vals, None)]
    if return_inverse:
        out.append(Tensor._from_op(inv.astype(int64), None))
    if return_counts:
        out.append(Tensor._from_op(counts.astype(int64), None))
    return out[0] if len(out) == 1 else tuple(out)


Tensor.unique = unique


def any_(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.any``: whether any element (over ``dim``, all when None) is nonzero, as a bool
    tensor. Exported as ``hosila.any`` (``any_`` here keeps Python's ``any`` usable)."""
    return _to_tensor(a).any(dim, keepdim)


def all_(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.all``: whether every element (over ``dim``, all when None) is nonzero, as a
    bool tensor. Exported as ``hosila.all``."""
    return _to_tensor(a).all(dim, keepdim)


# NumPy's axis= alias of dim (sum and mean take it in their signatures)
for _name in (
    "amax", "amin", "max", "min", "prod", "var", "std", "var_mean", "std_mean", "logsumexp",
    "argmax", "argmin", "any", "all", "cumsum", "cumprod", "softmax", "log_softmax",
    "count_nonzero", "any_", "all_",
):  # fmt: skip
    if _name in globals():
        globals()[_name] = _with_axis_alias(globals()[_name])
    if _name in Tensor.__dict__:
        setattr(Tensor, _name, _with_axis_alias(Tensor.__dict__[_name]))
del _name
