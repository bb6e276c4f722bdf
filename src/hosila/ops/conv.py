"""2-D convolution as one matrix product over a strided view of the input (im2col).

``conv2d(input, weight, bias, stride, padding, dilation, groups)`` is PyTorch's
``torch.nn.functional.conv2d``. Shapes, for ``groups = G`` and a batch of ``N``::

    input  x : (N, C, H, W)            weight w : (Cout, C/G, kh, kw)       bias b : (Cout,)
    output y : (N, Cout, Ho, Wo)       Ho = (H + pad_top + pad_bottom - dh*(kh-1) - 1) // sh + 1

where ``sh``/``dh`` are the stride and dilation along H (and the same along W).

**The idea (im2col).** Output pixel ``(y, x)`` of output channel ``o`` is a dot product of the
weights ``w[o]`` (``C/G*kh*kw`` numbers) with the input patch under the kernel when it sits at
``(y, x)``. Lay every patch of every sample out as one column of a matrix and the whole
convolution is a single matrix product ``weights @ columns``. Step by step:

1. Pad: ``xp`` is ``x`` with zeros around it, ``(N, C, Hp, Wp)``.
2. Windows, without copying: a strided view ``win`` of shape ``(C, kh, kw, N, Ho, Wq)`` with
   ``win[c, i, j, n, y, x] = xp[n, c, y*sh + i*dh, x*sw + j*dw]``. It is the same memory as
   ``xp`` read with other strides (``as_strided``): one step along ``i`` jumps ``dh`` rows,
   one step along ``y`` jumps ``sh`` rows.
3. im2col: reshape the view to ``cols : (G, C/G*kh*kw, N*Ho*Wq)``. This is the one copy the
   algorithm makes. Row ``(c, i, j)`` holds pixel ``(i, j)`` of channel ``c`` of every patch;
   column ``(n, y, x)`` is the patch under output pixel ``(y, x)`` of sample ``n``.
4. One matrix product per group: ``w`` reshaped to ``(G, Cout/G, C/G*kh*kw)`` times ``cols``
   gives ``(G, Cout/G, N*Ho*Wq)``, which is ``(Cout, N, Ho, Wq)``; one pass keeps ``Wo``
   columns, moves the batch axis first and adds the bias per channel: ``(N, Cout, Ho, Wo)``.

The whole batch goes through one matrix product (not one per sample): BLAS gets one large
problem, which it runs at close to its peak speed, and the weight gradient below sums over
the batch inside its matrix product.

**Wide rows (stride 1).** For a kernel offset ``(i, j)``, output row ``y`` reads ``Wo``
neighbouring numbers of padded row ``y + i*dh``, starting at column ``j*dw``. Computing ``Wp``
outputs per row instead of ``Wo`` (the last ``Wp - Wo`` are thrown away) makes the whole
``(Ho, Wp)`` block of one ``(c, i, j, n)`` a single contiguous run of memory (row ``y`` ends
where row ``y + 1`` begins), so the im2col copy and the col2im adds move long runs instead
of ``Ho`` short rows - about twice as fast - for ``Wp/Wo`` times the arithmetic (1.06 for
3x3 at 32x32). The matrix products take most of the time, so this pays only while the extra
arithmetic is small: it is used when ``Wp/Wo <= 9/8``. The last window overhangs the padded
input by ``(kw-1)*dw`` numbers; one extra zero row at the bottom covers it. Below, ``Wq`` is
``Wp`` for wide rows and ``Wo`` otherwise.

**Backward.** With ``g = dL/dy`` laid out like the product, ``(G, Cout/G, N*Ho*Wq)`` (zero in
the thrown-away columns):

* bias: ``db`` = ``dL/dy`` summed over ``N, Ho, Wo``;
* weight: ``dw = g @ cols^T`` - one matrix product (over the ``cols`` the forward kept);
* input: ``dcols = w^T @ g`` has the shape of ``cols``, ``(C, kh, kw, N, Ho, Wq)``: the
  gradient of every copied pixel. col2im sends each back to where it was copied from; pixels
  shared by overlapping patches receive the sum. Instead of adding element by element
  (``np.add.at``), loop over the ``kh*kw`` kernel offsets only: take the same window view of
  a zero ``dxp``; for offset ``(i, j)``, ``dwin[:, :, i, j]`` (all ``(n, y, x)``) touches no
  pixel twice, so ``dwin[:, :, i, j] += dcols[:, i, j]`` is one vectorised add. Crop the
  padding off ``dxp`` and that is ``dx``.
* input, the other classic route (stride 1): ``dx`` is itself a convolution - of ``g``
  padded by ``(kh-1)*dh - pad`` on each side, with the kernel flipped in space and its two
  channel axes swapped - so the same im2col + one matrix product computes it. Its im2col
  copies ``Cout*kh*kw`` rows where col2im's ``dcols`` has ``C*kh*kw``, but its matrix
  product sums over ``Cout*kh*kw`` instead of ``Cout`` terms, which BLAS runs much faster
  (measured 15-30 % less time for the whole input gradient at 64->64 and 128->128, 3x3).
  It is used for stride 1 when ``Cout <= C``; a first layer 3->32 would copy ten times more
  than col2im, and strided convolutions would need a dilated ``g``: those take col2im.

**Small kernels: one product per sample.** When a filter has few weights (``C*kh*kw`` up to
``PER_SAMPLE_MAX_K`` = 160, groups 1, and at least 256 output pixels: first layers such as
3->32 7x7 or 3->64 3x3), the
product above is short and wide (a 32x147 matrix times a 147x65536 one) and BLAS runs it
slowly, while the im2col copy and the transposition of the output back to ``(N, Cout, ...)``
cost as much again. Then ``cols`` is laid out per sample instead, ``(N, C*kh*kw, Ho*Wo)`` -
the window view ``(N, C, kh, kw, Ho, Wo)`` reshaped, with no transposition - and one stacked
product ``w @ cols[n]`` gives ``(N, Cout, Ho*Wo)``, already the output's layout; each
sample's block fits in the cache. The backward is the same algebra sample by sample:
``dw = sum_n g[n] @ cols[n]^T`` (``g`` is the output gradient as it comes), and
``dcols[n] = w^T @ g[n]`` scattered back by col2im (or the transposed convolution above).

The forward keeps ``cols`` for the weight gradient: ``N*C*kh*kw*Ho*Wq`` numbers (160 MB in
float32 for a batch of 64 at 64 channels, 32x32, 3x3, padding 1).
"""

from __future__ import annotations

import numbers
from typing import Any

from hosila import autograd
from hosila.autograd import Function

__all__ = ["conv2d", "Conv2d"]

# Convolutions with at most PER_SAMPLE_MAX_K weights per output channel (C*kh*kw, groups 1)
# and at least PER_SAMPLE_MIN_HW output pixels take the per-sample layout (see "Small
# kernels" in the module docstring). Measured (forward + backward, batch 64, one thread):
# 3->64 3x3 at 32x32 (27) in 0.6x the time, 3->32 7x7 (147) 0.9x, 16->16 3x3 (144) 0.8-0.95x;
# 28->32 3x3 (252) and 6->16 5x5 at 10x10 outputs were slightly slower, so those keep the
# one large product.
PER_SAMPLE_MAX_K = 160
PER_SAMPLE_MIN_HW = 256


# --------------------------------------------------------------------------------------------
# Array helpers shared with pool.py
# --------------------------------------------------------------------------------------------


def pad2d(xp: Any, a: Any, pads: tuple[int, int, int, int], value: float = 0.0) -> Any:
    """``a : (N, C, H, W)`` with ``(top, bottom, left, right)`` rows/columns of ``value`` added."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return a
    n, c, h, w = a.shape
    if value == 0:
        out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=a.dtype)
    else:  # fill only the border, not the whole array twice
        out = xp.empty((n, c, h + pt + pb, w + pl + pr), dtype=a.dtype)
        out[:, :, :pt] = value
        out[:, :, pt + h :] = value
        out[:, :, pt : pt + h, :pl] = value
        out[:, :, pt : pt + h, pl + w :] = value
    out[:, :, pt : pt + h, pl : pl + w] = a
    return out


def windows(
    xp: Any,
    a: Any,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
    writeable: bool = False,
) -> Any:
    """View ``(N, C, kh, kw, Ho, Wo)`` of ``a : (N, C, Hp, Wp)`` (no copy):
    ``[n, c, i, j, y, x] = a[n, c, y*sh + i*dh, x*sw + j*dw]``. Read-only unless
    ``writeable``: writing through it, one kernel offset ``(i, j)`` at a time, touches each
    pixel at most once."""
    n, c = a.shape[:2]
    s_n, s_c, s_h, s_w = a.strides
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return xp.lib.stride_tricks.as_strided(
        a,
        shape=(n, c, kh, kw, ho, wo),
        strides=(s_n, s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w),
        writeable=writeable,
    )


def out_size(size: int, kernel: int, stride: int, pad: int, dilation: int) -> int:
    """Output length of a convolution/pooling window sweep (floor mode); ``pad`` = both ends."""
    return (size + pad - dilation * (kernel - 1) - 1) // stride + 1


# --------------------------------------------------------------------------------------------
# The primitive
# --------------------------------------------------------------------------------------------


def im2col_product(xp, x, w_mat, kernel, stride, padding, dilation):
    """Steps 1-4 of the module docstring: pad ``x : (N, C, H, W)``, copy its windows into
    ``cols : (G, C/G*kh*kw, N*Ho*Wq)`` and multiply by ``w_mat : (G, Cout/G, C/G*kh*kw)``.

    Returns ``cols``, the product as ``(Cout, N, Ho, Wq)``, ``(Ho, Wo, Wq)`` and the padded
    input's shape.
    """
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw), (pt, pb, pl, pr) = kernel, stride, dilation, padding
    groups, c_out_g, k_g = w_mat.shape
    ho = out_size(h, kh, sh, pt + pb, dh)
    wo = out_size(w, kw, sw, pl + pr, dw)
    # Stride 1: compute "wide rows" of the padded width Wp (see the module docstring) when
    # that adds at most 1/8 to the arithmetic; one extra zero row keeps the last window's
    # overhang inside the array.
    wp = w + pl + pr
    wq = wp if stride == (1, 1) and 8 * (wp - wo) <= wo else wo
    xpad = pad2d(xp, x, (pt, pb + int(wq > wo), pl, pr))  # (N, C, Hp, Wp)
    win = windows(xp, xpad, kernel, stride, dilation, (ho, wq))  # (N, C, kh, kw, Ho, Wq)
    win = win.transpose(1, 2, 3, 0, 4, 5)  # (C, kh, kw, N, Ho, Wq), still no copy
    cols = win.reshape(groups, k_g, n * ho * wq)  # im2col: the one copy
    out = xp.matmul(w_mat, cols)  # (G, Cout/G, N*Ho*Wq) = (Cout, N, Ho, Wq)
    return cols, out.reshape(groups * c_out_g, n, ho, wq), (ho, wo, wq), xpad.shape


def batch_first(xp, out, width, bias=None):
    """``out : (C, N, H, Wq)`` -> contiguous ``(N, C, H, width)`` (+ bias per channel): one pass."""
    c, n, h = out.shape[:3]
    src = out[..., :width].transpose(1, 0, 2, 3)
    y = xp.empty((n, c, h, width), dtype=out.dtype)
    if bias is None:
        y[...] = src
    else:
        xp.add(src, bias.reshape(c, 1, 1), out=y)
    return y


class Conv2d(Function):
    """y = conv2d(x, w, b) by im2col + one matrix product; backward: dw by one matrix product,
    dx by a transposed convolution (stride 1, Cout <= C) or a matrix product and col2im.
    ``stride``, ``dilation``: (h, w) pairs; ``padding``: (top, bottom, left, right)."""

    def forward(self, x, weight, bias, stride, padding, dilation, groups):
        c_out, c_g, kh, kw = weight.shape
        ho = out_size(x.shape[2], kh, stride[0], padding[0] + padding[1], dilation[0])
        wo = out_size(x.shape[3], kw, stride[1], padding[2] + padding[3], dilation[1])
        self.per_sample = (
            groups == 1 and c_g * kh * kw <= PER_SAMPLE_MAX_K and ho * wo >= PER_SAMPLE_MIN_HW
        )
        if self.per_sample:
            return self._forward_per_sample(x, weight, bias, stride, padding, dilation)
        w_mat = weight.reshape(groups, c_out // groups, c_g * kh * kw)
        cols, out, sizes, pad_shape = im2col_product(
            self.xp, x, w_mat, (kh, kw), stride, padding, dilation
        )
        self.saved = (cols, weight)
        self.geom = (x.shape, pad_shape, stride, padding, dilation, groups, sizes)
        return batch_first(self.xp, out, sizes[1], bias)

    def _forward_per_sample(self, x, weight, bias, stride, padding, dilation):
        """Small ``C*kh*kw`` (first layers): ``cols : (N, C*kh*kw, Ho*Wo)``, one column block
        per sample, and one stacked product ``w @ cols[n]`` that is already ``(N, Cout, Ho*Wo)``
        (no transposition of the output; each sample's block stays in the cache)."""
        xp = self.xp
        n, c, h, w = x.shape
        c_out, _, kh, kw = weight.shape
        pt, pb, pl, pr = padding
        ho = out_size(h, kh, stride[0], pt + pb, dilation[0])
        wo = out_size(w, kw, stride[1], pl + pr, dilation[1])
        xpad = pad2d(xp, x, padding)
        win = windows(xp, xpad, (kh, kw), stride, dilation, (ho, wo))  # (N, C, kh, kw, Ho, Wo)
        cols = win.reshape(n, c * kh * kw, ho * wo)  # the one copy
        y = xp.matmul(weight.reshape(c_out, c * kh * kw), cols).reshape(n, c_out, ho, wo)
        if bias is not None:
            y += bias.reshape(c_out, 1, 1)
        self.saved = (cols, weight)
        self.geom = (x.shape, xpad.shape, stride, padding, dilation, 1, (ho, wo, wo))
        return y

    def _backward_per_sample(self, grad):
        """The backward of :meth:`_forward_per_sample`: ``dw = sum_n g[n] @ cols[n]^T``, ``dx``
        by the transposed convolution or by ``dcols[n] = w^T @ g[n]`` and col2im."""
        xp = self.xp
        cols, weight = self.saved
        x_shape, pad_shape, stride, padding, dilation, _, (ho, wo, _) = self.geom
        need_x, need_w, need_b = self.needs_input_grad
        n, c, h, w = x_shape
        c_out, _, kh, kw = weight.shape
        pt, _, pl, _ = padding
        g = grad.reshape(n, c_out, ho * wo)
        gb = grad.sum(axis=(0, 2, 3)) if need_b else None
        gw = None
        if need_w:
            gw = xp.matmul(g, cols.swapaxes(1, 2)).sum(axis=0).reshape(weight.shape)
        if not need_x:
            return None, gw, gb
        if self._transposed(x_shape, weight, stride, padding, dilation):
            return self._dx_transposed(grad, weight, stride, padding, dilation, 1, w), gw, gb
        dcols = xp.matmul(weight.reshape(c_out, c * kh * kw).T, g)  # (N, C*kh*kw, Ho*Wo)
        dcols = dcols.reshape(n, c, kh, kw, ho, wo)
        dxp = xp.zeros(pad_shape, dtype=grad.dtype)  # (N, C, Hp, Wp)
        dwin = windows(xp, dxp, (kh, kw), stride, dilation, (ho, wo), writeable=True)
        for i in range(kh):
            for j in range(kw):
                dwin[:, :, i, j] += dcols[:, :, i, j]  # (N, C, Ho, Wo): no pixel twice
        return dxp[:, :, pt : pt + h, pl : pl + w], gw, gb

    @staticmethod
    def _transposed(x_shape, weight, stride, padding, dilation):
        """Whether dx is computed as a transposed convolution (see the module docstring)."""
        c_out, _, kh, kw = weight.shape
        (dh, dw), (pt, pb, pl, pr) = dilation, padding
        q = ((kh - 1) * dh - pt, (kh - 1) * dh - pb, (kw - 1) * dw - pl, (kw - 1) * dw - pr)
        return stride == (1, 1) and min(q) >= 0 and c_out <= x_shape[1]

    def _dx_transposed(self, grad, weight, stride, padding, dilation, groups, width):
        """dx as the convolution of ``grad``, padded by ``(k-1)*d - pad``, with the flipped,
        channel-transposed kernel: ``(N, C, H, W)``."""
        xp = self.xp
        c_out, c_g, kh, kw = weight.shape
        (dh, dw), (pt, pb, pl, pr) = dilation, padding
        q = ((kh - 1) * dh - pt, (kh - 1) * dh - pb, (kw - 1) * dw - pl, (kw - 1) * dw - pr)
        w_t = weight.reshape(groups, c_out // groups, c_g, kh, kw)[:, :, :, ::-1, ::-1]
        w_t = w_t.transpose(0, 2, 1, 3, 4).reshape(groups, c_g, c_out // groups * kh * kw)
        _, dx, _, _ = im2col_product(xp, grad, w_t, (kh, kw), stride, q, dilation)
        return batch_first(xp, dx, width)

    def backward(self, grad):
        if self.per_sample:
            return self._backward_per_sample(grad)
        xp = self.xp
        cols, weight = self.saved
        x_shape, pad_shape, stride, padding, dilation, groups, (ho, wo, wq) = self.geom
        pt, _, pl, _ = padding
        need_x, need_w, need_b = self.needs_input_grad
        n, c, h, w = x_shape
        c_out, c_g, kh, kw = weight.shape
        transposed = self._transposed(x_shape, weight, stride, padding, dilation)
        gx = gw = gb = None
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        if need_w or (need_x and not transposed):
            # g : (Cout, N*Ho*Wq), the layout of the forward's product (0 in the wide part)
            g = (xp.zeros if wq > wo else xp.empty)((c_out, n, ho, wq), dtype=grad.dtype)
            g[..., :wo] = grad.transpose(1, 0, 2, 3)
            g = g.reshape(groups, c_out // groups, n * ho * wq)
        if need_w:  # dw = g @ cols^T, computed as (cols @ g^T)^T: (G, Cout/G, C/G*kh*kw)
            gw = xp.matmul(cols, g.swapaxes(-1, -2)).swapaxes(-1, -2).reshape(weight.shape)
        if not need_x:
            return gx, gw, gb
        if transposed:
            return self._dx_transposed(grad, weight, stride, padding, dilation, groups, w), gw, gb
        # dcols = w^T @ g, then col2im over the kh*kw kernel offsets
        w_mat = weight.reshape(groups, c_out // groups, c_g * kh * kw)
        dcols = xp.matmul(w_mat.swapaxes(-1, -2), g).reshape(c, kh, kw, n, ho, wq)
        dxp = xp.zeros((c, n) + pad_shape[2:], dtype=grad.dtype)  # (C, N, Hp, Wp)
        dwin = windows(xp, dxp, (kh, kw), stride, dilation, (ho, wq), writeable=True)
        for i in range(kh):
            for j in range(kw):
                dwin[:, :, i, j] += dcols[:, i, j]  # (C, N, Ho, Wq): no pixel twice
        return batch_first(xp, dxp[:, :, pt : pt + h, pl:], w), gw, gb


# --------------------------------------------------------------------------------------------
# Argument checking (shared with pool.py)
# --------------------------------------------------------------------------------------------


def is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """An int or a sequence of one or two ints -> ``(h, w)``; TypeError naming ``name`` else."""
    if is_int(value):
        return int(value), int(value)
    if isinstance(value, tuple | list) and len(value) in (1, 2) and all(map(is_int, value)):
        return (int(value[0]), int(value[-1]))
    raise TypeError(f"{op}: {name} must be an int or a tuple of two ints, got {value!r}")


def check_tensor(t: Any, name: str, op: str) -> None:
    if not isinstance(t, autograd.Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating-point tensor, got dtype {t.dtype}")


def batched(input: Any, op: str, what: str = "(C, H, W)") -> tuple[Any, bool]:
    """Return ``(x, unbatched)``: a 4-D view of a 3-D or 4-D input (ValueError otherwise, and
    for an empty channel or spatial dimension)."""
    if input.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected a 3-D {what} or 4-D (N, {what[1:]} input, got {input.ndim}-D "
            f"input of shape {tuple(input.shape)}"
        )
    if 0 in input.shape[-3:]:
        raise ValueError(
            f"{op}: expected an input with non-zero channel and spatial sizes, got shape "
            f"{tuple(input.shape)}"
        )
    if input.ndim == 4:
        return input, False
    return input.reshape(1, *input.shape), True


def conv_padding(
    padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """PyTorch's ``padding`` argument -> ``(top, bottom, left, right)``."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"conv2d: padding='same' is not supported for strided convolutions "
                    f"(stride must be 1, got {stride})"
                )
            th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
            # the odd pixel, if any, goes to the bottom/right (as in PyTorch)
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        raise ValueError(f"conv2d: padding must be 'valid', 'same' or ints, got {padding!r}")
    ph, pw = pair(padding, "padding", "conv2d")
    if ph < 0 or pw < 0:
        raise ValueError(f"conv2d: padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] | str = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Any:
    """2-D convolution (cross-correlation, as in PyTorch) of ``input`` with ``weight``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        weight: ``(Cout, C/groups, kh, kw)``.
        bias: ``(Cout,)`` or None.
        stride, dilation: int or ``(sh, sw)``, positive.
        padding: int or ``(ph, pw)`` zeros on both sides, or ``"valid"`` (none) or ``"same"``
            (output as large as the input; stride 1 only).
        groups: split channels into this many independent groups.

    Returns:
        ``(N, Cout, Ho, Wo)`` (``(Cout, Ho, Wo)`` for an unbatched input), the input's dtype,
        with ``Ho = (H + 2*ph - dh*(kh-1) - 1) // sh + 1`` (likewise ``Wo``).
    """
    op = "conv2d"
    check_tensor(input, "input", op)
    check_tensor(weight, "weight", op)
    if weight.ndim != 4:
        raise ValueError(
            f"{op}: weight must be 4-D (out_channels, in_channels/groups, kH, kW), "
            f"got shape {tuple(weight.shape)}"
        )
    x, unbatched = batched(input, op)
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c_out, c_g, kh, kw = weight.shape
    n, c, h, w = x.shape
    if c_out % groups:
        raise ValueError(
            f"{op}: out_channels (weight.shape[0] = {c_out}) must be divisible by groups = {groups}"
        )
    if c != c_g * groups:
        raise ValueError(
            f"{op}: input has {c} channels (shape {tuple(input.shape)}) but weight of shape "
            f"{tuple(weight.shape)} with groups={groups} expects {c_g * groups} channels "
            f"(weight.shape[1] * groups = {c_g} * {groups})"
        )
    if weight.dtype != input.dtype:
        raise TypeError(
            f"{op}: input dtype {input.dtype} and weight dtype {weight.dtype} must be the same"
        )
    if bias is not None:
        check_tensor(bias, "bias", op)
        if tuple(bias.shape) != (c_out,):
            raise ValueError(
                f"{op}: bias must have shape ({c_out},) (out_channels), got {tuple(bias.shape)}"
            )
        if bias.dtype != input.dtype:
            raise TypeError(
                f"{op}: input dtype {input.dtype} and bias dtype {bias.dtype} must be the same"
            )
    stride_ = pair(stride, "stride", op)
    dilation_ = pair(dilation, "dilation", op)
    if min(stride_) < 1:
        raise ValueError(f"{op}: stride must be positive, got {stride!r}")
    if min(dilation_) < 1:
        raise ValueError(f"{op}: dilation must be positive, got {dilation!r}")
    pads = conv_padding(padding, (kh, kw), stride_, dilation_)
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    eh, ew = dilation_[0] * (kh - 1) + 1, dilation_[1] * (kw - 1) + 1
    if hp < eh or wp < ew:
        raise ValueError(
            f"{op}: kernel size ({eh} x {ew}, dilation included) is larger than the padded "
            f"input ({hp} x {wp}); input shape {tuple(input.shape)}, padding {padding!r}"
        )
    out = Conv2d.apply(
        x,
        weight,
        bias,
        stride=stride_,
        padding=pads,
        dilation=dilation_,
        groups=int(groups),
    )
    return out.reshape(out.shape[1:]) if unbatched else out
