"""Normalisation layers: batch norm (Ioffe & Szegedy 2015), layer norm (Ba et al. 2016) and
group norm (Wu & He 2018). Parameter and buffer names are PyTorch's (``weight``, ``bias``,
``running_mean``, ``running_var``, ``num_batches_tracked``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hosila.nn import functional as F
from hosila.nn import init
from hosila.nn.module import Module
from hosila.nn.parameter import Parameter
from hosila.tensor import Tensor, get_default_dtype, ones, tensor, zeros

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


def _dtype(dtype: Any, device: Any, layer: str) -> Any:
    if device not in (None, "cpu"):
        raise ValueError(f"{layer}: only device='cpu' is supported, got {device!r}")
    return get_default_dtype() if dtype is None else dtype


def _register_affine(
    module: Module, shape: tuple[int, ...], affine: bool, bias: bool, d: Any
) -> None:
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``, or None where not wanted
    (``affine=False``: neither; ``bias=False``: no bias), in PyTorch's order."""
    weight = Parameter(ones(*shape, dtype=d)) if affine else None
    module.register_parameter("weight", weight)
    b = Parameter(zeros(*shape, dtype=d)) if affine and bias else None
    module.register_parameter("bias", b)


def _reset_affine(module: Module) -> None:
    """Weight 1, bias 0 (PyTorch's defaults for every normalisation layer)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    _optional_state = ("num_batches_tracked",)
    _expected_dims: tuple[int, ...] = ()
    _shape_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        d = _dtype(dtype, device, name)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.use_bias = bias and affine
        _register_affine(self, (num_features,), affine, bias, d)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=d))
            self.register_buffer("running_var", ones(num_features, dtype=d))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics reset; weight 1, bias 0 (PyTorch's defaults)."""
        self.reset_running_stats()
        _reset_affine(self)

    def _check_input(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self!r}: input must be a hosila Tensor, got {type(x).__name__}")
        if x.ndim not in self._expected_dims:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected "
                f"{' or '.join(f'{d}D' for d in self._expected_dims)} input "
                f"{self._shape_text}, got {x.ndim}D input of shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected {self.num_features} "
                f"channels in dim 1 of the input {self._shape_text}, got {x.shape[1]} "
                f"(input shape {x.shape})"
            )
        return x

    def forward(self, input: Tensor) -> Tensor:
        x = self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_buffers = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if use_buffers else None,
            self.running_var if use_buffers else None,
            self.weight,
            self.bias,
            bn_training,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.use_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input: statistics per channel C over N (and L)."""

    _expected_dims = (2, 3)
    _shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input: statistics per channel C over N, H and W."""

    _expected_dims = (4,)
    _shape_text = "(N, C, H, W)"


class LayerNorm(Module):
    """Normalise each sample over its last dims ``normalized_shape`` (input (*, *normalized_shape));
    ``weight`` ones and ``bias`` zeros of that shape when ``elementwise_affine``."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        d = _dtype(dtype, device, "LayerNorm")
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, d)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: input must be a hosila Tensor, got {type(input).__name__}")
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k :]) != self.normalized_shape:
            dims = ", ".join(map(str, self.normalized_shape))
            raise ValueError(f"{self!r}: expected input of shape (*, {dims}), got {input.shape}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise each sample's channels in ``num_groups`` groups; input (N, C, *), C =
    ``num_channels`` divisible by ``num_groups``; per-channel ``weight``/``bias``."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}"
            )
        d = _dtype(dtype, device, "GroupNorm")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, d)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: input must be a hosila Tensor, got {type(input).__name__}")
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.num_channels}, *), got {input.shape}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
