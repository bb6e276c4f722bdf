"""Test-wide settings.

Hypothesis draws its examples from a fixed seed (``derandomize=True``) so that a CI run is
repeatable: a property test that passes here passes on every machine. To explore new random
examples locally, run with ``HOSILA_HYPOTHESIS=explore``.
"""

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(
    "explore" if os.environ.get("HOSILA_HYPOTHESIS") == "explore" else "repeatable"
)
