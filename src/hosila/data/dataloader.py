"""DataLoader: iterate over a data set in (shuffled) mini-batches of hosila Tensors.

For data sets held in arrays (anything with ``_get_batch``, e.g.
:class:`~hosila.data.ArrayDataset`, :class:`~hosila.data.TensorDataset`, a
:class:`~hosila.data.Subset` of one) a batch is gathered with one fancy index and the
transforms run on the whole batch; other data sets are read example by example and
collated (stacked) field by field.

Randomness: each epoch draws, from the loader's generator, the shuffling permutation and
one augmentation seed; batch ``b`` then gets its own generator seeded with
``(augmentation seed, b)``, which the batch transforms use. So a loader built with
``seed=0`` (or after ``hosila.manual_seed(0)``) gives the same batches on every run, and
``prefetch`` (which builds the next batches in a background thread) changes nothing but
speed.
"""

from __future__ import annotations

import math
import numbers
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from hosila.data._util import as_array, resolve_generator

_END = object()


def default_collate(items: Sequence[Any]) -> Any:
    """Stack a list of examples into a batch, field by field.

    Arrays and Tensors of one shape (S) → an array (B, *S); Python ints → int64 (B,);
    floats → float64 (B,) (as PyTorch); bools → bool (B,); NumPy scalars keep their
    dtype; tuples, lists and dicts are collated per field; strings are gathered into a
    list.
    """
    if len(items) == 0:
        raise ValueError("cannot collate an empty list of examples")
    first = items[0]
    if isinstance(first, (tuple, list)):
        n = len(first)
        if any(not isinstance(it, (tuple, list)) or len(it) != n for it in items):
            raise ValueError(f"all examples must be sequences of {n} fields to collate them")
        return tuple(default_collate([it[k] for it in items]) for k in range(n))
    if isinstance(first, dict):
        return {k: default_collate([it[k] for it in items]) for k in first}
    if isinstance(first, str):
        return list(items)
    if isinstance(first, np.generic):  # NumPy scalars keep their dtype
        return np.asarray(items, dtype=first.dtype)
    if isinstance(first, bool):
        return np.asarray(items, dtype=np.bool_)
    if isinstance(first, numbers.Integral):
        return np.asarray(items, dtype=np.int64)
    if isinstance(first, numbers.Real) and not isinstance(first, np.ndarray):
        return np.asarray(items, dtype=np.float64)
    arrays = [as_array(it) for it in items]
    if first is None or arrays[0].dtype == object:
        raise TypeError(f"cannot collate examples of type {type(first).__name__}")
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            raise ValueError(
                f"cannot stack examples of different shapes {shape} and {a.shape}; make "
                f"them one size with a transform (e.g. RandomCrop) or pass collate_fn"
            )
    return np.stack(arrays)


def _to_tensor(array: np.ndarray) -> Any:
    """Wrap a freshly made batch array in a hosila Tensor, sharing its memory (the one
    place where the loader meets the tensor engine)."""
    try:
        from hosila import from_numpy
    except ImportError:  # the tensor engine is not there (yet): hand out the array
        return array
    return from_numpy(np.ascontiguousarray(array))


def _to_tensors(batch: Any) -> Any:
    """Every NumPy array in a collated batch, wrapped as a hosila Tensor."""
    if isinstance(batch, np.ndarray):
        return _to_tensor(batch)
    if isinstance(batch, tuple):
        return tuple(_to_tensors(b) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_tensors(v) for k, v in batch.items()}
    return batch


class DataLoader:
    """Mini-batches over a data set.

    Args:
        dataset: a map-style data set (``len(dataset)``, ``dataset[i]``).
        batch_size: examples per batch.
        shuffle: visit the examples in a new random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for shuffling and augmentation.
        seed: make the loader its own generator from this seed (instead of
            ``generator``). With neither, hosila's global generator is used
            (``hosila.manual_seed``).
        prefetch: how many batches a background thread prepares ahead (0: none,
            ``True``: 1). NumPy releases the GIL in its copying and arithmetic, so
            loading overlaps with the training step.
        collate_fn: builds a batch from a list of examples (default
            :func:`default_collate`); giving it turns off the batched fast path.
        num_workers: accepted for PyTorch compatibility; ``n > 0`` means
            ``prefetch=n`` (hosila loads in one background thread, not in worker
            processes: with the batched fast path, NumPy does the work).
        sampler: as PyTorch's: an iterable with ``len`` of example indices, iterated
            once per epoch, giving the order of the examples (not with ``shuffle``).
        batch_sampler: as PyTorch's: an iterable with ``len`` of lists of indices, one
            list per batch (not with ``batch_size``, ``shuffle``, ``sampler`` or
            ``drop_last``).
        prefetch_factor: as PyTorch's, batches loaded ahead per worker: with
            ``num_workers > 0`` (else a ValueError, as in PyTorch) the background thread
            keeps ``num_workers * prefetch_factor`` batches ready.
        timeout: seconds to wait for a batch from the background thread (0: forever);
            past it a RuntimeError, as in PyTorch. Without a background thread (no
            ``num_workers``/``prefetch``) it has nothing to wait for.
        worker_init_fn: called as ``worker_init_fn(0)`` in the background thread before
            it loads each epoch's first batch (there is one "worker"); like PyTorch with
            ``num_workers=0``, not called without a background thread.
        pin_memory, pin_memory_device, persistent_workers, in_order: accepted so that
            PyTorch code runs unchanged, and no-ops here: pinned memory only speeds up
            copies to a GPU (hosila's batches are NumPy arrays in ordinary memory), the
            background thread is started per epoch, and batches always come in order.
            ``persistent_workers=True`` needs ``num_workers > 0``, as in PyTorch.
        multiprocessing_context: must be None (there are no worker processes).

    Iterating yields tuples ``(images, labels)`` (one entry per field of an example) of
    hosila Tensors, e.g. images ``(B, C, H, W)`` float32 and labels ``(B,)`` int64.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
        batch_sampler: Iterable[Sequence[int]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: np.random.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
        prefetch: int | bool = 0,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"dataset must define __len__ and __getitem__, got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        depth = 1 if prefetch is True else int(prefetch)
        if depth < 0:
            raise ValueError(f"prefetch must be >= 0, got {prefetch}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral):
            raise TypeError(f"num_workers must be an int, got {type(num_workers).__name__}")
        if num_workers < 0:
            raise ValueError(f"num_workers must be >= 0, got {num_workers}")
        depth = max(depth, int(num_workers))
        if prefetch_factor is not None:
            if isinstance(prefetch_factor, bool) or not isinstance(
                prefetch_factor, numbers.Integral
            ):
                raise TypeError(
                    f"prefetch_factor must be an int or None, got {type(prefetch_factor).__name__}"
                )
            if num_workers == 0:
                raise ValueError(
                    "prefetch_factor is for num_workers > 0 (as in PyTorch); set num_workers, "
                    "or use prefetch=N to load N batches ahead in a background thread"
                )
            if prefetch_factor < 0:
                raise ValueError(f"prefetch_factor must be >= 0, got {prefetch_factor}")
            depth = max(depth, int(num_workers) * int(prefetch_factor))
        for name, flag in (
            ("pin_memory", pin_memory),
            ("persistent_workers", persistent_workers),
            ("in_order", in_order),
        ):
            if not isinstance(flag, bool | np.bool_):
                raise TypeError(f"{name} must be a bool, got {flag!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers=True needs num_workers > 0 (as in PyTorch)")
        if not isinstance(pin_memory_device, str):
            raise TypeError(
                f"pin_memory_device must be a str, got {type(pin_memory_device).__name__}"
            )
        if multiprocessing_context is not None:
            raise ValueError(
                "multiprocessing_context must be None: hosila's DataLoader loads in one "
                "background thread, not in worker processes"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
            raise TypeError(f"timeout must be a number of seconds, got {timeout!r}")
        if not timeout >= 0:
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(
                f"worker_init_fn must be callable or None, got {type(worker_init_fn).__name__}"
            )
        if generator is not None and hasattr(generator, "manual_seed"):
            raise TypeError(
                "generator must be a numpy.random.Generator, got a torch.Generator; pass "
                "generator=numpy.random.default_rng(seed) or seed=seed"
            )
        if sampler is not None:
            if shuffle:
                raise ValueError("sampler is mutually exclusive with shuffle (as in PyTorch)")
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(
                    f"sampler must be an iterable of indices with a length, got "
                    f"{type(sampler).__name__}"
                )
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler is mutually exclusive with batch_size, shuffle, sampler and "
                    "drop_last (as in PyTorch)"
                )
            if not (hasattr(batch_sampler, "__iter__") and hasattr(batch_sampler, "__len__")):
                raise TypeError(
                    f"batch_sampler must be an iterable of index lists with a length, got "
                    f"{type(batch_sampler).__name__}"
                )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {type(collate_fn).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.prefetch = depth
        self.collate_fn = collate_fn
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.pin_memory = bool(pin_memory)  # no-op: there is no GPU to copy to
        self.pin_memory_device = pin_memory_device
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        # With neither generator nor seed the global generator is looked up at every
        # epoch, so that hosila.manual_seed() after building the loader still applies.
        self._generator = (
            resolve_generator(generator, seed)
            if generator is not None or seed is not None
            else None
        )

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _fetch(self, indices: np.ndarray, aug_seed: int, b: int) -> Any:
        """Batch ``b`` of this epoch: the examples at ``indices``."""
        gen = np.random.default_rng([aug_seed, b])
        get_batch = getattr(self.dataset, "_get_batch", None)
        if get_batch is not None and self.collate_fn is None:
            batch = tuple(as_array(field) for field in get_batch(indices, gen))
        else:
            items = [self.dataset[int(i)] for i in indices]
            batch = (self.collate_fn or default_collate)(items)
        return _to_tensors(batch)

    def __iter__(self) -> Iterator[Any]:
        rng = self._generator if self._generator is not None else resolve_generator()
        n = len(self.dataset)
        if self.batch_sampler is not None:
            batches = [self._indices(b, "batch_sampler") for b in self.batch_sampler]
        else:
            if self.sampler is not None:
                order = self._indices(list(self.sampler), "sampler")
            else:
                order = rng.permutation(n) if self.shuffle else np.arange(n)
            stops = range(0, len(self) * self.batch_size, self.batch_size)
            batches = [order[s : s + self.batch_size] for s in stops]
        aug_seed = int(rng.integers(2**63 - 1))
        jobs = [(indices, aug_seed, b) for b, indices in enumerate(batches)]
        if self.prefetch == 0:
            return (self._fetch(*job) for job in jobs)
        return self._prefetching(jobs)

    def _indices(self, indices: Any, source: str) -> np.ndarray:
        """The example indices that ``source`` (a sampler) gave, checked against the data set."""
        a = np.asarray(indices)
        if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
            raise TypeError(f"{source} must give integer indices, got {indices!r:.80}")
        a = a.astype(np.int64)
        n = len(self.dataset)
        if a.size and (a.min() < -n or a.max() >= n):
            raise IndexError(
                f"{source} gave the index {int(a[(a < -n) | (a >= n)][0])}, out of range for "
                f"a data set of {n} examples"
            )
        return a

    def _prefetching(self, jobs: list[tuple[np.ndarray, int, int]]) -> Iterator[Any]:
        """Yield the batches of ``jobs`` while a thread builds the next ones."""
        q: queue.Queue[Any] = queue.Queue(maxsize=self.prefetch)
        stop = threading.Event()

        def put(item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        def worker() -> None:
            try:
                if self.worker_init_fn is not None:
                    self.worker_init_fn(0)
                for job in jobs:
                    if stop.is_set() or not put((True, self._fetch(*job))):
                        return
            except BaseException as exc:  # handed to the consumer, raised there
                put((False, exc))
                return
            put(_END)

        thread = threading.Thread(target=worker, name="hosila-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                try:
                    item = q.get(timeout=self.timeout or None)
                except queue.Empty:
                    raise RuntimeError(
                        f"DataLoader timed out after {self.timeout:g} seconds waiting for a batch"
                    ) from None
                if item is _END:
                    return
                ok, value = item
                if not ok:
                    raise value
                yield value
        finally:
            stop.set()
            thread.join()

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
            f"prefetch={self.prefetch})"
        )
