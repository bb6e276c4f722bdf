"""Training-step time and peak memory: hosila vs PyTorch CPU on CIFAR-10-shaped data.

Run: python benchmarks/train_epoch.py [--models twolayer,convnet3,vgg_bn] [--steps 20]
                                      [--batch-size 64] [--repeats 3] [--threads 2]
                                      [--no-retain-memory]

For each model of ``hosila.models`` the same architecture is built twice by the same
builder (``get_model(name, nn=hosila.nn)`` and ``nn=torch.nn``) and trained for ``--steps``
steps (forward, cross-entropy, backward, SGD with momentum 0.9) on fixed random
float32 batches ``(B, 3, 32, 32)`` with random labels: the work of one epoch of CIFAR-10
training, minus the data loading. Each (framework, model) runs in its own subprocess, so
its peak resident memory (``ru_maxrss``) is its own; the subprocess does a warm-up of 2
steps, then ``--repeats`` timed runs of ``--steps`` steps, and the best (minimum) time is
reported, as wall-clock time and as the process's CPU time (``time.process_time``: on a
machine shared with other jobs the CPU time of a one-thread run is the steadier measure of
the work done; with more threads it sums over them). The hosila worker first calls
``hosila.utils.retain_freed_memory()``, as ``hosila train`` does (``--no-retain-memory``:
glibc's default allocator). Both frameworks get the same number of threads: PyTorch through
``torch.set_num_threads``, NumPy's BLAS through ``OMP_NUM_THREADS`` /
``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS`` (set before it is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(
    framework: str, model_name: str, steps: int, batch: int, repeats: int, threads: int,
    retain: bool = True,
):  # fmt: skip
    import numpy as np

    rng = np.random.default_rng(0)
    n_batches = 4
    xs = rng.standard_normal((n_batches, batch, 3, 32, 32), dtype=np.float32)
    ys = rng.integers(0, 10, size=(n_batches, batch))
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        nn, F, optim = torch.nn, torch.nn.functional, torch.optim
        xb = [torch.from_numpy(x) for x in xs]
        yb = [torch.from_numpy(y) for y in ys]
    else:
        import hosila
        from hosila import nn, optim
        from hosila.nn import functional as F

        if retain:  # what `hosila train` does; --no-retain-memory measures without it
            from hosila.utils import retain_freed_memory

            retain_freed_memory()

        hosila.manual_seed(0)
        xb = [hosila.from_numpy(x) for x in xs]
        yb = [hosila.from_numpy(y) for y in ys]
    from hosila.models import get_model

    model = get_model(model_name, 3, 10, 32, nn=nn)
    model.train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run(k: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(k):
            out = model(xb[i % n_batches])
            loss = F.cross_entropy(out, yb[i % n_batches])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start, time.process_time() - cpu

    run(2)
    times = [run(steps) for _ in range(repeats)]
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    best, best_cpu = min(t[0] for t in times), min(t[1] for t in times)
    print(json.dumps({"seconds": best, "cpu_seconds": best_cpu, "peak_rss_mb": rss_kb / 1024}))


def measure(framework: str, model: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(args.threads)
    src = os.path.join(os.path.dirname(HERE), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework, "--models", model,
           "--steps", str(args.steps), "--batch-size", str(args.batch_size),
           "--repeats", str(args.repeats), "--threads", str(args.threads)]  # fmt: skip
    if args.no_retain_memory:
        cmd.append("--no-retain-memory")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{framework} {model} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine(threads: int) -> str:
    import numpy as np
    import torch

    blas = "?"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            blas = ", ".join(f"{i['internal_api']} {i.get('version')}" for i in infos)
    except ImportError:
        pass
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{threads} threads each; Python {platform.python_version()}, NumPy {np.__version__} "
        f"({blas}), PyTorch {torch.__version__}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="twolayer,convnet3,vgg_bn")
    ap.add_argument("--steps", type=int, default=20, help="training steps per timed run")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs; the best is kept")
    ap.add_argument("--threads", type=int, default=2, help="threads for both frameworks")
    ap.add_argument(
        "--no-retain-memory",
        action="store_true",
        help="hosila without hosila.utils.retain_freed_memory() (glibc's default malloc)",
    )
    ap.add_argument("--worker", choices=["hosila", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.models, args.steps, args.batch_size, args.repeats, args.threads,
               not args.no_retain_memory)  # fmt: skip
        return
    print(f"machine: {machine(args.threads)}")
    print(
        f"{args.steps} SGD-momentum steps of batch {args.batch_size} (3x32x32, 10 classes), "
        f"best of {args.repeats}; hosila.utils.retain_freed_memory() "
        f"{'off' if args.no_retain_memory else 'on'}"
    )
    head = (
        f"{'model':<10} {'hosila s':>9} {'torch s':>9} {'ratio':>6} "
        f"{'hosila cpu':>10} {'torch cpu':>9} {'cpu ratio':>9} "
        f"{'hosila MB':>10} {'torch MB':>9} {'mem ratio':>9} {'img/s hosila':>13}"
    )
    print(head)
    print("-" * len(head))
    for model in args.models.split(","):
        h = measure("hosila", model, args)
        t = measure("torch", model, args)
        images = args.steps * args.batch_size
        print(
            f"{model:<10} {h['seconds']:9.3f} {t['seconds']:9.3f} "
            f"{h['seconds'] / t['seconds']:6.2f} {h['cpu_seconds']:10.3f} "
            f"{t['cpu_seconds']:9.3f} {h['cpu_seconds'] / t['cpu_seconds']:9.2f} "
            f"{h['peak_rss_mb']:10.0f} "
            f"{t['peak_rss_mb']:9.0f} {h['peak_rss_mb'] / t['peak_rss_mb']:9.2f} "
            f"{images / h['seconds']:13.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
