"""The parity helper itself must catch a wrong forward and a wrong gradient."""

import numpy as np
import pytest

from tests.parity import check_parity


def test_parity_passes_on_matching_ops():
    x = np.random.default_rng(0).standard_normal((3, 4))
    check_parity(lambda lib, a: (a * a).sum(1), x)


def test_parity_catches_a_wrong_forward():
    x = np.random.default_rng(0).standard_normal((3, 4))
    with pytest.raises(AssertionError):
        check_parity(lambda lib, a: a * 2 if lib.__name__ == "hosila" else a * 3, x)


def test_parity_catches_a_wrong_gradient():
    x = np.random.default_rng(0).standard_normal((3, 4)) + 5

    def fn(lib, a):
        if lib.__name__ == "hosila":
            return a * a.detach()  # same value, half the gradient
        return a * a

    with pytest.raises(AssertionError, match="gradient"):
        check_parity(fn, x)
