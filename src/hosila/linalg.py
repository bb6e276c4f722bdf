"""``hosila.linalg``: a part of ``torch.linalg`` - vector/matrix norms, ``inv``, ``det`` and
``solve`` with gradients. Matrices are ``(*, n, n)`` (leading batch dims)."""

from __future__ import annotations

from typing import Any

from hosila.ops import linalg as L
from hosila.tensor import DTypeError, ShapeError, Tensor, _to_tensor, amax, amin
from hosila.tensor import norm as _norm

__all__ = ["LinAlgError", "det", "inv", "matrix_norm", "norm", "solve", "vector_norm"]


class LinAlgError(ValueError, RuntimeError):
    """A singular matrix where an invertible one is needed (``torch.linalg.LinAlgError`` is a
    RuntimeError too)."""


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (all elements when None), as
    ``torch.linalg.vector_norm``: ord 2, 1, 0, ±inf or any number; float input."""
    return _norm(x, p=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(
    A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False
) -> Tensor:
    """The matrix norm over the two dims ``dim`` of ``A: (*, m, n)``, as
    ``torch.linalg.matrix_norm``: "fro", 1 / -1 (max / min column abs sum), inf / -inf
    (max / min row abs sum). The spectral and nuclear norms (2, -2, "nuc") are not here."""
    A = _to_tensor(A)
    if A.ndim < 2:
        raise ShapeError(f"matrix_norm: A must have at least 2 dims, got shape {A.shape}")
    if not (isinstance(dim, tuple | list) and len(dim) == 2):
        raise ValueError(f"matrix_norm: dim must be a pair of dims, got {dim!r}")
    if ord == "fro":
        return _norm(A, p=2, dim=tuple(dim), keepdim=keepdim)
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise ValueError(f"matrix_norm: ord must be 'fro', 1, -1, inf or -inf here, got {ord!r}")
    r, c = (d % A.ndim for d in dim)
    summed, other = (r, c) if ord in (1, -1) else (c, r)
    sums = A.abs().sum(summed, keepdim=True)
    out = (amax if ord > 0 else amin)(sums, other, keepdim=True)
    return out if keepdim else out.squeeze((r, c))


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``: with ``ord`` None the 2-norm of the flattened input (or over
    ``dim``); otherwise a matrix norm over a pair ``dim`` (or a 2-D input with dim None) and
    a vector norm over an int ``dim`` (or a 1-D input)."""
    A = _to_tensor(A)
    pair = isinstance(dim, tuple | list) and len(dim) == 2
    if ord is None:
        return vector_norm(A, 2, dim, keepdim)
    if pair or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, tuple(dim) if pair else (-2, -1), keepdim)
    if dim is None and A.ndim != 1:
        raise ValueError(f"norm: with ord, the input must be 1-D or 2-D, got shape {A.shape}")
    return vector_norm(A, ord, dim, keepdim)


def _square(A: Any, op: str) -> Tensor:
    A = _to_tensor(A)
    if A.data.dtype.kind != "f":
        raise DTypeError(f"{op}: expected a floating point tensor, got {A.dtype}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"{op}: A must be a batch of square matrices (*, n, n), got {A.shape}")
    return A


def inv(A: Tensor) -> Tensor:
    """The inverse of ``A: (*, n, n)``; a singular matrix raises :class:`LinAlgError`."""
    A = _square(A, "inv")
    try:
        return L.Inv.apply(A)
    except Exception as e:  # NumPy's LinAlgError
        if type(e).__name__ == "LinAlgError":
            raise LinAlgError(f"inv: the matrix is singular ({e})") from None
        raise


def det(A: Tensor) -> Tensor:
    """The determinant of ``A: (*, n, n)`` -> ``(*)`` (the gradient needs A invertible)."""
    return L.Det.apply(_square(A, "det"))


def solve(A: Tensor, B: Tensor) -> Tensor:
    """X with ``A X = B``: ``A (*, n, n)``, ``B (*, n, k)`` or ``(n,)`` / ``(*, n)`` (a vector
    when ``B`` has one dim less than ``A``, as PyTorch). Same dtypes; singular A raises."""
    A = _square(A, "solve")
    B = _to_tensor(B)
    if B.data.dtype != A.data.dtype:
        raise DTypeError(f"solve: A ({A.dtype}) and B ({B.dtype}) must have the same dtype")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector:
        B = B.unsqueeze(-1)
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise ShapeError(f"solve: B {B.shape} does not match A {A.shape}")
    try:
        out = L.Solve.apply(A, B)
    except Exception as e:
        if type(e).__name__ == "LinAlgError":
            raise LinAlgError(f"solve: the matrix is singular ({e})") from None
        raise
    return out.squeeze(-1) if vector else out
