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
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis, all ≥ 0."""

    def forward(self, a, widths, value=0.0):
        self.index = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape, strict=True))
        return self.xp.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.index]
