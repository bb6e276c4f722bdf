"""Shape primitives: they move or copy elements without arithmetic.

Their backward passes move the gradient back the same way: a reshape is undone by the inverse
reshape, a permutation by the inverse permutation, an expand by summing over the stretched
axes, an index by scattering into zeros (adding where an index repeats).
"""

from __future__ import annotations

from hosila.autograd import Function, unbroadcast


class Reshape(Function):
    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.transpose(dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return grad.transpose(inverse)


class Expand(Function):
    """Broadcast to a larger shape (a read-only view, no copy); backward sums it back."""

    def forward(self, a, shape):
        self.in_shape = a.shape
        return self.xp.broadcast_to(a, shape)

    def backward(self, grad):
        return unbroadcast(grad, self.in_shape)


def _is_advanced(index) -> bool:
    """True when ``index`` holds an array or list (NumPy's advanced indexing)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(not isinstance(i, int | slice | type(None) | type(Ellipsis)) for i in items)


class GetItem(Function):
    """``a[index]`` with NumPy's (= PyTorch's) rules: ints, slices, None, ..., arrays, masks.

    Backward writes the gradient into a zero array at the same positions. With integer-array
    indices an element picked twice receives both gradients: when no position repeats, a
    plain assignment does it; otherwise large rows picked by one index
    array are added group by group (:func:`_add_rows`), and ``add.at`` does the rest.
    """

    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        return a[index]

    def backward(self, grad):
        xp = self.xp
        full = xp.zeros(self.shape, dtype=grad.dtype)
        if not _is_advanced(self.index) or _picks_unique(xp, self.index, self.shape):
            full[self.index] = grad
            return full
        rows = _row_index(xp, self.index)
        if rows is not None and grad.size >= 16384:  # a[idx] / a[idx, :]: rows of dim 0
            if _add_rows(xp, full, rows.reshape(-1) % self.shape[0], grad):
                return full
        xp.add.at(full, self.index, grad)
        return full


def _add_rows(xp, full, idx, grad):
    """``full[idx[k]] += grad[k]`` for every k, repeats included, in the order of ``k`` (as
    ``add.at``, much faster for large rows): the k are grouped by how many times their index
    occurred before, and each group, whose indices are distinct, is added at once. The loop
    runs over repeat counts (a few), not over elements."""
    g = grad.reshape((idx.size,) + full.shape[1:])
    order = xp.argsort(idx, kind="stable")
    sidx = idx[order]
    first = xp.empty(sidx.size, dtype=bool)
    first[:1] = True
    xp.not_equal(sidx[1:], sidx[:-1], out=first[1:])
    starts = xp.flatnonzero(first)
    counts = xp.diff(xp.append(starts, sidx.size))
    most = int(counts.max()) if counts.size else 0
    if most > 64:  # too many groups: leave it to add.at
        return False
    rank = xp.arange(sidx.size) - xp.repeat(starts, counts)
    for r in range(most):
        sel = order[rank == r]
        full[idx[sel]] += g[sel]
    return True


def _row_index(xp, index):
    """The integer array when ``index`` is one integer array, alone or followed by full
    slices (it picks whole rows of the first dim); else None."""
    items = index if isinstance(index, tuple) else (index,)
    first = items[0] if items else None
    if not isinstance(first, xp.ndarray) or first.dtype.kind not in "iu":
        return None
    if any(not (isinstance(i, slice) and i == slice(None)) for i in items[1:]):
        return None
    return first


def _picks_unique(xp, index, shape) -> bool:
    """True when an advanced ``index`` selects no position twice (so the backward can assign
    instead of accumulate): a bool mask, or leading integer arrays whose combined positions
    are distinct, followed by basic indices only."""
    items = index if isinstance(index, tuple) else (index,)
    arrays = []
    for it in items:
        if isinstance(it, list):
            it = xp.asarray(it)
        if not isinstance(it, xp.ndarray):
            break
        if it.dtype == bool:
            return len(items) == 1 or all(
                not isinstance(r, list | xp.ndarray) for r in items if r is not it
            )
        if it.dtype.kind not in "iu":
            return False
        arrays.append(it)
    if not arrays or len(arrays) > len(shape):
        return False
    if any(isinstance(r, list | xp.ndarray) for r in items[len(arrays) :]):
        return False
    try:
        flat = xp.ravel_multi_index(
            xp.broadcast_arrays(*arrays), shape[: len(arrays)], mode="wrap"
        ).reshape(-1)
    except ValueError:
        return False
    return xp.unique(flat).size == flat.size


class Cat(Function):
    """Join tensors along an existing axis; backward slices the gradient apart."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, grad):
        out, start = [], 0
        index = [slice(None)] * grad.ndim
        for n in self.sizes:
            index[self.axis] = slice(start, start + n)
            out.append(grad[tuple(index)])
            start += n
        return tuple(out)


class Flip(Function):
    def forward(self, a, axes):
        self.axes = axes
        return self.xp.flip(a, axis=axes)

    def backward(self, grad):
        return self.xp.flip(grad, axis=self.axes)


class Pad(Function):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis, all ≥ 0.

    Backward cuts the gradient of the original region back out.
    """

    def forward(self, a, widths, value=0.0):
        self.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape, strict=True))
        shape = tuple(n + lo + hi for (lo, hi), n in zip(widths, a.shape, strict=True))
        out = self.xp.full(shape, value, dtype=a.dtype)
        out[self.index] = a
        return out

    def backward(self, grad):
        return grad[self.index]


class SetItem(Function):
    """``a[index] = value`` as a new array (the old one stays intact for earlier ops).

    The gradient of ``a`` is the upstream gradient with the overwritten positions zeroed; the
    gradient of ``value`` is the upstream gradient at those positions (summed back to
    ``value``'s shape by the engine when it was broadcast).
    """

    def forward(self, a, value, index):
        self.index = index
        out = a.copy()
        out[index] = value
        return out

    def backward(self, grad):
        ga = None
        if self.needs_input_grad[0]:
            ga = grad.copy()
            ga[self.index] = 0
        gv = grad[self.index] if self.needs_input_grad[1] else None
        return ga, gv


class Gather(Function):
    """``out[i][j][k] = a[i][index[i][j][k]][k]`` for ``axis`` = 1 (PyTorch's ``gather``).

    ``index`` has ``a``'s number of dims and is no larger than ``a`` outside ``axis``; the
    backward adds the gradient into the gathered positions (repeats accumulate).
    """

    def forward(self, a, index, axis):
        xp = self.xp
        self.shape, self.axis = a.shape, axis
        grid = list(xp.ogrid[tuple(slice(n) for n in index.shape)])
        grid[axis] = index
        self.where = tuple(grid)
        return a[self.where]

    def backward(self, grad):
        full = self.xp.zeros(self.shape, dtype=grad.dtype)
        self.xp.add.at(full, self.where, grad)
        return full


class ScatterReduce(Function):
    """PyTorch's ``scatter_reduce``: ``src[region]`` reduced into a copy of ``a`` along
    ``axis`` at ``index`` with ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``;
    ``include_self`` says whether ``a``'s value at a position that receives something takes
    part. Positions that receive nothing keep ``a``.

    Backward, per output position, over its contributors: sum gives each the gradient; mean
    gives each g / n (n contributors); amax/amin share g evenly among the contributors equal
    to the result; prod gives each g · (product of the others), which with one zero among
    them is nonzero only for that zero, and with two or more zeros is 0 for all.
    """

    def forward(self, a, src, index, axis, reduce, include_self):
        xp = self.xp
        grid = list(xp.ogrid[tuple(slice(n) for n in index.shape)])
        grid[axis] = index
        where = tuple(grid)
        values = src[tuple(slice(n) for n in index.shape)]
        count = xp.zeros(a.shape, dtype=xp.int64)
        xp.add.at(count, where, 1)
        out = a.copy()
        if not include_self:
            hit = count > 0
            if reduce in ("sum", "mean"):
                out[hit] = 0
            elif reduce == "prod":
                out[hit] = 1
            else:
                info = xp.finfo(a.dtype) if a.dtype.kind == "f" else xp.iinfo(a.dtype)
                out[hit] = (
                    (-xp.inf if a.dtype.kind == "f" else info.min)
                    if reduce == "amax"
                    else (xp.inf if a.dtype.kind == "f" else info.max)
                )
        ufunc = {
            "sum": xp.add, "mean": xp.add, "prod": xp.multiply,
            "amax": xp.maximum, "amin": xp.minimum,
        }[reduce]  # fmt: skip
        ufunc.at(out, where, values)
        if reduce == "mean":
            n = xp.maximum(count + (1 if include_self else 0), 1)
            out = out / n if a.dtype.kind == "f" else xp.floor_divide(out, n).astype(a.dtype)
        self.saved = (a, values, out, count)
        self.where, self.reduce, self.include_self = where, reduce, include_self
        self.src_shape = src.shape
        return out

    def backward(self, grad):
        xp = self.xp
        a, values, out, count = self.saved
        where, reduce = self.where, self.reduce
        selfc = (count == 0) | self.include_self  # a's value takes part
        if reduce == "sum":
            ga, gv = grad * selfc, grad[where]
        elif reduce == "mean":
            g = grad / xp.maximum(count + (1 if self.include_self else 0), 1)
            ga, gv = xp.where(count == 0, grad, g * selfc), g[where]
        elif reduce in ("amax", "amin"):
            # PyTorch counts a tie of a's value even when include_self=False (then a gets
            # no share, and the shares do not add up to g); done the same here
            self_hit = a == out
            src_hit = values == out[where]
            n = self_hit.astype(grad.dtype)
            xp.add.at(n, where, src_hit)
            g = grad / xp.maximum(n, 1)
            ga, gv = g * (self_hit & selfc), g[where] * src_hit
        else:  # prod
            zeros = (selfc & (a == 0)).astype(xp.int64)
            xp.add.at(zeros, where, values == 0)
            nonzero = xp.where(selfc & (a != 0), a, 1).astype(grad.dtype)
            xp.multiply.at(nonzero, where, xp.where(values == 0, 1, values))

            def part(x, g, z, p):
                safe = xp.where(x == 0, 1, x)
                return g * xp.where(x == 0, p * (z == 1), p / safe * (z == 0))

            ga = part(a, grad, zeros, nonzero) * selfc
            gv = part(values, grad[where], zeros[where], nonzero[where])
        gs = None
        if self.needs_input_grad[1]:
            gs = xp.zeros(self.src_shape, dtype=grad.dtype)
            gs[tuple(slice(n) for n in gv.shape)] = gv
        return (ga if self.needs_input_grad[0] else None), gs


class Scatter(Function):
    """``out = a`` with ``src`` written (``reduce=None``), added (``"add"``) or multiplied
    (``"multiply"``) along ``axis`` at ``index``: for axis 1, ``out[i][index[i][j]] =
    src[i][j]`` (PyTorch's ``scatter``/``scatter_add``/``scatter(reduce=)``).

    Backward: ``src`` gets the gradient at the positions it went to (not for "multiply",
    where PyTorch has no derivative either); ``a`` gets the gradient everywhere for "add",
    where it was not overwritten for a plain scatter, and times the product of the factors
    scattered onto each position for "multiply".
    """

    def forward(self, a, src, index, axis, reduce=None):
        xp = self.xp
        grid = list(xp.ogrid[tuple(slice(n) for n in index.shape)])
        grid[axis] = index
        self.where, self.reduce = tuple(grid), reduce
        region = tuple(slice(n) for n in index.shape)
        self.src_shape = src.shape
        values = src[region] if src.ndim else src
        out = a.copy()
        if reduce == "add":
            xp.add.at(out, self.where, values)
        elif reduce == "multiply":
            self.factor = xp.ones_like(a)
            xp.multiply.at(self.factor, self.where, values)
            out *= self.factor
        else:
            out[self.where] = values
        return out

    def backward(self, grad):
        xp = self.xp
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad
            if self.reduce == "multiply":
                ga = grad * self.factor
            elif self.reduce is None:
                ga = grad.copy()
                ga[self.where] = 0
        if self.needs_input_grad[1]:
            picked = grad[self.where]
            if len(self.src_shape) == 0:
                gs = picked.sum()
            else:
                gs = xp.zeros(self.src_shape, dtype=grad.dtype)
                gs[tuple(slice(n) for n in picked.shape)] = picked
        return ga, gs
