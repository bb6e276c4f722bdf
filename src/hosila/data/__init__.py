"""hosila.data: data sets, the DataLoader and transforms.

* :class:`Dataset`, :class:`ArrayDataset`, :class:`TensorDataset`, :class:`Subset`,
  :func:`random_split`;
* :class:`DataLoader` (batched fast path for array-backed data sets, optional prefetch);
* :mod:`hosila.data.transforms` (ToTensor, Normalize, RandomCrop, ...);
* data sets read from their official files: :class:`ImageFolder`.

See ``docs/data.md`` for the expected file layouts and examples.
"""

from hosila.data import transforms
from hosila.data.dataloader import DataLoader, default_collate
from hosila.data.dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from hosila.data.folder import ImageFolder

__all__ = [
    "ArrayDataset",
    "DataLoader",
    "Dataset",
    "ImageFolder",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    "transforms",
]
