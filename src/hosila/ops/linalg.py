"""Linear-algebra primitives.

``MatMul`` follows PyTorch's (and NumPy's) ``matmul`` rules: 1-D × 1-D is a dot product; a 1-D
operand is treated as a row (left) or column (right) vector and that axis is dropped from the
result; operands with more than two dimensions are stacks of matrices whose batch dimensions
broadcast.
"""

from __future__ import annotations

from hosila.autograd import Function, unbroadcast


class MatMul(Function):
    """out = a @ b.  For 2-D operands: dL/da = g @ bᵀ, dL/db = aᵀ @ g."""

    def forward(self, a, b):
        self.saved = (a, b)
        return a @ b

    def backward(self, grad):
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is a scalar
            return (grad * b if need_a else None), (grad * a if need_b else None)
        # Treat 1-D operands as matrices, and give grad the matching axes back.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = g[..., None, :]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if need_a:
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape)
            if ga.shape != a.shape:  # (a reshape of same shape would make a needless view)
                ga = ga.reshape(a.shape)
        if need_b:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape)
            if gb.shape != b.shape:
                gb = gb.reshape(b.shape)
        return ga, gb


class Einsum(Function):
    """``einsum(equation, *operands)`` on plain subscripts with an explicit output
    (``"ij,jk->ik"``, ``"ii->i"``); ``...`` and size-1 broadcasting are resolved by the caller.

    The gradient of operand i is another einsum: the upstream gradient contracted with the
    other operands onto operand i's distinct letters; a letter that only operand i has (summed
    away) comes back by broadcasting, and a letter repeated in operand i (a diagonal) puts the
    gradient on that diagonal, zeros elsewhere.
    """

    def forward(self, *operands, inputs, output):
        self.saved, self.inputs, self.output = operands, inputs, output
        eq = ",".join(inputs) + "->" + output
        return self.xp.einsum(eq, *operands, optimize=len(operands) > 2)

    def backward(self, grad):
        xp = self.xp
        ops = self.saved
        grads = []
        for i, (sub, need) in enumerate(zip(self.inputs, self.needs_input_grad, strict=True)):
            if not need:
                grads.append(None)
                continue
            others = [
                (s, o) for j, (s, o) in enumerate(zip(self.inputs, ops, strict=True)) if j != i
            ]
            size = dict(zip(sub, ops[i].shape, strict=True))
            uniq = "".join(dict.fromkeys(sub))  # distinct letters, first-seen order
            have = set(self.output).union(*(set(s) for s, _ in others))
            target = "".join(c for c in uniq if c in have)
            eq = ",".join([self.output] + [s for s, _ in others]) + "->" + target
            g = xp.einsum(eq, grad, *[o for _, o in others], optimize=len(others) > 1)
            if target != uniq:  # letters summed away: broadcast back along them
                g = g.reshape([size[c] if c in have else 1 for c in uniq])
                g = xp.broadcast_to(g, [size[c] for c in uniq])
            if uniq != sub:  # repeated letters: the gradient lies on the diagonal
                full = xp.zeros(ops[i].shape, dtype=ops[i].dtype)
                full[tuple(_letter_index(xp, c, uniq, size[c]) for c in sub)] = g
                g = full
            grads.append(g)
        return tuple(grads)


def _letter_index(xp, letter, uniq, n):
    """``arange(n)`` shaped to broadcast along ``letter``'s axis among ``uniq``'s axes."""
    shape = [1] * len(uniq)
    shape[uniq.index(letter)] = n
    return xp.arange(n).reshape(shape)


class Inv(Function):
    """A⁻¹ of square matrices ``(*, n, n)``. dL/dA = −A⁻ᵀ · G · A⁻ᵀ."""

    def forward(self, a):
        out = self.xp.linalg.inv(a)
        self.saved = (out,)
        return out

    def backward(self, grad):
        inv_t = self.saved[0].swapaxes(-1, -2)
        return -(inv_t @ grad @ inv_t)


class Det(Function):
    """det(A) of ``(*, n, n)`` -> ``(*)``. dL/dA = g · det(A) · A⁻ᵀ (Jacobi's formula)."""

    def forward(self, a):
        out = self.xp.linalg.det(a)
        self.saved = (a, out)
        return out

    def backward(self, grad):
        xp = self.xp
        a, det = self.saved
        return (grad * det)[..., None, None] * xp.linalg.inv(a).swapaxes(-1, -2)


class Solve(Function):
    """X with A X = B: ``a (*, n, n)``, ``b (*, n, k)`` -> ``(*, n, k)`` (batch dims
    broadcast). dL/dB = A⁻ᵀ G, dL/dA = −(dL/dB) Xᵀ."""

    def forward(self, a, b):
        out = self.xp.linalg.solve(a, b)
        self.saved = (a, out)
        return out

    def backward(self, grad):
        xp = self.xp
        a, x = self.saved
        gb = xp.linalg.solve(a.swapaxes(-1, -2), grad)
        ga = -(gb @ x.swapaxes(-1, -2)) if self.needs_input_grad[0] else None
        return ga, (gb if self.needs_input_grad[1] else None)
