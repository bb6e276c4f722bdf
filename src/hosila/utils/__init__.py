"""``hosila.utils``: process-level helpers, and ``hosila.utils.data`` (as ``torch.utils.data``).

``hosila.utils.data`` holds the data-set classes and the DataLoader of :mod:`hosila.data`
under PyTorch's names, so ``from hosila.utils.data import DataLoader, TensorDataset`` works as
``from torch.utils.data import ...`` does; it is imported on first use.

Process-level helpers that make hosila faster but change global state (opt-in):

``retain_freed_memory()`` tells the C allocator (glibc's malloc) to keep memory that NumPy
frees and hand it back for the next array, instead of returning it to the operating system.

Why it matters: a training step of a CNN allocates and frees the same large arrays every
step (the im2col matrix of a 64->64 3x3 convolution on a batch of 64 is 160 MB). By default
glibc serves every block over a threshold (128 KiB, adapting up to 32 MiB) with a fresh
``mmap`` and unmaps it on ``free``, so each step the kernel maps, zero-fills and page-faults
those megabytes in again - one fault per 4 KiB page. With the memory kept in the heap, the
next step reuses pages that are already mapped. Measured (``benchmarks/train_epoch.py``,
one thread): a ``vgg_bn`` training step takes about a third less time.

The trade-off: memory freed by hosila stays with the process (its resident size stays at its
peak instead of shrinking between steps), and long-lived processes that allocate many
differently sized large arrays can fragment the heap. For a training run, whose step
allocates the same sizes each time, the peak is about the same (see
``docs/benchmarks/train.md``). It is therefore not done at import: ``hosila train`` and the
benchmarks call it; call it yourself in your own training scripts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import sys
from types import ModuleType

__all__ = ["data", "retain_freed_memory"]


def __getattr__(name: str) -> ModuleType:
    """``hosila.utils.data``, imported on first use (PEP 562)."""
    if name == "data":
        return importlib.import_module("hosila.utils.data")
    raise AttributeError(f"module 'hosila.utils' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | {"data"})


# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_MAX = -4


def retain_freed_memory(enabled: bool = True) -> bool:
    """Keep freed large blocks in the process heap for reuse (glibc only; see the module doc).

    Args:
        enabled: True: serve large allocations from the heap (``mallopt(M_MMAP_MAX, 0)``) and
            give the heap's top back to the system only past 2 GiB free (``M_TRIM_THRESHOLD``),
            growing it 64 MiB at a time. False: set glibc's documented default values back
            (65536 mmapped blocks, trim threshold 128 KiB, top pad 128 KiB; glibc's own
            adjustment of the mmap threshold stays off once any of them has been set).

    Returns:
        True if the allocator was changed; False where it cannot be (not Linux with glibc,
        e.g. macOS, Windows or musl), in which case nothing happens.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"retain_freed_memory: enabled must be a bool, got {enabled!r}")
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # glibc only: musl's mallopt does nothing
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    if enabled:
        settings = ((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, 2**31 - 1), (_M_TOP_PAD, 64 << 20))
    else:
        settings = ((_M_MMAP_MAX, 65536), (_M_TRIM_THRESHOLD, 128 << 10), (_M_TOP_PAD, 128 << 10))
    return all(mallopt(param, value) == 1 for param, value in settings)
