"""Small helpers shared by the data modules: the random generator, arrays behind
Tensors, atomic file writing and the cache directory."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

# Used only while ``hosila.random`` is not available (the tensor engine provides it).
_FALLBACK_GENERATOR = np.random.default_rng()


def default_generator() -> np.random.Generator:
    """Return hosila's global generator (seeded by ``hosila.manual_seed``)."""
    try:
        from hosila.random import default_generator as _global
    except ImportError:
        return _FALLBACK_GENERATOR
    return _global()


def as_array(x: Any) -> np.ndarray:
    """The NumPy array behind ``x``: an ndarray itself, a hosila Tensor's ``.data``, or
    ``np.asarray(x)`` for anything else (numbers, lists)."""
    if isinstance(x, np.ndarray):
        return x
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(x)


def resolve_generator(
    generator: np.random.Generator | None = None, seed: int | None = None
) -> np.random.Generator:
    """The generator to use given an optional ``generator`` and an optional ``seed``."""
    if generator is not None and seed is not None:
        raise ValueError("give either generator= or seed=, not both")
    if generator is not None:
        if not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"generator must be a numpy.random.Generator, got {type(generator).__name__}"
            )
        return generator
    if seed is not None:
        return np.random.default_rng(seed)
    return default_generator()


def cache_home() -> Path:
    """hosila's cache directory: ``$HOSILA_CACHE_DIR``, else ``$XDG_CACHE_HOME/hosila``,
    else ``~/.cache/hosila``."""
    env = os.environ.get("HOSILA_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hosila"


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` for writing; on success it replaces
    ``path`` in one step (``os.replace``), on failure it is removed. Readers never see
    a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
