"""DataLoader takes every argument of torch.utils.data.DataLoader: the meaningful ones work as
in PyTorch (samplers, timeout, worker_init_fn, prefetch_factor), the GPU/process ones are
documented no-ops, and the combinations PyTorch refuses are refused here too."""

from __future__ import annotations

import inspect
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import hosila
from hosila.data import DataLoader, Dataset, TensorDataset

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10, dtype=np.int64)


def both():
    """The same data set in hosila and in PyTorch."""
    return (
        TensorDataset(hosila.tensor(X), hosila.tensor(Y)),
        tud.TensorDataset(torch.tensor(X), torch.tensor(Y)),
    )


def batches(loader):
    out = []
    for xb, yb in loader:
        xb = xb.data if isinstance(xb, hosila.Tensor) else xb.numpy()
        yb = yb.data if isinstance(yb, hosila.Tensor) else yb.numpy()
        out.append((xb.tolist(), yb.tolist()))
    return out


def test_every_torch_argument_is_accepted_by_name():
    torch_params = set(inspect.signature(tud.DataLoader.__init__).parameters) - {"self"}
    ours = set(inspect.signature(DataLoader.__init__).parameters)
    assert torch_params <= ours, torch_params - ours


def test_positional_order_is_torchs():
    """DataLoader(ds, 32, True, sampler, ...) means the same in both libraries."""

    def positional(cls):
        params = inspect.signature(cls.__init__).parameters.values()
        return [
            p.name
            for p in params
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "self"
        ]

    assert positional(DataLoader) == positional(tud.DataLoader)


def test_torch_defaults_passed_explicitly_change_nothing():
    ds, _ = both()
    defaults = {
        name: p.default
        for name, p in inspect.signature(tud.DataLoader.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty and name != "generator"
    }
    defaults["shuffle"] = False  # PyTorch's None means False
    plain = batches(DataLoader(ds, batch_size=3))
    assert batches(DataLoader(ds, **{**defaults, "batch_size": 3})) == plain


def test_pin_memory_and_friends_are_no_ops():
    ds, _ = both()
    plain = batches(DataLoader(ds, batch_size=4, seed=0, shuffle=True))
    pinned = DataLoader(
        ds,
        batch_size=4,
        seed=0,
        shuffle=True,
        pin_memory=True,
        pin_memory_device="cuda",
        num_workers=2,
        persistent_workers=True,
        in_order=False,
    )
    assert batches(pinned) == plain
    assert pinned.pin_memory is True


@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_gives_the_order_as_in_torch(drop_last):
    ds, tds = both()
    order = [7, 2, 9, 2, 0]
    h = DataLoader(ds, batch_size=2, sampler=order, drop_last=drop_last)
    t = tud.DataLoader(tds, batch_size=2, sampler=order, drop_last=drop_last)
    assert batches(h) == batches(t) and len(h) == len(t)
    rs = tud.SubsetRandomSampler([1, 3, 5], generator=torch.Generator().manual_seed(0))
    seen = sorted(y for _, ys in batches(DataLoader(ds, batch_size=2, sampler=rs)) for y in ys)
    assert seen == [1, 3, 5]


def test_batch_sampler_gives_the_batches_as_in_torch():
    ds, tds = both()
    groups = [[0, 1, 2], [9], [4, 4]]
    h = DataLoader(ds, batch_sampler=groups)
    t = tud.DataLoader(tds, batch_sampler=groups)
    assert batches(h) == batches(t) and len(h) == len(t) == 3
    bs = tud.BatchSampler(tud.SequentialSampler(range(10)), batch_size=4, drop_last=False)
    assert batches(DataLoader(ds, batch_sampler=bs)) == batches(
        tud.DataLoader(tds, batch_sampler=bs)
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_sampler": [[0]], "sampler": [0]},
        {"persistent_workers": True},
        {"prefetch_factor": 2},
        {"timeout": -1},
    ],
)
def test_what_torch_refuses_is_refused(kwargs):
    ds, tds = both()
    with pytest.raises(ValueError):
        tud.DataLoader(tds, **kwargs)
    with pytest.raises(ValueError):
        DataLoader(ds, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"multiprocessing_context": "spawn"}, ValueError, "not in worker processes"),
        ({"pin_memory": "yes"}, TypeError, "pin_memory must be a bool"),
        ({"persistent_workers": 1}, TypeError, "persistent_workers must be a bool"),
        ({"pin_memory_device": 0}, TypeError, "pin_memory_device must be a str"),
        ({"timeout": "5"}, TypeError, "timeout must be a number"),
        ({"worker_init_fn": 3}, TypeError, "worker_init_fn must be callable"),
        ({"num_workers": 1, "prefetch_factor": 1.5}, TypeError, "prefetch_factor must be an int"),
        ({"generator": torch.Generator()}, TypeError, "torch.Generator"),
        ({"sampler": 5}, TypeError, "sampler must be an iterable"),
        ({"batch_sampler": 5}, TypeError, "batch_sampler must be an iterable"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, says):
    ds, _ = both()
    with pytest.raises(error, match=says):
        DataLoader(ds, **kwargs)


def test_sampler_indices_are_checked():
    ds, _ = both()
    with pytest.raises(IndexError, match="sampler gave the index 10"):
        list(DataLoader(ds, sampler=[0, 10]))
    with pytest.raises(TypeError, match="integer indices"):
        list(DataLoader(ds, batch_sampler=[[0.5]]))


def test_prefetch_factor_sets_the_depth():
    ds, _ = both()
    loader = DataLoader(ds, batch_size=2, num_workers=2, prefetch_factor=3)
    assert loader.prefetch == 6
    assert batches(loader) == batches(DataLoader(ds, batch_size=2))


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(0.3)
        return np.float32(i)


def test_timeout_is_a_runtime_error_as_in_torch():
    loader = DataLoader(Slow(), batch_size=2, num_workers=1, timeout=0.05)
    with pytest.raises(RuntimeError, match=r"timed out after 0.05 seconds"):
        list(loader)
    assert [b.tolist() for b in DataLoader(Slow(), batch_size=2, num_workers=1, timeout=5)] == [
        [0.0, 1.0],
        [2.0, 3.0],
    ]


def test_worker_init_fn_runs_in_the_loading_thread_each_epoch():
    import threading

    ds, _ = both()
    calls = []

    def init(worker_id):
        calls.append((worker_id, threading.current_thread().name))

    loader = DataLoader(ds, batch_size=5, num_workers=1, worker_init_fn=init)
    for _ in range(2):
        assert len(list(loader)) == 2
    assert calls == [(0, "hosila-prefetch")] * 2
    calls.clear()
    list(DataLoader(ds, batch_size=5, worker_init_fn=init))  # no thread: like num_workers=0
    assert calls == []
