"""``Conv2d``: the convolutional layer; the math is ``hosila.ops.conv.conv2d`` (im2col)."""

from __future__ import annotations

import math
from typing import Any

from hosila.nn import functional as F
from hosila.nn import init
from hosila.nn.module import Module
from hosila.nn.parameter import Parameter
from hosila.ops.conv import conv_padding, pair
from hosila.tensor import Tensor, empty, get_default_dtype

__all__ = ["Conv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(Module):
    """2-D convolution over (N, C_in, H, W) or (C_in, H, W) input → (N, C_out, H_out, W_out).

    ``weight``: (out_channels, in_channels / groups, kH, kW); ``bias``: (out_channels,).
    ``padding``: int, (pH, pW), "valid" or "same"; ``padding_mode``: "zeros" (default),
    "reflect", "replicate" or "circular". Initialised as in PyTorch: kaiming_uniform(a=√5)
    weights, i.e. U(−1/√fan_in, 1/√fan_in) with fan_in = in_channels / groups · kH · kW, and the
    bias from the same range.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if device not in (None, "cpu"):
            raise ValueError(f"Conv2d: only device='cpu' is supported, got {device!r}")
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {v!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"Conv2d: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError("Conv2d: in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("Conv2d: out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"Conv2d: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = pair(stride, "stride", "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError("Conv2d: kernel_size, stride and dilation must be positive")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Conv2d: invalid padding string {padding!r}, should be one of "
                    f"{{'valid', 'same'}}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = pair(padding, "padding", "Conv2d")
            if min(self.padding) < 0:
                raise ValueError(f"Conv2d: padding must be non-negative, got {padding!r}")
        self._pads = conv_padding(self.padding, self.kernel_size, self.stride, self.dilation)
        self.groups = groups
        self.padding_mode = padding_mode
        self.output_padding = (0, 0)
        self.transposed = False
        d = get_default_dtype() if dtype is None else dtype
        kh, kw = self.kernel_size
        self.weight = Parameter(empty(out_channels, in_channels // groups, kh, kw, dtype=d))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=d))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: input must be a hosila Tensor, got {type(input).__name__}")
        c = self.in_channels
        if input.ndim not in (3, 4) or input.shape[-3] != c:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {c}, H, W) or ({c}, H, W), "
                f"got {input.ndim}-D input of shape {input.shape}"
            )
        if self.padding_mode != "zeros":
            top, bottom, left, right = self._pads
            x = F.pad(input, (left, right, top, bottom), mode=self.padding_mode)
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
