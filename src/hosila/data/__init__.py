"""hosila.data: data sets, the DataLoader and transforms.

* :class:`Dataset`, :class:`ArrayDataset`, :class:`TensorDataset`, :class:`Subset`,
  :class:`ConcatDataset`, :func:`random_split`;
* :class:`DataLoader` (batched fast path for array-backed data sets, optional prefetch);
* :mod:`hosila.data.transforms` (ToTensor, Normalize, SubtractMean, RandomCrop,
  RandomHorizontalFlip, ColorJitter, ...);
* data sets: :class:`CIFAR10`, :class:`CIFAR100`, :class:`MNIST`, :class:`FashionMNIST`
  (official files), :class:`ImageFolder` (one folder per class, cached decoding;
  :func:`decode_image` decodes one file the same way) and
  :class:`Digits` (8×8 digits shipped with hosila);
* toy 2-D problems: :func:`make_moons`, :func:`make_spiral`, :func:`make_blobs`.

A file that is not a valid, harmless pickle raises :class:`UnsafePickleError` (a
``ValueError``).

See ``docs/data.md`` for the expected file layouts and examples.
"""

from hosila.data import transforms
from hosila.data._files import UnsafePickleError
from hosila.data.cifar import CIFAR10, CIFAR100
from hosila.data.dataloader import DataLoader, default_collate
from hosila.data.dataset import (
    ArrayDataset,
    ConcatDataset,
    Dataset,
    Subset,
    TensorDataset,
    random_split,
)
from hosila.data.digits import Digits
from hosila.data.folder import ImageFolder, decode_image
from hosila.data.mnist import MNIST, FashionMNIST
from hosila.data.toy import make_blobs, make_moons, make_spiral

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "MNIST",
    "ArrayDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Digits",
    "FashionMNIST",
    "ImageFolder",
    "Subset",
    "TensorDataset",
    "UnsafePickleError",
    "decode_image",
    "default_collate",
    "make_blobs",
    "make_moons",
    "make_spiral",
    "random_split",
    "transforms",
]
