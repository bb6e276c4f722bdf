"""Data-pipeline benchmark: decoding CIFAR-10 JPEG folders and iterating an epoch.

    nice .venv/bin/python benchmarks/bench_data.py [--root ~/.cache/hosila/cifar10]

Workloads (same run, same machine):
* decode: ImageFolder (threaded Pillow decoding into one array, no cache) against a plain
  one-image-at-a-time Pillow loop (what a per-item data set such as torchvision's
  ImageFolder does on first touch);
* cached load: ImageFolder again, reading its .npz cache (no reference: PyTorch has no
  equivalent cache);
* epoch: one shuffled pass over the 50 000 training images in batches of 128 with
  ToTensor + Normalize, hosila DataLoader against torch.utils.data.DataLoader over a
  TensorDataset (per-item indexing + collate), then scaling and normalising each batch;
* augmented epoch: hosila with RandomCrop(32, padding=4) + RandomHorizontalFlip (+
  ColorJitter), without and with prefetch (torchvision, the natural reference, is not
  installed).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from hosila.data import DataLoader, ImageFolder
from hosila.data import transforms as T

MEAN, STD = [0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]


def _time(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _pillow_loop(paths):
    out = np.empty((len(paths), 32, 32, 3), np.uint8)
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            out[i] = np.asarray(im.convert("RGB"))
    return out


def _blas() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        return cfg["Build Dependencies"]["blas"]["name"]
    except Exception:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="~/.cache/hosila/cifar10")
    args = parser.parse_args()
    root = Path(args.root).expanduser()
    rows = []
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__} ({_blas()}), "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as cache:
        paths = sorted(str(p) for p in (root / "test").glob("*/*.jpg"))
        t_ref, ref = _time(lambda: _pillow_loop(paths), repeat=2)
        t_dec, test = _time(lambda: ImageFolder(root / "test", cache=False), repeat=2)
        assert np.array_equal(ref, test.data)
        rows.append(("decode test (10 000 JPEG)", t_dec, t_ref))

        t_first, train = _time(lambda: ImageFolder(root / "train", cache_dir=cache))
        t_first_test, _ = _time(lambda: ImageFolder(root / "test", cache_dir=cache))
        rows.append(("first load train+test (60 000, writes cache)", t_first + t_first_test, None))
        t_c1, train2 = _time(lambda: ImageFolder(root / "train", cache_dir=cache), repeat=3)
        t_c2, test2 = _time(lambda: ImageFolder(root / "test", cache_dir=cache), repeat=3)
        assert train2.from_cache and test2.from_cache
        assert np.array_equal(train2.data, train.data)
        rows.append(("cached load train+test (60 000)", t_c1 + t_c2, None))

    train.transform = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])

    def hosila_epoch(loader):
        n = 0
        for x, _ in loader:
            n += len(x)
        assert n == len(train)

    t_h, _ = _time(lambda: hosila_epoch(DataLoader(train, 128, shuffle=True, seed=0)), 2)
    import torch
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchTensorDataset

    torch.set_num_threads(os.cpu_count() or 1)
    tx = torch.from_numpy(np.ascontiguousarray(train.data.transpose(0, 3, 1, 2)))
    ty = torch.from_numpy(train.targets)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)

    def torch_epoch():
        loader = TorchLoader(TorchTensorDataset(tx, ty), batch_size=128, shuffle=True)
        n = 0
        for x, _ in loader:
            x = (x.float().div(255) - mean) / std
            n += len(x)
        assert n == len(train)

    t_t, _ = _time(torch_epoch, 2)
    rows.append(("epoch 50k, ToTensor+Normalize, batch 128", t_h, t_t))

    aug = [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()]
    for name, tfs, prefetch in [
        ("epoch 50k, crop+flip+ToTensor+Normalize", aug, 0),
        ("  same, prefetch=2", aug, 2),
        ("epoch 50k, + ColorJitter(0.4, 0.4, 0.4)", [*aug, T.ColorJitter(0.4, 0.4, 0.4)], 0),
    ]:
        train.transform = T.Compose([*tfs, T.ToTensor(), T.Normalize(MEAN, STD)])
        loader = DataLoader(train, 128, shuffle=True, seed=0, prefetch=prefetch)
        t, _ = _time(lambda loader=loader: hosila_epoch(loader))
        rows.append((name, t, None))

    print(f"\n| {'workload':48s} | {'hosila s':>9s} | {'reference s':>11s} | {'ratio':>6s} |")
    print(f"|{'-' * 50}|{'-' * 11}|{'-' * 13}|{'-' * 8}|")
    for name, h, r in rows:
        rs = f"{r:11.3f}" if r is not None else f"{'-':>11s}"
        ratio = f"{h / r:6.2f}" if r is not None else f"{'-':>6s}"
        print(f"| {name:48s} | {h:9.3f} | {rs} | {ratio} |")
    print("\nratio = hosila time / reference time (below 1: hosila faster)")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
