"""The one random-number generator behind hosila's random creation, initialisation and dropout.

``hosila.manual_seed(seed)`` re-seeds it, so a script that calls it once at the start draws
the same numbers on every run (like ``torch.manual_seed``; the numbers themselves differ from
PyTorch's, which uses another generator).
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed hosila's global generator with ``seed`` (an int ≥ 0) and return it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be >= 0, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """Return hosila's global ``numpy.random.Generator`` (the one ``manual_seed`` seeds)."""
    return _generator


def get_rng_state() -> dict:
    """Return the global generator's state (a JSON-friendly dict), for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore the global generator's state saved by :func:`get_rng_state`."""
    _generator.bit_generator.state = state
