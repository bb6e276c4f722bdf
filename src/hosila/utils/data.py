"""``hosila.utils.data``: PyTorch's ``torch.utils.data`` names for hosila's data pipeline.

The same objects as in :mod:`hosila.data` (not copies), so that code written for PyTorch,
``from torch.utils.data import DataLoader, TensorDataset, random_split``, runs with
``from hosila.utils.data import ...``:

* :class:`Dataset` (map-style: ``__len__`` and ``__getitem__``), :class:`TensorDataset`
  (tensors sharing their first dimension N, example i is ``(t[i] for t in tensors)``),
  :class:`Subset`, :class:`ConcatDataset`, :func:`random_split`;
* :class:`DataLoader` (batches ``(B, ...)``), :func:`default_collate`;
* :class:`ArrayDataset`, hosila's own array-backed data set with batch transforms.

PyTorch's samplers, ``IterableDataset`` and worker processes are not part of hosila; see
``docs/data.md`` for the DataLoader arguments that are accepted.
"""

from __future__ import annotations

from hosila.data.dataloader import DataLoader, default_collate
from hosila.data.dataset import (
    ArrayDataset,
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
)

__all__ = [
    "ArrayDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
