"""Dataset, TensorDataset, Subset, random_split, DataLoader and Digits."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hosila
from hosila.data import (
    ArrayDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    Digits,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from hosila.data import transforms as T


def arr(x):
    """The NumPy array of a loader output (a hosila Tensor once the engine is there)."""
    return x if isinstance(x, np.ndarray) else np.asarray(x.data)


def batches(loader):
    return [tuple(arr(f) for f in b) for b in loader]


def _images(n=23, seed=0):
    g = np.random.default_rng(seed)
    return g.integers(0, 256, size=(n, 6, 6, 3), dtype=np.uint8), g.integers(0, 5, size=n)


class ListDataset(Dataset):
    """A data set without the batched fast path."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_output_is_a_tensor_when_the_engine_is_there():
    x, y = next(iter(DataLoader(TensorDataset(np.zeros((4, 2), np.float32), np.arange(4)), 4)))
    if hasattr(hosila, "from_numpy"):
        assert isinstance(x, hosila.Tensor) and isinstance(y, hosila.Tensor)
    else:
        assert isinstance(x, np.ndarray)
    assert arr(x).shape == (4, 2) and arr(x).dtype == np.float32
    assert arr(y).dtype == np.int64


def test_batches_in_order_drop_last_and_len():
    x, y = _images()
    ds = TensorDataset(x, y)
    out = batches(DataLoader(ds, batch_size=5))
    assert len(DataLoader(ds, batch_size=5)) == 5 and len(out) == 5
    assert [b[0].shape[0] for b in out] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in out]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in out]), y)
    dropped = batches(DataLoader(ds, batch_size=5, drop_last=True))
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 4 and len(dropped) == 4
    assert all(b[0].shape[0] == 5 for b in dropped)
    assert len(batches(DataLoader(ds, batch_size=50, drop_last=True))) == 0


def test_shuffle_is_a_permutation_and_seeded():
    x, y = _images()
    ds = TensorDataset(np.arange(23), y)
    loader = DataLoader(ds, batch_size=4, shuffle=True, seed=3)
    epoch1 = np.concatenate([b[0] for b in batches(loader)])
    epoch2 = np.concatenate([b[0] for b in batches(loader)])
    assert sorted(epoch1) == list(range(23)) and sorted(epoch2) == list(range(23))
    assert not np.array_equal(epoch1, epoch2)  # a new order each epoch
    again = DataLoader(ds, batch_size=4, shuffle=True, seed=3)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches(again)]), epoch1)
    other = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches(other)]), epoch1)
    with pytest.raises(ValueError, match="not both"):
        DataLoader(ds, generator=np.random.default_rng(), seed=1)


def test_global_generator_makes_shuffling_reproducible():
    from hosila.data._util import default_generator

    ds = TensorDataset(np.arange(30))
    loader = DataLoader(ds, batch_size=30, shuffle=True)
    gen = default_generator()
    state = gen.bit_generator.state
    a = batches(loader)[0][0]
    gen.bit_generator.state = state
    b = batches(loader)[0][0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.arange(30))


def _augmented():
    x, y = _images(37, seed=1)
    tf = T.Compose(
        [
            T.RandomCrop(6, padding=2, padding_mode="reflect"),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.3, 0.3, 0.3, 0.05),
            T.ToTensor(),
            T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
        ]
    )
    return ArrayDataset(x, y, transform=tf)


@pytest.mark.parametrize("prefetch", [1, 3, True])
def test_prefetch_gives_identical_batches(prefetch):
    ds = _augmented()
    plain = batches(DataLoader(ds, batch_size=8, shuffle=True, seed=7))
    fetched = batches(DataLoader(ds, batch_size=8, shuffle=True, seed=7, prefetch=prefetch))
    assert len(plain) == len(fetched) == 5
    for (a, b), (c, d) in zip(plain, fetched, strict=True):
        assert a.shape[1:] == (3, 6, 6) and a.dtype == np.float32
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    # augmentation differs between epochs of one loader
    loader = DataLoader(ds, batch_size=37, seed=7)
    assert not np.array_equal(batches(loader)[0][0], batches(loader)[0][0])


def test_prefetch_stops_cleanly_and_reraises():
    ds = _augmented()
    before = threading.active_count()
    for i, _ in enumerate(DataLoader(ds, batch_size=2, prefetch=2, seed=0)):
        if i == 1:
            break
    assert threading.active_count() == before

    class Boom(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 4:
                raise KeyError("bad example 4")
            return np.zeros(2), i

    out = []
    with pytest.raises(KeyError, match="bad example 4"):
        for b in DataLoader(Boom(), batch_size=2, prefetch=1):
            out.append(b)
    assert len(out) == 2
    assert threading.active_count() == before


def test_fast_path_matches_per_item_collation():
    x, y = _images()
    tf = T.Compose([T.ToTensor(), T.Normalize([0.4, 0.5, 0.6], [0.2, 0.3, 0.4])])
    ds = ArrayDataset(x, y, transform=tf)
    fast = batches(DataLoader(ds, batch_size=6))
    slow = batches(DataLoader(ListDataset([ds[i] for i in range(len(ds))]), batch_size=6))
    for (a, b), (c, d) in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-6)
        np.testing.assert_array_equal(b, d)
        assert a.dtype == np.float32 and b.dtype == d.dtype == np.int64


def test_default_collate():
    items = [(np.ones(2) * i, i, 0.5 * i, "s", {"k": i}) for i in range(3)]
    x, ints, floats, strs, d = default_collate(items)
    assert x.shape == (3, 2) and ints.dtype == np.int64 and floats.dtype == np.float64
    assert strs == ["s", "s", "s"]
    np.testing.assert_array_equal(d["k"], [0, 1, 2])
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_collate([True, False]).dtype == np.bool_
    with pytest.raises(ValueError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])
    loader = DataLoader(ListDataset(items), batch_size=2, collate_fn=lambda b: len(b))
    assert list(loader) == [2, 1]


def test_loader_argument_errors():
    ds = TensorDataset(np.zeros(3))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        DataLoader(ds, batch_size=2.0)
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(5)
    with pytest.raises(ValueError, match="prefetch"):
        DataLoader(ds, prefetch=-1)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    assert DataLoader(ds, num_workers=2).prefetch == 2  # PyTorch's argument: prefetching


def test_tensor_dataset_and_subset():
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    ds = TensorDataset(x, y)
    np.testing.assert_array_equal(ds[-1][0], [8, 9])
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(TypeError, match="int"):
        ds[1.0]
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and sub[0][1] == 4
    (bx, by) = batches(DataLoader(sub, batch_size=3))[0]
    np.testing.assert_array_equal(by, [4, 0, 2])
    np.testing.assert_array_equal(bx, x[[4, 0, 2]])
    generic = Subset(ListDataset([(i, -i) for i in range(6)]), [5, 1])
    assert not hasattr(generic, "_get_batch")
    np.testing.assert_array_equal(batches(DataLoader(generic, batch_size=2))[0][1], [-5, -1])
    with pytest.raises(IndexError):
        Subset(ds, [7])


def test_random_split():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [3, 7], seed=0)
    assert [len(p) for p in parts] == [3, 7]
    seen = np.concatenate([p.indices for p in parts])
    assert sorted(seen) == list(range(10))
    again = random_split(ds, [3, 7], seed=0)
    np.testing.assert_array_equal(again[0].indices, parts[0].indices)
    # fractions: floor each, then the remainder one by one from the first part (PyTorch)
    assert [len(p) for p in random_split(ds, [0.33, 0.33, 0.34], seed=1)] == [4, 3, 3]
    with pytest.raises(ValueError, match="sum to the length"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(ds, [0.5, 0.2])


def test_array_dataset_checks_and_target_transform():
    with pytest.raises(ValueError, match="same length"):
        ArrayDataset(np.zeros((3, 2, 2), np.uint8), np.zeros(2, np.int64))
    with pytest.raises(TypeError, match="integers"):
        ArrayDataset(np.zeros((2, 2, 2), np.uint8), np.zeros(2, np.float32))
    ds = ArrayDataset(np.zeros((4, 2, 2), np.uint8), np.arange(4), target_transform=lambda t: 2 * t)
    assert ds[3][1] == 6 and ds.classes == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(batches(DataLoader(ds, batch_size=4))[0][1], [0, 2, 4, 6])


def test_digits_split_is_fixed_stratified_and_disjoint():
    train, test, full = Digits(train=True), Digits(train=False), Digits(train=None)
    assert (len(train), len(test), len(full)) == (1438, 359, 1797)
    assert full.data.dtype == np.uint8 and full.data.shape == (1797, 8, 8)
    assert full.data.max() == 16 and full.data.min() == 0
    assert train.targets.dtype == np.int64
    # stratified: every class has 20 % (rounded) of its images in the test part
    counts = np.bincount(full.targets, minlength=10)
    np.testing.assert_array_equal(np.bincount(test.targets, minlength=10), np.round(0.2 * counts))
    # disjoint: the two parts together are exactly the full set
    key = lambda d: sorted(  # noqa: E731
        map(bytes, np.concatenate([d.data.reshape(len(d), -1), d.targets[:, None]], 1))
    )
    assert key(full) == sorted(key(train) + key(test))
    x, label = train[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32
    np.testing.assert_allclose(x[0], train.data[0] / 16)
    assert label == train.targets[0]
    flat = Digits(flatten=True)
    assert flat[0][0].shape == (64,)
    bx, by = batches(DataLoader(flat, batch_size=100, shuffle=True, seed=0))[0]
    assert bx.shape == (100, 64) and bx.max() <= 1.0
    # the first image of the embedded set is a zero
    assert full.targets[0] == 0
    np.testing.assert_array_equal(full.data[0, 0], [0, 0, 5, 13, 9, 1, 0, 0])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    prefetch=st.integers(0, 2),
)
def test_every_example_once_per_epoch(n, batch_size, shuffle, drop_last, prefetch):
    ds = TensorDataset(np.arange(n) * 10, np.arange(n))
    loader = DataLoader(
        ds, batch_size, shuffle=shuffle, drop_last=drop_last, seed=n, prefetch=prefetch
    )
    out = batches(loader)
    assert len(out) == len(loader) == (n // batch_size if drop_last else -(-n // batch_size))
    seen = np.concatenate([b[1] for b in out]) if out else np.zeros(0, np.int64)
    assert all(len(b[1]) == batch_size for b in out[:-1] if out)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in out] or [seen]), seen * 10)
    assert len(set(seen.tolist())) == len(seen)  # no example twice
    if drop_last:
        assert len(seen) == n - n % batch_size
    else:
        assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(len(seen)))


def test_concat_dataset_fast_and_generic():
    a = TensorDataset(np.arange(4), np.arange(4) * 10)
    b = TensorDataset(np.arange(4, 7), np.arange(4, 7) * 10)
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert both[5][1] == 50 and both[-1][0] == 6
    assert hasattr(both, "_get_batch")
    out = batches(DataLoader(both, batch_size=7, shuffle=True, seed=0))[0]
    np.testing.assert_array_equal(out[1], out[0] * 10)
    assert sorted(out[0].tolist()) == list(range(7))
    mixed = ConcatDataset([a, ListDataset([(7, 70)])])
    assert not hasattr(mixed, "_get_batch")
    out = batches(DataLoader(mixed, batch_size=8))[0]
    np.testing.assert_array_equal(out[0], [0, 1, 2, 3, 7])
    np.testing.assert_array_equal(out[1], [0, 10, 20, 30, 70])
    with pytest.raises(ValueError, match="at least one"):
        ConcatDataset([])
