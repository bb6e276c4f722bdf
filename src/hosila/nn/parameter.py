"""``Parameter``: a tensor that a Module registers as a learnable weight."""

from __future__ import annotations

from typing import Any

from hosila.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and that ``Module`` collects.

    ``Parameter(tensor_or_array, requires_grad=True)`` shares the data of a Tensor it is given
    (as PyTorch does) and copies anything else.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        if isinstance(data, Tensor):
            self._init(0.0, None, False)
            self.data = data.data
        else:
            self._init(data, None, False)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
