"""2-D pooling: max, average and their adaptive forms (PyTorch's ``torch.nn.functional``).

Every pooling op slides a ``kh x kw`` window over each ``H x W`` plane of ``x : (N, C, H, W)``
and reduces it to one number, giving ``(N, C, Ho, Wo)`` with (floor mode)
``Ho = (H + 2*ph - dh*(kh-1) - 1) // sh + 1``. Channels never mix.

**Windows as a strided view.** As in ``conv.py``, the windows are a read-only view
``win : (N, C, kh, kw, Ho, Wo)`` of the padded input, ``win[n, c, i, j, y, x] =
xp[n, c, y*sh + i*dh, x*sw + j*dw]``. For one kernel offset ``(i, j)``, ``win[:, :, i, j]`` is an
``(N, C, Ho, Wo)`` strided slice: the element at that offset of every window at once. So a
pooling op is a loop over the ``kh*kw`` offsets of whole-array operations, never a loop over
pixels:

* max: ``out = maximum(out, win[:, :, i, j])`` offset by offset (padding is ``-inf``, so it
  is never the maximum of a window that holds a number). Then, for the backward pass, where
  the maximum is: on ties the first one in the window, in row-major order, as in PyTorch.
  Its offset is the number of leading offsets whose value is not the maximum, counted with
  a running "not found yet" mask: ``arg = sum_k [win_0 != out and ... and win_k != out]``.
  (A NaN wins over everything and propagates; windows holding one take a slower exact loop.)
* average: the sum of the ``kh*kw`` slices divided by the window's divisor (``kh*kw``, or the
  count of non-padding pixels with ``count_include_pad=False``, or ``divisor_override``).

**Backward** goes the other way, offset by offset, through the same view of the (padded)
input gradient: ``dwin[:, :, i, j] += part_k``. Inside one offset no pixel repeats, so each
add is vectorised and overlapping windows (stride < kernel) still sum correctly. Max pooling
sends ``part_k = g * (arg == k)``: each output's gradient to its maximum; average pooling
spreads ``part_k = g / divisor`` over the whole window. When windows do not overlap, the adds
become plain writes.

**Fast path when windows tile the input** (``kernel == stride``, no padding, no dilation,
``H`` and ``W`` divisible): the windows are then a plain reshape ``(N, C, Ho, kh, Wo, kw)``
of ``x`` (offset ``(i, j)`` is ``x6[:, :, :, i, :, j]``): no padded copy, and the backward
writes every input pixel exactly once into an uninitialised array (no zero fill, no adds).
In inference (no gradient wanted) max pooling skips the argmax altogether.

**Adaptive pooling** picks, for output row ``y`` of ``Ho``, the input rows
``floor(y*H/Ho) <= r < ceil((y+1)*H/Ho)`` (PyTorch's windows; they may differ in size and
overlap). Adaptive average pooling is separable: with ``A : (Ho, H)`` holding ``1/len`` of
row ``y``'s window in its columns, ``out = A_h @ x @ A_w^T`` (two matrix products; backward
``A_h^T @ g @ A_w``); a 1x1 output (global average pooling) is a plain mean. Adaptive max
pooling is separable too (the max over columns, then over rows), each step a loop over
offsets up to the largest window (shorter windows repeat their last element, which never
beats itself); the gradient is scattered to the recorded argmax with one ``bincount``
(windows may overlap).

Indices (``return_indices=True``) are PyTorch's: the flat position ``row * W + col`` of the
maximum within its ``H x W`` plane, int64.
"""

from __future__ import annotations

from typing import Any

from hosila import autograd
from hosila.autograd import Function
from hosila.ops.conv import batched, check_tensor, is_int, pad2d, pair, windows

__all__ = [
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
]


# --------------------------------------------------------------------------------------------
# Window geometry (PyTorch's rules)
# --------------------------------------------------------------------------------------------


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: in ceil mode the last window must start inside the
    input or the left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class _Geometry:
    """Checked kernel/stride/padding/dilation of a pooling call and the output size."""

    def __init__(self, op, x_shape, kernel_size, stride, padding, dilation, ceil_mode):
        self.kernel = kh, kw = pair(kernel_size, "kernel_size", op)
        if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0):
            self.stride = self.kernel
        else:
            self.stride = pair(stride, "stride", op)
        ph, pw = pair(padding, "padding", op)
        self.dilation = dh, dw = pair(dilation, "dilation", op)
        sh, sw = self.stride
        if kh < 1 or kw < 1:
            raise ValueError(f"{op}: kernel_size must be positive, got {kernel_size!r}")
        if sh < 1 or sw < 1:
            raise ValueError(f"{op}: stride must be positive, got {stride!r}")
        if dh < 1 or dw < 1:
            raise ValueError(f"{op}: dilation must be positive, got {dilation!r}")
        if ph < 0 or pw < 0:
            raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
        if ph > kh // 2 or pw > kw // 2:
            raise ValueError(
                f"{op}: padding should be at most half of kernel size, got padding "
                f"{(ph, pw)} for kernel_size {self.kernel}"
            )
        n, c, h, w = x_shape
        ho = _pool_out(h, kh, sh, ph, dh, ceil_mode)
        wo = _pool_out(w, kw, sw, pw, dw, ceil_mode)
        if ho < 1 or wo < 1:
            raise ValueError(
                f"{op}: input of spatial size ({h} x {w}) is too small for kernel_size "
                f"{self.kernel}, stride {self.stride}, padding {(ph, pw)}, dilation "
                f"{self.dilation}: output size would be ({ho} x {wo})"
            )
        self.out_hw = (ho, wo)
        self.pad = (ph, pw)
        # rows/columns the windows reach past the end (ceil mode may reach beyond padding)
        pb = max(0, (ho - 1) * sh + dh * (kh - 1) + 1 - h - ph)
        pr = max(0, (wo - 1) * sw + dw * (kw - 1) + 1 - w - pw)
        self.pads = (ph, pb, pw, pr)
        self.x_shape = x_shape
        self.tiles = (
            self.kernel == self.stride
            and self.dilation == (1, 1)
            and ph == pw == 0
            and h == ho * kh
            and w == wo * kw
        )
        # windows do not overlap: every input pixel is in at most one window
        self.disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1

    def offsets(self, xp, a, writeable=False):
        """The ``(N, C, Ho, Wo)`` view of kernel offset ``k = i*kw + j`` of every window, for
        ``k = 0 .. kh*kw-1``: slices of ``a``, which is the input itself when the windows tile
        it (a reshape to ``(N, C, Ho, kh, Wo, kw)``) and the padded input otherwise."""
        (kh, kw), (ho, wo) = self.kernel, self.out_hw
        if self.tiles:
            n, c = a.shape[:2]
            a6 = a.reshape(n, c, ho, kh, wo, kw)
            return [a6[:, :, :, i, :, j] for i in range(kh) for j in range(kw)]
        win = windows(xp, a, self.kernel, self.stride, self.dilation, self.out_hw, writeable)
        return [win[:, :, i, j] for i in range(kh) for j in range(kw)]

    def padded(self, xp, x, value):
        return x if self.tiles else pad2d(xp, x, self.pads, value)

    def scatter(self, xp, parts, dtype):
        """The input gradient ``(N, C, H, W)`` from one ``(N, C, Ho, Wo)`` array per kernel
        offset (the gradient each window sends to its pixel at that offset). Windows that tile
        the input write every pixel once (no zero fill, no adds); disjoint windows write into
        zeros; overlapping windows add, one offset at a time (no pixel twice per add)."""
        n, c, h, w = self.x_shape
        pt, pb, pl, pr = self.pads
        if self.tiles:
            dx = xp.empty(self.x_shape, dtype=dtype)
        else:
            dx = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=dtype)
        for dst, part in zip(self.offsets(xp, dx, writeable=True), parts, strict=True):
            if self.disjoint:
                dst[...] = part
            else:
                dst += part
        return dx if self.tiles else dx[:, :, pt : pt + h, pl : pl + w]


# --------------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------------


def max_and_offset(xp: Any, views: list, need_arg: bool = True) -> tuple[Any, Any]:
    """Elementwise maximum of ``views`` (same-shape arrays, one per window offset) and the
    offset ``k`` at which each maximum is first found (PyTorch's choice on ties; with a NaN,
    the last NaN, as PyTorch's ``val > max or isnan(val)`` rule gives).

    The offset is the number of leading views whose value is not the maximum, counted with a
    running "not found yet" mask: ``sum_k [v_0 != out and ... and v_k != out]``.
    """
    out = views[0].copy()
    for v in views[1:]:
        xp.maximum(out, v, out=out)
    if not need_arg:
        return out, None
    if xp.isnan(out).any():  # the exact rule, offset by offset
        out = views[0].copy()
        arg = xp.zeros(out.shape, dtype=xp.int32)
        for k, v in enumerate(views[1:], 1):
            upd = (v > out) | xp.isnan(v)
            xp.copyto(out, v, where=upd)
            xp.copyto(arg, k, where=upd)
        return out, arg
    not_yet = xp.not_equal(views[0], out)
    arg = not_yet.astype(xp.uint8 if len(views) <= 256 else xp.int32)
    differs = xp.empty(out.shape, dtype=bool)
    for v in views[1:-1]:
        xp.not_equal(v, out, out=differs)
        not_yet &= differs
        arg += not_yet
    return out, arg


class MaxPool2d(Function):
    """Max over each window; the gradient goes to the (first) maximum of each window.

    ``geom``: a checked :class:`_Geometry`. ``need_arg``: find where each maximum is (for the
    backward pass or the indices; skipped in inference). When ``indices_out`` is a list, the
    forward pass appends the flat argmax indices ``(N, C, Ho, Wo)`` (int64) to it.
    """

    def forward(self, x, geom, need_arg=True, indices_out=None):
        xp = self.xp
        views = geom.offsets(xp, geom.padded(xp, x, -xp.inf))
        out, arg = max_and_offset(xp, views, need_arg)
        self.geom, self.arg = geom, arg
        if not need_arg:
            return out
        if any(geom.pads):
            self._first_real_if_all_inf(out, arg)
        if indices_out is not None:
            indices_out.append(self._flat_indices(arg, geom, x.shape[3]))
        return out

    def _first_real_if_all_inf(self, out, arg):
        """Windows whose real pixels are all -inf: PyTorch names the first real pixel (the
        running max starts at -inf and nothing beats it), not a padding pixel."""
        xp = self.xp
        empty = out == -xp.inf
        if not empty.any():
            return
        geom = self.geom
        kw, (sh, sw), (dh, dw), (ho, wo) = geom.kernel[1], geom.stride, geom.dilation, geom.out_hw
        pt, _, pl, _ = geom.pads
        i0 = xp.maximum(0, -((xp.arange(ho) * sh - pt) // dh))  # ceil((pt - y*sh) / dh)
        j0 = xp.maximum(0, -((xp.arange(wo) * sw - pl) // dw))
        first = (i0[:, None] * kw + j0[None, :]).astype(arg.dtype)
        xp.copyto(arg, xp.broadcast_to(first, arg.shape), where=empty)

    def _flat_indices(self, arg, geom, width):
        xp = self.xp
        kw, (sh, sw), (dh, dw), (ho, wo) = geom.kernel[1], geom.stride, geom.dilation, geom.out_hw
        pt, _, pl, _ = geom.pads
        a = arg.astype(xp.int64)
        rows = xp.arange(ho, dtype=xp.int64)[:, None] * sh - pt + (a // kw) * dh
        cols = xp.arange(wo, dtype=xp.int64)[None, :] * sw - pl + (a % kw) * dw
        return rows * width + cols

    def backward(self, grad):
        arg, kk = self.arg, self.geom.kernel[0] * self.geom.kernel[1]
        # offset k receives g where the window's maximum sits at k, else 0
        parts = (grad * (arg == k) for k in range(kk))
        return self.geom.scatter(self.xp, parts, grad.dtype)


def max_pool2d(
    input: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """2-D max pooling (PyTorch's ``F.max_pool2d``).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: int or ``(kh, kw)``; stride: defaults to ``kernel_size``.
        padding: implicit ``-inf`` on both sides, at most half the kernel size.
        dilation: spacing between window elements; ceil_mode: round the output size up.
        return_indices: also return the flat ``row * W + col`` index of each maximum (int64).

    Returns:
        ``(N, C, Ho, Wo)`` (and the indices, same shape), ``Ho = (H + 2*ph - dh*(kh-1) - 1)
        // sh + 1`` (rounded up with ``ceil_mode``).
    """
    op = "max_pool2d"
    check_tensor(input, "input", op)
    x, unbatched = batched(input, op)
    geom = _Geometry(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    sink: list | None = [] if return_indices else None
    need_arg = return_indices or (autograd.is_grad_enabled() and x.requires_grad)
    out = MaxPool2d.apply(x, geom, need_arg, sink)
    if unbatched:
        out = out.reshape(out.shape[1:])
    if not return_indices:
        return out
    idx = sink[0].reshape(out.shape)
    return out, type(input)._from_op(idx, None)


# --------------------------------------------------------------------------------------------
# Average pooling
# --------------------------------------------------------------------------------------------


def _avg_divisor(xp, geom, h, w, count_include_pad, divisor_override, dtype):
    """The divisor of each window, ``(Ho, Wo)``, or a number (PyTorch's rules): with padding
    counted, a window is clipped to the padded input (ceil mode may run past it); without,
    to the input itself."""
    if divisor_override is not None:
        return divisor_override
    (kh, kw), (sh, sw), (ph, pw), (ho, wo) = geom.kernel, geom.stride, geom.pad, geom.out_hw

    def counts(n_out, s, k, p, size):
        start = xp.arange(n_out) * s - p
        end = xp.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size)
        return end - start

    ch, cw = counts(ho, sh, kh, ph, h), counts(wo, sw, kw, pw, w)
    if (ch == kh).all() and (cw == kw).all():
        return kh * kw
    return (ch[:, None] * cw[None, :]).astype(dtype)


class AvgPool2d(Function):
    """Mean over each window (sum / divisor); the gradient ``g / divisor`` goes to every
    pixel of the window."""

    def forward(self, x, geom, divisor):
        xp = self.xp
        self.geom, self.divisor = geom, divisor
        views = geom.offsets(xp, geom.padded(xp, x, 0.0))
        total = views[0].copy()
        for v in views[1:]:
            total += v
        total /= divisor
        return total

    def backward(self, grad):
        g = grad / self.divisor
        kk = self.geom.kernel[0] * self.geom.kernel[1]
        return self.geom.scatter(self.xp, [g] * kk, grad.dtype)


def avg_pool2d(
    input: Any,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Any:
    """2-D average pooling (PyTorch's ``F.avg_pool2d``).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size: int or ``(kh, kw)``; stride: defaults to ``kernel_size``.
        padding: implicit zeros on both sides, at most half the kernel size.
        ceil_mode: round the output size up.
        count_include_pad: divide by the window size including padding (True) or by the number
            of input pixels in the window (False).
        divisor_override: divide every window sum by this (non-zero) int instead.

    Returns:
        ``(N, C, Ho, Wo)``, ``Ho = (H + 2*ph - kh) // sh + 1`` (rounded up with ``ceil_mode``).
    """
    op = "avg_pool2d"
    check_tensor(input, "input", op)
    x, unbatched = batched(input, op)
    geom = _Geometry(op, x.shape, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (not is_int(divisor_override) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}")
    divisor = _avg_divisor(
        x.xp, geom, x.shape[2], x.shape[3], count_include_pad, divisor_override, x.dtype
    )
    out = AvgPool2d.apply(x, geom, divisor)
    return out.reshape(out.shape[1:]) if unbatched else out


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------


def _adaptive_windows(xp, size: int, n_out: int) -> tuple[Any, Any]:
    """PyTorch's adaptive windows ``floor(y*size/n_out) <= r < ceil((y+1)*size/n_out)``."""
    y = xp.arange(n_out)
    return (y * size) // n_out, -((-(y + 1) * size) // n_out)


def _output_size(output_size: Any, h: int, w: int, op: str) -> tuple[int, int]:
    if is_int(output_size):
        oh = ow = int(output_size)
    elif isinstance(output_size, tuple | list) and len(output_size) == 2:
        oh, ow = (n if v is None else v for v, n in zip(output_size, (h, w), strict=True))
        if not (is_int(oh) and is_int(ow)):
            raise TypeError(
                f"{op}: output_size must be an int or a tuple of two ints (or None), "
                f"got {output_size!r}"
            )
        oh, ow = int(oh), int(ow)
    else:
        raise TypeError(
            f"{op}: output_size must be an int or a tuple of two ints (or None), "
            f"got {output_size!r}"
        )
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return oh, ow


class AdaptiveAvgPool2d(Function):
    """out = A_h @ x @ A_w^T with the averaging matrices ``A`` (a plain mean over each plane for
    a 1x1 output, global average pooling); backward ``A_h^T @ g @ A_w``."""

    def forward(self, x, out_hw):
        xp = self.xp
        n, c, h, w = x.shape
        self.x_shape = x.shape
        if out_hw == (1, 1):
            self.mats = None
            return x.mean(axis=(2, 3), keepdims=True)
        self.mats = a_h, a_w = (
            self._matrix(h, out_hw[0], x.dtype),
            self._matrix(w, out_hw[1], x.dtype),
        )
        return xp.matmul(xp.matmul(a_h, x), a_w.T)

    def _matrix(self, size, n_out, dtype):
        """``A : (n_out, size)``, row ``y`` = ``1/len`` on the columns of window ``y``."""
        xp = self.xp
        start, end = _adaptive_windows(xp, size, n_out)
        r = xp.arange(size)
        inside = (r[None, :] >= start[:, None]) & (r[None, :] < end[:, None])
        return (inside / (end - start)[:, None]).astype(dtype)

    def backward(self, grad):
        xp = self.xp
        n, c, h, w = self.x_shape
        if self.mats is None:
            return xp.broadcast_to(grad / (h * w), self.x_shape)
        a_h, a_w = self.mats
        return xp.matmul(xp.matmul(a_h.T, grad), a_w)


def adaptive_avg_pool2d(input: Any, output_size: int | tuple[int | None, int | None]) -> Any:
    """Average pooling to a fixed output size (PyTorch's ``F.adaptive_avg_pool2d``).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        output_size: ``Ho`` (square) or ``(Ho, Wo)``; ``None`` keeps that input size.

    Returns:
        ``(N, C, Ho, Wo)``; output ``y`` averages rows ``floor(y*H/Ho) .. ceil((y+1)*H/Ho)-1``.
    """
    op = "adaptive_avg_pool2d"
    check_tensor(input, "input", op)
    x, unbatched = batched(input, op)
    out_hw = _output_size(output_size, x.shape[2], x.shape[3], op)
    out = AdaptiveAvgPool2d.apply(x, out_hw)
    return out.reshape(out.shape[1:]) if unbatched else out


class AdaptiveMaxPool2d(Function):
    """Max over each adaptive window; the gradient goes to the (first) maximum. ``indices_out``
    as in :class:`MaxPool2d`.

    A window is a rectangle, so its maximum is separable: first the maximum over each column
    window of every row, ``(N, C, H, Wo)``, then the maximum of those over each row window,
    ``(N, C, Ho, Wo)``. Taking the first maximum in both steps gives the first maximum in
    row-major order (PyTorch's choice); taking the last NaN in both gives its last NaN.
    """

    def forward(self, x, out_hw, indices_out=None):
        xp = self.xp
        w = x.shape[3]
        col_max, col_arg = self._reduce(x, out_hw[1], axis=3)  # (N, C, H, Wo)
        out, row_arg = self._reduce(col_max, out_hw[0], axis=2)  # (N, C, Ho, Wo)
        col = xp.take_along_axis(col_arg, row_arg, axis=2)  # the column, in the chosen row
        self.idx, self.x_shape = row_arg * w + col, x.shape
        if indices_out is not None:
            indices_out.append(self.idx)
        return out

    def _reduce(self, a, n_out, axis):
        """Max (and its position) of ``a`` over each adaptive window along ``axis``."""
        xp = self.xp
        start, end = _adaptive_windows(xp, a.shape[axis], n_out)
        shape = [1] * a.ndim
        shape[axis] = n_out
        start, end = start.reshape(shape), end.reshape(shape)
        # offset k of every window (a short window repeats its last element)
        pos = [xp.minimum(start + k, end - 1) for k in range(int((end - start).max()))]
        views = [xp.take(a, p.reshape(-1), axis=axis) for p in pos]
        best, k = max_and_offset(xp, views)
        return best, xp.minimum(start + k, end - 1)

    def backward(self, grad):
        xp = self.xp
        n, c, h, w = self.x_shape
        plane = xp.arange(n * c, dtype=xp.int64).reshape(n, c, 1, 1) * (h * w)
        # windows may overlap, so one pixel can be the max of several: add with bincount
        flat = xp.bincount(
            (plane + self.idx).ravel(), weights=grad.ravel(), minlength=n * c * h * w
        )
        return flat.astype(grad.dtype).reshape(self.x_shape)


def adaptive_max_pool2d(
    input: Any, output_size: int | tuple[int | None, int | None], return_indices: bool = False
) -> Any:
    """Max pooling to a fixed output size (PyTorch's ``F.adaptive_max_pool2d``).

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        output_size: ``Ho`` (square) or ``(Ho, Wo)``; ``None`` keeps that input size.
        return_indices: also return the flat ``row * W + col`` index of each maximum (int64).

    Returns:
        ``(N, C, Ho, Wo)`` (and the indices); windows as in :func:`adaptive_avg_pool2d`.
    """
    op = "adaptive_max_pool2d"
    check_tensor(input, "input", op)
    x, unbatched = batched(input, op)
    out_hw = _output_size(output_size, x.shape[2], x.shape[3], op)
    sink: list | None = [] if return_indices else None
    out = AdaptiveMaxPool2d.apply(x, out_hw, sink)
    if unbatched:
        out = out.reshape(out.shape[1:])
    if not return_indices:
        return out
    return out, type(input)._from_op(sink[0].reshape(out.shape), None)
