"""Exact resume under SIGKILL: ``hosila train`` killed at random moments and resumed must end
with the same weights and the same metrics as a run that was never interrupted.

Run: python benchmarks/reliability_kills.py [--kills 30] [--epochs 6] [--seed 0] [--data digits]

What it does (each ``hosila train`` in its own process, one BLAS thread so results are
bit-for-bit repeatable):

1. a reference run of ``--epochs`` epochs into ``REF``;
2. the same run into ``RUN``, killed with SIGKILL after a random delay (uniform between 0.2 s
   and the reference run's wall time, so kills land during start-up, mid-epoch and while a
   checkpoint is written), ``--kills`` times; after each kill it resumes (``--resume``) or,
   when no checkpoint had been written yet, starts afresh;
3. the interrupted run is finished, and its ``model.safetensors`` tensors, ``history.json``
   metrics (all but the timings) and test results are compared with the reference's, exactly.

It prints one line per kill and a summary (kills, resumes, fresh starts, whether every
tensor and metric matched); the exit status is 0 only when all matched. Figures are in
``docs/reliability.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TIMING_KEYS = {"seconds", "images_per_s", "time", "wall_s"}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def _command(out: Path, epochs: int, seed: int, data: str, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "hosila.cli", "train", "--data", data, "--epochs", str(epochs)]
    cmd += ["--seed", str(seed), "--out", str(out), "--no-progress"]
    return cmd + (["--resume"] if resume else [])


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def _tensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def _metrics(path: Path) -> list[dict]:
    records = json.loads((path / "history.json").read_text())
    if isinstance(records, dict):
        records = records.get("records", records)
    return [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in records]


def _results(path: Path) -> dict:
    res = json.loads((path / "results.json").read_text())
    return {k: v for k, v in res.items() if k not in TIMING_KEYS}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=30, help="SIGKILLs to deliver (30)")
    ap.add_argument("--epochs", type=int, default=6, help="epochs of the run (6)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the run and of the delays")
    ap.add_argument("--data", default="digits", help="data set (digits: embedded, no files)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="hosila-kills-"))
    try:
        ref, run = work / "ref", work / "run"
        start = time.perf_counter()
        _run(_command(ref, args.epochs, args.seed, args.data, resume=False))
        ref_wall = time.perf_counter() - start
        print(f"reference run: {ref_wall:.1f} s")
        resumes = fresh = 0
        for i in range(args.kills):
            resume = (run / "checkpoint.safetensors").is_file()
            if not resume and run.exists():
                shutil.rmtree(run)
            resumes += resume
            fresh += not resume
            cmd = _command(run, args.epochs, args.seed, args.data, resume=resume)
            proc = subprocess.Popen(
                cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            delay = rng.uniform(0.2, ref_wall)
            try:
                proc.wait(timeout=delay)
                finished = True
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                finished = False
            err = proc.stderr.read() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
            if finished and proc.returncode != 0:
                print(f"kill {i + 1}: the run failed by itself ({proc.returncode}):\n{err[-2000:]}")
                return 1
            state = "finished before the kill" if finished else f"killed after {delay:.2f} s"
            print(f"kill {i + 1:3d}: {'resume' if resume else 'fresh '} {state}")
            if finished:  # start the next cycle from a fresh run, so every kill interrupts
                shutil.rmtree(run)
        if (run / "checkpoint.safetensors").is_file():
            _run(_command(run, args.epochs, args.seed, args.data, resume=True))
        else:
            shutil.rmtree(run, ignore_errors=True)
            _run(_command(run, args.epochs, args.seed, args.data, resume=False))
        a, b = _tensors(ref / "model.safetensors"), _tensors(run / "model.safetensors")
        same_tensors = a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        same_metrics = _metrics(ref) == _metrics(run)
        same_results = _results(ref) == _results(run)
        leftovers = sorted(p.name for p in run.iterdir() if p.name.endswith(".tmp"))
        print(
            f"{args.kills} kills ({resumes} resumed, {fresh} fresh starts); weights identical: "
            f"{same_tensors}; history identical: {same_metrics}; results identical: "
            f"{same_results}; stale .tmp files left: {len(leftovers)}"
        )
        return 0 if same_tensors and same_metrics and same_results and not leftovers else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
