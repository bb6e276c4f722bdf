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
  padding off ``dxp`` and that is ``dx``. (The other classic route, a transposed convolution:
  im2col of the padded ``g`` with the flipped kernel, copies ``Cout*kh*kw`` rows instead of
  ``C*kh*kw``: eleven times more for a first layer 3->32, and it measured no faster for
  64->64 3x3, so col2im it is.)

The forward keeps ``cols`` for the weight gradient: ``N*C*kh*kw*Ho*Wq`` numbers (160 MB in
float32 for a batch of 64 at 64 channels, 32x32, 3x3, padding 1).
"""

from __future__ import annotations

import numbers
from typing import Any

from hosila import autograd
from hosila.autograd import Function

__all__ = ["conv2d", "Conv2d"]


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
    """y = conv2d(x, w, b) by im2col + one matrix product; backward by two matrix products and
    col2im. ``stride``, ``dilation``: (h, w) pairs; ``padding``: (top, bottom, left, right)."""

    def forward(self, x, weight, bias, stride, padding, dilation, groups):
        c_out, c_g, kh, kw = weight.shape
        w_mat = weight.reshape(groups, c_out // groups, c_g * kh * kw)
        cols, out, sizes, pad_shape = im2col_product(
            self.xp, x, w_mat, (kh, kw), stride, padding, dilation
        )
        self.saved = (cols, weight)
        self.geom = (x.shape, pad_shape, stride, padding, dilation, groups, sizes)
        return batch_first(self.xp, out, sizes[1], bias)

    def backward(self, grad):
        xp = self.xp
        cols, weight = self.saved
        x_shape, pad_shape, stride, padding, dilation, groups, (ho, wo, wq) = self.geom
        pt, _, pl, _ = padding
        need_x, need_w, need_b = self.needs_input_grad
        n, c, h, w = x_shape
        c_out, c_g, kh, kw = weight.shape
        gx = gw = gb = None
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        # g : (Cout, N*Ho*Wq), the layout of the forward's product (0 in the wide part)
        g = (xp.zeros if wq > wo else xp.empty)((c_out, n, ho, wq), dtype=grad.dtype)
        g[..., :wo] = grad.transpose(1, 0, 2, 3)
        g = g.reshape(groups, c_out // groups, n * ho * wq)
        if need_w:  # dw = g @ cols^T, computed as (cols @ g^T)^T: (G, Cout/G, C/G*kh*kw)
            gw = xp.matmul(cols, g.swapaxes(-1, -2)).swapaxes(-1, -2).reshape(weight.shape)
        if not need_x:
            return gx, gw, gb
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
    """Return ``(x, unbatched)``: a 4-D view of a 3-D or 4-D input (ValueError otherwise)."""
    if input.ndim == 4:
        return input, False
    if input.ndim == 3:
        return input.reshape(1, *input.shape), True
    raise ValueError(
        f"{op}: expected a 3-D {what} or 4-D (N, {what[1:]} input, got {input.ndim}-D input "
        f"of shape {tuple(input.shape)}"
    )


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
