"""Dropout (Srivastava et al. 2014), inverted: scaled at training time, identity in eval."""

from __future__ import annotations

from hosila.nn import functional as F
from hosila.nn.module import Module
from hosila.tensor import Tensor

__all__ = ["Dropout", "Dropout2d"]


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode and scale the others by
    1 / (1 − p), so the expected output equals the input; the identity after ``eval()``.
    Any shape. Masks come from hosila's generator (``hosila.manual_seed``)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training mode (and
    scale the others by 1 / (1 − p)); the identity after ``eval()``."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training)
