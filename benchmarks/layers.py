"""CNN layer speed: hosila vs PyTorch (CPU), forward + backward, on CIFAR-10 shapes.

Run: python benchmarks/layers.py [--batch 64] [--repeats 7] [--threads N]

Each row times one layer's forward pass and its backward pass (gradients for the input and
for every parameter) on the same float32 arrays in both libraries. The two libraries run
alternately, ``--repeats`` times each after a warm-up, and the best (minimum) time of each is
reported with the ratio hosila / PyTorch (below 1: hosila faster). Before timing, each row
checks that both libraries compute the same output and gradients.

Convolutions also get their speed in GFLOP/s: ``2*N*Cout*Ho*Wo*(Cin/groups)*kh*kw`` flops for
the forward pass, three times that for forward + backward (the input and weight gradients
are one matrix product each, of the same size). NumPy's own float32 matrix product is timed
on the same machine for scale: a 1024x1024 square product and one shaped like the 64->64
convolution's im2col product.

Threads: NumPy's matrix products run on its BLAS's threads (``--threads`` sets
OPENBLAS_NUM_THREADS/OMP_NUM_THREADS before NumPy loads; default: the CPU count), and
PyTorch gets ``torch.set_num_threads`` with the same number.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    return ap.parse_args()


ARGS = _parse()
for _var in THREAD_VARS:  # before NumPy and torch load their thread pools
    os.environ[_var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import hosila  # noqa: E402
from hosila.ops.conv import conv2d  # noqa: E402
from hosila.ops.pool import avg_pool2d, max_pool2d  # noqa: E402

try:  # batch norm lives in hosila.nn (another part of the library); optional here
    from hosila.nn.functional import batch_norm
except ImportError:  # pragma: no cover - depends on what is installed
    batch_norm = None


def best_times(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Run the functions alternately (so that load on the machine hits both alike); best of
    ``repeats`` each, after one warm-up call."""
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for f, ts in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t0)
    return [min(ts) for ts in times]


class Layer:
    """One workload: the same arrays as hosila and torch leaves, and an upstream gradient."""

    def __init__(self, name, arrays, h_fn, t_fn, flops=0.0, seed=0):
        self.name, self.flops = name, flops
        self.h_in = [hosila.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        self.t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        self.h_fn, self.t_fn = h_fn, t_fn
        out = t_fn(*self.t_in)
        g = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(np.float32)
        self.h_g, self.t_g = hosila.tensor(g), torch.tensor(g)

    def run_hosila(self):
        for t in self.h_in:
            t.grad = None
        out = self.h_fn(*self.h_in)
        out.backward(self.h_g)
        return out

    def run_torch(self):
        for t in self.t_in:
            t.grad = None
        out = self.t_fn(*self.t_in)
        out.backward(self.t_g)
        return out

    def check(self) -> None:
        h, t = self.run_hosila(), self.run_torch()
        scale = float(np.abs(t.detach().numpy()).max()) + 1e-6
        np.testing.assert_allclose(h.data, t.detach().numpy(), atol=1e-4 * scale, rtol=1e-3)
        for hx, tx in zip(self.h_in, self.t_in, strict=True):
            if tx.grad is not None:
                ref = tx.grad.numpy()
                tol = 1e-4 * (float(np.abs(ref).max()) + 1e-6)
                np.testing.assert_allclose(hx.grad, ref, atol=tol, rtol=1e-3)


def conv_layer(n, c_in, c_out, k, pad, hw, stride=1, rng=None):
    x = rng.standard_normal((n, c_in, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((c_out, c_in, k, k)) / np.sqrt(c_in * k * k)).astype(np.float32)
    b = rng.standard_normal(c_out).astype(np.float32)
    ho = (hw + 2 * pad - k) // stride + 1
    flops = 2.0 * n * c_out * ho * ho * c_in * k * k
    return Layer(
        f"conv2d {c_in}->{c_out} {k}x{k} pad {pad} at {hw}x{hw}",
        [x, w, b],
        lambda x, w, b: conv2d(x, w, b, stride, pad),
        lambda x, w, b: TF.conv2d(x, w, b, stride, pad),
        flops=flops,
    )


def layers(n: int) -> list[Layer]:
    rng = np.random.default_rng(0)
    out = [
        conv_layer(n, 3, 32, 7, 3, 32, rng=rng),
        conv_layer(n, 64, 64, 3, 1, 32, rng=rng),
        conv_layer(n, 128, 128, 3, 1, 16, rng=rng),
    ]
    x = rng.standard_normal((n, 64, 32, 32)).astype(np.float32)
    out.append(
        Layer(
            f"max_pool2d 2x2 on ({n}, 64, 32, 32)",
            [x],
            lambda x: max_pool2d(x, 2),
            lambda x: TF.max_pool2d(x, 2),
        )
    )
    out.append(
        Layer(
            f"max_pool2d 3x3 stride 2 pad 1 on ({n}, 64, 32, 32)",
            [x],
            lambda x: max_pool2d(x, 3, 2, 1),
            lambda x: TF.max_pool2d(x, 3, 2, 1),
        )
    )
    out.append(
        Layer(
            f"avg_pool2d 2x2 on ({n}, 64, 32, 32)",
            [x],
            lambda x: avg_pool2d(x, 2),
            lambda x: TF.avg_pool2d(x, 2),
        )
    )
    if batch_norm is not None:
        gamma = rng.standard_normal(64).astype(np.float32)
        beta = rng.standard_normal(64).astype(np.float32)

        def h_bn(x, g, b):
            rm, rv = hosila.zeros(64), hosila.ones(64)
            return batch_norm(x, rm, rv, g, b, training=True)

        def t_bn(x, g, b):
            rm, rv = torch.zeros(64), torch.ones(64)
            return TF.batch_norm(x, rm, rv, g, b, training=True)

        out.append(
            Layer(f"batch_norm 2d training on ({n}, 64, 32, 32)", [x, gamma, beta], h_bn, t_bn)
        )
    return out


def numpy_matmul_gflops(repeats: int) -> list[tuple[str, float]]:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    w = rng.standard_normal((64, 576)).astype(np.float32)
    cols = rng.standard_normal((576, ARGS.batch * 1024)).astype(np.float32)
    (t_sq, t_conv) = best_times([lambda: a @ a, lambda: w @ cols], repeats)
    return [
        ("1024x1024 @ 1024x1024", 2 * 1024**3 / t_sq / 1e9),
        (
            f"64x576 @ 576x{ARGS.batch * 1024} (im2col of 64->64 3x3)",
            2 * 64 * 576 * cols.shape[1] / t_conv / 1e9,
        ),
    ]


def load() -> str:
    try:
        return " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every OS
        return "n/a"


def main() -> None:
    torch.set_num_threads(ARGS.threads)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}"
    )
    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    print(
        f"NumPy BLAS: {blas.get('name', '?')} {blas.get('version', '')}; threads: BLAS "
        f"{os.environ['OPENBLAS_NUM_THREADS']}, torch {torch.get_num_threads()}; "
        f"load average before: {load()}"
    )
    print(f"Command: python {' '.join(sys.argv)}\n")
    print(f"Batch {ARGS.batch}, float32, forward + backward, best of {ARGS.repeats}.\n")
    print("| workload | hosila (ms) | PyTorch (ms) | ratio | hosila GFLOP/s | PyTorch GFLOP/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for layer in layers(ARGS.batch):
        layer.check()
        t_h, t_t = best_times([layer.run_hosila, layer.run_torch], ARGS.repeats)
        gf = ""
        if layer.flops:
            gf = f" {3 * layer.flops / t_h / 1e9:.0f} | {3 * layer.flops / t_t / 1e9:.0f} |"
        else:
            gf = " | |"
        print(
            f"| {layer.name} | {t_h * 1e3:.1f} | {t_t * 1e3:.1f} | {t_h / t_t:.2f} |{gf}",
            flush=True,
        )
    if batch_norm is None:
        print("\n(batch_norm row left out: hosila.nn.functional.batch_norm is not available)")
    print("\nNumPy float32 matrix product on this machine:\n")
    print("| product | GFLOP/s |")
    print("|---|---:|")
    for name, gflops in numpy_matmul_gflops(ARGS.repeats):
        print(f"| {name} | {gflops:.0f} |")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
