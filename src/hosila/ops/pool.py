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

* max: keep a running maximum ``out`` and the offset ``arg`` where it was found; at offset
  ``k`` update where ``win[:, :, i, j] > out`` (strictly: on ties the first maximum in the
  window, in row-major order, wins, as in PyTorch; a NaN always wins and propagates). Padding
  is ``-inf``, so it is never the maximum of a window that holds a number.
* average: the sum of the ``kh*kw`` slices divided by the window's divisor (``kh*kw``, or the
  count of non-padding pixels with ``count_include_pad=False``, or ``divisor_override``).

**Backward** goes the other way, offset by offset: ``dxp[:, :, rows_i, cols_j] += ...`` where
``rows_i = i*dh + sh*y`` is the strided slice of offset ``i``. Inside one slice no pixel
repeats, so each add is vectorised and overlapping windows (stride < kernel) still sum
correctly. Max pooling routes each output's gradient to its ``arg`` (``g`` where ``arg == k``,
else 0); average pooling spreads ``g / divisor`` over the whole window.

**Fast path when windows tile the input** (``kernel == stride``, no padding, no dilation,
``H`` and ``W`` divisible): the windows are then a plain reshape
``(N, C, Ho, kh, Wo, kw)`` of ``x`` - no padding copy, and average pooling is one ``mean``
over axes 3 and 5, its backward one broadcast.

**Adaptive pooling** picks, for output row ``y`` of ``Ho``, the input rows
``floor(y*H/Ho) <= r < ceil((y+1)*H/Ho)`` (PyTorch's windows; they may differ in size and
overlap). Adaptive average pooling is separable: with ``A : (Ho, H)`` holding ``1/len`` of
row ``y``'s window in its columns, ``out = A_h @ x @ A_w^T`` (two matrix products; backward
``A_h^T @ g @ A_w``). Adaptive max pooling loops over offsets up to the largest window
(shorter windows repeat their last row, which never beats itself) and scatters the gradient
to the recorded argmax with one ``bincount``.

Indices (``return_indices=True``) are PyTorch's: the flat position ``row * W + col`` of the
maximum within its ``H x W`` plane, int64.
"""

from __future__ import annotations

from typing import Any

from hosila.autograd import Function
from hosila.ops.conv import batched, check_tensor, is_int, offset_slice, pad2d, pair, windows

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
        self.tiles = (
            self.kernel == self.stride
            and self.dilation == (1, 1)
            and ph == pw == 0
            and h == ho * kh
            and w == wo * kw
        )


# --------------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------------


class MaxPool2d(Function):
    """Max over each window; the gradient goes to the (first) maximum of each window.

    ``geom``: a checked :class:`_Geometry`. When ``indices_out`` is a list, the forward pass
    appends the flat argmax indices ``(N, C, Ho, Wo)`` (int64) to it.
    """

    def forward(self, x, geom, indices_out=None):
        xp = self.xp
        kh, kw = geom.kernel
        xpad = pad2d(xp, x, geom.pads, value=-xp.inf)
        win = windows(xp, xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw)
        out = win[:, :, 0, 0].copy()
        arg = xp.zeros(out.shape, dtype=xp.uint8 if kh * kw <= 256 else xp.int32)
        upd = xp.empty(out.shape, dtype=bool)
        for k in range(1, kh * kw):
            s = win[:, :, k // kw, k % kw]
            xp.greater(s, out, out=upd)
            xp.copyto(out, s, where=upd)
            xp.copyto(arg, k, where=upd)
        if xp.isnan(out).any():  # a NaN must win over everything after it: redo, NaN-aware
            out = win[:, :, 0, 0].copy()
            arg[...] = 0
            for k in range(1, kh * kw):
                s = win[:, :, k // kw, k % kw]
                upd = (s > out) | xp.isnan(s)
                xp.copyto(out, s, where=upd)
                xp.copyto(arg, k, where=upd)
        if any(geom.pads):
            self._first_real_if_all_inf(out, arg, geom)
        self.arg, self.geom, self.x_shape, self.pad_shape = arg, geom, x.shape, xpad.shape
        if indices_out is not None:
            indices_out.append(self._flat_indices(arg, geom, x.shape[3]))
        return out

    def _first_real_if_all_inf(self, out, arg, geom):
        """Windows whose real pixels are all -inf: PyTorch names the first real pixel (the
        running max starts at -inf and nothing beats it), not a padding pixel."""
        xp = self.xp
        empty = out == -xp.inf
        if not empty.any():
            return
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
        xp = self.xp
        geom, arg = self.geom, self.arg
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = (
            geom.kernel,
            geom.stride,
            geom.dilation,
            geom.out_hw,
        )
        n, c, h, w = self.x_shape
        pt, _, pl, _ = geom.pads
        dxp = xp.zeros(self.pad_shape, dtype=grad.dtype)
        zero = xp.zeros((), dtype=grad.dtype)
        for k in range(kh * kw):
            i, j = divmod(k, kw)
            sl = (
                slice(None),
                slice(None),
                offset_slice(i, dh, sh, ho),
                offset_slice(j, dw, sw, wo),
            )
            dxp[sl] += xp.where(arg == k, grad, zero)
        return dxp[:, :, pt : pt + h, pl : pl + w]


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
    out = MaxPool2d.apply(x, geom, sink)
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
        (kh, kw), (ho, wo) = geom.kernel, geom.out_hw
        self.geom, self.divisor, self.x_shape = geom, divisor, x.shape
        n, c = x.shape[:2]
        if geom.tiles:
            total = x.reshape(n, c, ho, kh, wo, kw).sum(axis=(3, 5))
        else:
            xpad = pad2d(xp, x, geom.pads)
            self.pad_shape = xpad.shape
            win = windows(xp, xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw)
            total = win[:, :, 0, 0].copy()
            for k in range(1, kh * kw):
                total += win[:, :, k // kw, k % kw]
        total /= divisor
        return total

    def backward(self, grad):
        xp = self.xp
        geom = self.geom
        (kh, kw), (sh, sw), (ho, wo) = geom.kernel, geom.stride, geom.out_hw
        n, c, h, w = self.x_shape
        g = grad / self.divisor
        if geom.tiles:
            g6 = xp.broadcast_to(g.reshape(n, c, ho, 1, wo, 1), (n, c, ho, kh, wo, kw))
            return g6.reshape(self.x_shape)
        pt, _, pl, _ = geom.pads
        dxp = xp.zeros(self.pad_shape, dtype=grad.dtype)
        for i in range(kh):
            rows = offset_slice(i, 1, sh, ho)
            for j in range(kw):
                dxp[:, :, rows, offset_slice(j, 1, sw, wo)] += g
        return dxp[:, :, pt : pt + h, pl : pl + w]


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
    """out = A_h @ x @ A_w^T with the averaging matrices ``A`` (or a reshape-mean when the
    windows tile the input); backward ``A_h^T @ g @ A_w``."""

    def forward(self, x, out_hw):
        xp = self.xp
        n, c, h, w = x.shape
        ho, wo = out_hw
        self.x_shape = x.shape
        if h % ho == 0 and w % wo == 0:  # equal windows that tile the input
            self.mats = None
            return x.reshape(n, c, ho, h // ho, wo, w // wo).mean(axis=(3, 5))
        self.mats = a_h, a_w = self._matrix(h, ho, x.dtype), self._matrix(w, wo, x.dtype)
        return xp.matmul(xp.matmul(a_h, x), a_w.T)

    def _matrix(self, size, n_out, dtype):
        xp = self.xp
        start, end = _adaptive_windows(xp, size, n_out)
        r = xp.arange(size)
        inside = (r[None, :] >= start[:, None]) & (r[None, :] < end[:, None])
        return (inside / (end - start)[:, None]).astype(dtype)

    def backward(self, grad):
        xp = self.xp
        n, c, h, w = self.x_shape
        ho, wo = grad.shape[2:]
        if self.mats is None:
            kh, kw = h // ho, w // wo
            g = grad / (kh * kw)
            g6 = xp.broadcast_to(g.reshape(n, c, ho, 1, wo, 1), (n, c, ho, kh, wo, kw))
            return g6.reshape(self.x_shape)
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
    as in :class:`MaxPool2d`."""

    def forward(self, x, out_hw, indices_out=None):
        xp = self.xp
        n, c, h, w = x.shape
        ho, wo = out_hw
        sh, eh = _adaptive_windows(xp, h, ho)
        sw, ew = _adaptive_windows(xp, w, wo)
        out = idx = None
        for a in range(int((eh - sh).max())):
            rows = xp.minimum(sh + a, eh - 1)  # a short window repeats its last row
            for b in range(int((ew - sw).max())):
                cols = xp.minimum(sw + b, ew - 1)
                s = x[:, :, rows[:, None], cols[None, :]]  # (N, C, Ho, Wo)
                pos = rows[:, None] * w + cols[None, :]  # (Ho, Wo)
                if out is None:
                    out = s
                    idx = xp.broadcast_to(pos, s.shape).astype(xp.int64)
                    continue
                upd = (s > out) | xp.isnan(s)
                xp.copyto(out, s, where=upd)
                xp.copyto(idx, xp.broadcast_to(pos, s.shape), where=upd)
        self.idx, self.x_shape = idx, x.shape
        if indices_out is not None:
            indices_out.append(idx)
        return out

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
