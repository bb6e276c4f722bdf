"""hosila.utils.retain_freed_memory: glibc's malloc keeps large freed blocks in the heap."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import numpy as np
import pytest

from hosila.utils import retain_freed_memory


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]  # fmt: skip


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _MallInfo2
    return libc


def _mmapped_bytes_while_holding(nbytes: int) -> int:
    """Bytes glibc serves by mmap while a fresh ``nbytes`` array is alive."""
    libc = _glibc()
    a = np.ones(nbytes // 4, dtype=np.float32)
    held = libc.mallinfo2().hblkhd
    assert float(a.sum()) == nbytes // 4  # the memory is usable
    del a
    return held


def test_switches_large_blocks_from_mmap_to_heap_and_back():
    if _glibc() is None:
        assert retain_freed_memory() is False  # elsewhere a documented no-op
        return
    big = 48 << 20  # above glibc's largest dynamic mmap threshold (32 MiB)
    try:
        assert retain_freed_memory(False) is True
        assert _mmapped_bytes_while_holding(big) >= big
        assert retain_freed_memory() is True
        before = _glibc().mallinfo2().hblkhd
        assert _mmapped_bytes_while_holding(big) < before + big
    finally:
        retain_freed_memory(False)


def test_rejects_a_non_bool():
    with pytest.raises(TypeError, match="retain_freed_memory: enabled must be a bool"):
        retain_freed_memory(1)
