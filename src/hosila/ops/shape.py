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

    Backward writes the gradient into a zero array at the same positions; with integer-array
    indices an element picked twice receives both gradients (``add.at``).
    """

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        self.advanced = _is_advanced(index)
        out = a[index]
        return out

    def backward(self, grad):
        xp = self.xp
        full = xp.zeros(self.shape, dtype=grad.dtype)
        if self.advanced:
            xp.add.at(full, self.index, grad)
        else:
            full[self.index] = grad
        return full


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
