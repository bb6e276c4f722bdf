"""``import hosila`` reaches every public subpackage lazily (PEP 562) and stays light; and
``hosila.utils.data`` gives torch.utils.data's names. Each check runs in a fresh interpreter,
so that what earlier tests imported does not hide a missing import."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np

import hosila

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
PACKAGE = os.path.join(SRC, "hosila")


def fresh(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": SRC, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def public_subpackages() -> list[str]:
    """Every folder of src/hosila that is a package and not private."""
    return sorted(
        name
        for name in os.listdir(PACKAGE)
        if not name.startswith("_") and os.path.isfile(os.path.join(PACKAGE, name, "__init__.py"))
    )


def test_every_public_subpackage_is_an_attribute_of_hosila():
    names = public_subpackages()
    assert {"classic", "data", "models", "train", "viz", "utils", "nn", "optim"} <= set(names)
    out = fresh(
        f"""
        import sys
        import hosila
        for name in {names!r}:
            module = getattr(hosila, name)
            assert module is sys.modules["hosila." + name], name
            assert name in dir(hosila), name
        print(hosila.data.CIFAR10.__name__, hosila.models.__name__, hosila.utils.data.__name__)
        """
    )
    assert out.split() == ["CIFAR10", "hosila.models", "hosila.utils.data"]


def test_import_hosila_stays_light():
    out = fresh(
        """
        import sys
        import hosila
        heavy = ["matplotlib", "PIL", "torch", "tqdm", "hosila.data", "hosila.viz",
                 "hosila.train", "hosila.models", "hosila.classic", "hosila.cli"]
        print(" ".join(m for m in heavy if m in sys.modules) or "none")
        hosila.viz  # reaching a subpackage imports it, and only then
        print("hosila.viz" in sys.modules)
        """
    )
    assert out.split() == ["none", "True"]


def test_unknown_attribute_is_still_an_attribute_error():
    out = fresh(
        """
        import hosila
        try:
            hosila.datas
        except AttributeError as e:
            print(e)
        print(hasattr(hosila, "_private"), hasattr(hosila.utils, "nope"))
        """
    )
    assert out.splitlines() == ["module 'hosila' has no attribute 'datas'", "False False"]


def test_hosila_utils_data_as_torch_utils_data():
    out = fresh(
        """
        from hosila.utils.data import DataLoader, TensorDataset, random_split
        import hosila.utils.data
        import hosila
        from hosila.utils import retain_freed_memory
        assert hosila.utils.data.DataLoader is DataLoader is hosila.data.DataLoader
        for name in ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
                     "default_collate", "ArrayDataset"]:
            assert getattr(hosila.utils.data, name) is getattr(hosila.data, name), name
        assert callable(retain_freed_memory) and "data" in dir(hosila.utils)
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_torch_style_data_pipeline_runs_unchanged():
    from hosila.utils.data import DataLoader, TensorDataset, random_split

    x = hosila.tensor(np.arange(20.0, dtype=np.float32).reshape(10, 2))
    y = hosila.tensor(np.arange(10))
    train, val = random_split(TensorDataset(x, y), [8, 2])
    loader = DataLoader(train, batch_size=4, shuffle=True, num_workers=0, pin_memory=True)
    seen = []
    for xb, yb in loader:
        assert xb.shape == (4, 2) and yb.shape == (4,)
        np.testing.assert_array_equal(xb.data[:, 0], 2 * yb.data)
        seen += yb.tolist()
    assert sorted(seen + [int(val[i][1]) for i in range(2)]) == list(range(10))
