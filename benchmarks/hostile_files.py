"""The hostile-file suite: crafted and fuzzed CIFAR pickles and decompression bombs, each
loaded in a subprocess under a memory cap. Prints how many inputs were refused (by kind)
and how much memory each bomb took; the figures go in docs/reliability.md.

    PYTHONPATH=src python benchmarks/hostile_files.py                 # the full run
    PYTHONPATH=src python benchmarks/hostile_files.py --flips 200     # quicker

The tests (tests/data/test_hostile_files.py) run the same corpus with fewer fuzz inputs.
Every crafted pickle must be refused with ``UnsafePickleError``; a fuzzed one (a valid
batch with one byte changed, or cut short) must either load or be refused with a
ValueError; a crash, a hang or any other exception fails the run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]


class _R:
    """Pickles as ``func(*args)`` followed, if ``state`` is given, by BUILD(state)."""

    def __init__(self, func: Any, args: tuple, state: Any = None) -> None:
        self.func, self.args, self.state = func, args, state

    def __reduce__(self) -> tuple:
        if self.state is None:
            return (self.func, self.args)
        return (self.func, self.args, self.state)


def _dtype(spec: str, state: tuple) -> _R:
    return _R(np.dtype, (spec, False, True), state)


def _array(shape: Any, dtype: Any, data: Any, fortran: Any = False) -> _R:
    return _R(_RECONSTRUCT, (np.ndarray, (0,), b"b"), (1, shape, dtype, fortran, data))


def _batch_dict(n: int = 4, seed: int = 0) -> dict[bytes, Any]:
    """An official-looking CIFAR-10 batch: bytes keys, uint8 (n, 3072), list labels."""
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"testing batch 1 of 1",
        b"labels": [int(v) for v in rng.integers(0, 10, size=n)],
        b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i:04d}.png".encode() for i in range(n)],
    }


def valid_batch(n: int = 4, protocol: int = 2, seed: int = 0) -> bytes:
    return pickle.dumps(_batch_dict(n, seed), protocol=protocol)


def _in_batch(obj: Any, protocol: int = 2) -> bytes:
    """``obj`` as the 'data' of an otherwise valid batch."""
    d = _batch_dict(2)
    d[b"data"] = obj
    return pickle.dumps(d, protocol=protocol)


U1 = (3, "|", None, None, None, -1, -1, 0)


def crafted_pickles() -> dict[str, tuple[str, bytes]]:
    """name -> (kind, pickle bytes); every one of them must be refused."""
    out: dict[str, tuple[str, bytes]] = {}

    def add(kind: str, name: str, raw: bytes) -> None:
        out[f"{kind}/{name}"] = (kind, raw)

    # dtype states that crash or corrupt NumPy when handed to dtype.__setstate__
    bad_states = {
        "six-tuple": ("u1", (1, "|", None, None, 1, 1)),
        "fields-bytes-V8": ("V8", (3, "|", None, ("a",), {"a": (b"x", 0)}, 8, 1, 0)),
        "fields-bytes-u1": ("u1", (3, "|", None, ("a",), {"a": (b"x", 0)}, 1, 1, 0)),
        "fields-int": ("u1", (3, "|", None, ("a",), {"a": (5, 0)}, 1, 1, 0)),
        "names-without-fields": ("u1", (3, "|", None, ("a", "b"), {}, -1, -1, 0)),
        "object-flag-on-u1": ("u1", (3, "|", None, None, None, -1, -1, 63)),
        "subarray": ("u1", (3, "|", (b"x", (2,)), None, None, -1, -1, 0)),
        "huge-elsize": ("u1", (3, "|", None, None, None, 1 << 40, -1, 0)),
        "wrong-byte-order": ("u1", (3, "<", None, None, None, -1, -1, 0)),
        "metadata": ("u1", (*U1, {"a": 1})),
        "version-2": ("u1", (2, "|", None, None, None, -1, -1)),
        "not-a-tuple": ("u1", {"a": 1}),
        "bool-for-int": ("u1", (3, "|", None, None, None, -1, -1, False)),
    }
    for name, (spec, state) in bad_states.items():
        add("dtype-state", name, pickle.dumps(_dtype(spec, state), protocol=2))
        size = 2 * 3072 * np.dtype(spec).itemsize
        add(
            "dtype-state",
            name + "-in-batch",
            _in_batch(_array((2, 3072), _dtype(spec, state), b"\0" * size)),
        )
    # the SIGSEGV of issue 10, through the labels instead of the images
    v8 = _dtype("V8", bad_states["fields-bytes-V8"][1])
    d = _batch_dict(2)
    d[b"labels"] = _array((2,), v8, b"\0" * 16)
    add("dtype-state", "fields-bytes-V8-as-labels", pickle.dumps(d, protocol=2))
    u1 = pickle.dumps(np.dtype("u1"), protocol=2)
    add("dtype-state", "state-twice", u1[:-1] + u1[u1.index(b"(K\x03") : -1] + b".")
    add(
        "dtype-state",
        "no-state-in-array",
        _in_batch(_array((2, 3072), _R(np.dtype, ("u1", False, True)), b"\0" * 6144)),
    )

    # dtypes outside the allow-list, as NumPy itself pickles them
    for spec in ["f4", "f8", "?", "<U3", "M8[s]", "c16", "V8", "i2", "u8", "O"]:
        try:
            arr = np.zeros((2, 3), dtype=spec)
        except TypeError:
            continue
        for protocol in (2, 5):
            add("dtype", f"{spec}-p{protocol}", _in_batch(arr, protocol))
    add("dtype", "structured", _in_batch(np.zeros(2, dtype=[("a", "u1"), ("b", "f4")])))
    add("dtype", "object-array", pickle.dumps(np.array([1, "x", None], dtype=object), protocol=2))
    add("dtype", "spec-not-string", pickle.dumps(_R(np.dtype, (7, False, True), U1), protocol=2))
    add("dtype", "spec-long", pickle.dumps(_R(np.dtype, ("u1" * 50, False, True), U1), protocol=2))

    # array states
    d = _dtype("u1", U1)
    arrays = {
        "terabyte-shape": _array((10**6, 10**6), d, b"x" * 10),
        "overflowing-shape": _array((1 << 63, 1 << 63), d, b""),
        "negative-shape": _array((-1, 3072), d, b""),
        "100-dims": _array((1,) * 100, d, b"x"),
        "shape-not-tuple": _array([2, 3072], d, b"\0" * 6144),
        "float-shape": _array((2.0, 3072), d, b"\0" * 6144),
        "data-not-bytes": _array((3,), d, [1, 2, 3]),
        "short-data": _array((2, 3072), d, b"\0" * 100),
        "long-data": _array((2,), d, b"\0" * 100),
        "dtype-not-dtype": _array((3,), 5, b"abc"),
        "order-flag-string": _array((3,), d, b"abc", fortran="F"),
        "state-version-2": _R(_RECONSTRUCT, (np.ndarray, (0,), b"b"), (2, (3,), d, False, b"abc")),
        "state-3-tuple": _R(_RECONSTRUCT, (np.ndarray, (0,), b"b"), ((3,), d, b"abc")),
        "reconstruct-of-dtype": _R(_RECONSTRUCT, (np.dtype, (0,), b"b")),
        "reconstruct-huge-shape": _R(_RECONSTRUCT, (np.ndarray, (10**12,), b"b")),
        "reconstruct-without-state": _R(_RECONSTRUCT, (np.ndarray, (0,), b"b")),
        "ndarray-called": _R(np.ndarray, ((10**5, 10**5),)),
        "frombuffer-terabyte": _R(_FROMBUFFER, (bytearray(8), d, (10**12,), "C")),
        "frombuffer-order": _R(_FROMBUFFER, (bytearray(8), d, (8,), "K")),
        "frombuffer-then-build": _R(
            _FROMBUFFER, (bytearray(3), d, (3,), "C"), (1, (3,), d, False, b"abc")
        ),
    }
    for name, obj in arrays.items():
        add("array", name, _in_batch(obj))
    raw = _in_batch(_array((2, 3072), d, b"\0" * 6144))
    add(
        "array", "numpy1-names", raw.replace(b"numpy._core", b"numpy.core").replace(b"data", b"dat")
    )
    bad = pickle.dumps(_array((3,), d, b"abc"), protocol=2)
    add("array", "state-twice", bad[:-1] + bad[bad.index(b"(K\x01") : -1] + b".")

    # globals that are not allowed
    import builtins
    import collections
    import subprocess as sp

    for name, func, args in [
        ("os.system", os.system, ("true",)),
        ("builtins.eval", builtins.eval, ("1",)),
        ("builtins.getattr", builtins.getattr, (1, "real")),
        ("builtins.exec", builtins.exec, ("pass",)),
        ("subprocess.Popen", sp.Popen, (["true"],)),
        ("numpy.load", np.load, ("x",)),
        ("numpy.frombuffer", np.frombuffer, (b"abc",)),
        ("collections.OrderedDict", collections.OrderedDict, ()),
        ("pickle.loads", pickle.loads, (b"N.",)),
    ]:
        add("global", name, pickle.dumps(_R(func, args), protocol=2))
    add("global", "numpy-scalar", pickle.dumps(np.int64(5), protocol=2))
    add("global", "inst-opcode", b"(S'true'\nios\nsystem\n.")
    add("global", "stack-global", b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04true\x85R.")
    add("global", "codecs-rot13", pickle.dumps(b"x", protocol=2).replace(b"latin1", b"rot_13"))
    add("global", "bytes-with-args", b"\x80\x02c__builtin__\nbytes\nK\x05\x85R.")
    add("global", "extension-code", b"\x80\x02\x82\x01.")
    add("global", "persistent-id", b"\x80\x02X\x01\x00\x00\x001Q.")
    add("global", "out-of-band-buffer", b"\x80\x05\x97.")

    # opcodes whose arguments claim more memory than the file holds
    add("memory", "memo-index-2^31", b"\x80\x02K\x01r" + struct.pack("<I", 2**31 - 1) + b".")
    add("memory", "memo-index-2^26", b"\x80\x02K\x01r" + struct.pack("<I", 2**26) + b".")
    add("memory", "put-index-text", b"I1\np99999999999\n.")
    for op, name in [(b"\x8e", "binbytes8"), (b"\x96", "bytearray8"), (b"\x8d", "binunicode8")]:
        add("memory", f"{name}-claims-1TB", b"\x80\x05" + op + struct.pack("<Q", 1 << 40) + b"abc.")
    add("memory", "binbytes-claims-4GB", b"\x80\x03B" + struct.pack("<I", 2**32 - 1) + b"abc.")
    add("memory", "frame-claims-1TB", b"\x80\x04\x95" + struct.pack("<Q", 1 << 40) + b"N.")
    add("memory", "long4-claims-2GB", b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1) + b"abc.")
    add("memory", "nested-100k-lists", b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".")
    add("memory", "nested-100k-tuples", b"\x80\x02)" + b"\x85" * 100_000 + b".")

    # malformed data
    add("malformed", "bad-utf8", b"\x80\x03X\x02\x00\x00\x00\xff\xfe.")
    add("malformed", "long-100k-digits", b"L" + b"9" * 100_000 + b"L\n.")
    add("malformed", "int-100k-digits", b"I" + b"9" * 100_000 + b"\n.")
    add("malformed", "empty", b"")
    add("malformed", "garbage", b"this is not a pickle at all")
    add("malformed", "no-stop", b"\x80\x02K\x01")
    add("malformed", "unknown-opcode", b"\x80\x02\xff.")
    add("malformed", "build-on-bytes", pickle.dumps(b"x", protocol=2)[:-1] + b"}b.")
    add("malformed", "build-on-list", b"\x80\x02](K\x01K\x02tb.")
    add("malformed", "setitems-on-list", b"\x80\x02](K\x01K\x02u.")
    add("malformed", "unhashable-key", b"\x80\x02}]K\x01s.")
    add("malformed", "stack-underflow", b"\x80\x02a.")
    add("malformed", "pop-mark-empty", b"\x80\x021.")
    return out


def fuzzed(flips: int, truncations: int, seed: int = 0) -> dict[str, tuple[str, bytes]]:
    """Valid batches (protocols 2 and 5) with one byte changed, or cut short."""
    rng = np.random.default_rng(seed)
    out: dict[str, tuple[str, bytes]] = {}
    for protocol in (2, 5):
        raw = valid_batch(n=2, protocol=protocol, seed=protocol)
        # flip bytes mostly in the pickle's structure, not in the pixel data
        structure = [i for i in range(len(raw)) if not 200 < i < len(raw) - 200] or list(
            range(len(raw))
        )
        for k in range(flips // 2):
            pos = int(rng.choice(structure)) if k % 2 else int(rng.integers(len(raw)))
            value = int(rng.integers(256))
            out[f"flip-p{protocol}/{k:05d}"] = ("flip", raw[:pos] + bytes([value]) + raw[pos + 1 :])
        for k, cut in enumerate(np.linspace(0, len(raw) - 1, truncations // 2).astype(int)):
            out[f"truncation-p{protocol}/{k:05d}"] = ("truncation", raw[: int(cut)])
    return out


# Runs in the subprocess: raise the memory cap to the imports' footprint plus a margin,
# then load every file of a folder as a CIFAR batch and report each outcome.
RUNNER = r"""
import json, os, resource, sys
from pathlib import Path
import numpy as np
from hosila.data import CIFAR10
from hosila.data._files import UnsafePickleError

def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
margin = int(sys.argv[2])
base_rss = vm("VmRSS")
cap = vm("VmSize") + margin
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
folder = Path(sys.argv[1])
ds = CIFAR10.__new__(CIFAR10)
ds.root = folder
outcomes = {}
for path in sorted(folder.iterdir()):
    print(path.name, file=sys.stderr, flush=True)
    try:
        ds._parse_batch(path.read_bytes(), path.name)
        outcomes[path.name] = "loaded"
    except UnsafePickleError:
        outcomes[path.name] = "refused"
    except ValueError:
        outcomes[path.name] = "refused-format"
    except Exception as exc:
        outcomes[path.name] = "error:" + type(exc).__name__ + ": " + str(exc)[:200]
peak = vm("VmHWM")  # (ru_maxrss would include the parent's size at fork)
print(json.dumps({"outcomes": outcomes, "peak_above_baseline": peak - base_rss}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_corpus(
    corpus: dict[str, tuple[str, bytes]], margin: int = 512 << 20, timeout: float = 120
) -> dict:
    """Write the corpus to a temporary folder and load every file in one subprocess with
    RLIMIT_AS at its import footprint plus ``margin``. Returns the subprocess's report,
    plus ``returncode`` and ``last`` (the file it was reading when it ended)."""
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for i, (name, (_, raw)) in enumerate(sorted(corpus.items())):
            fname = f"{i:05d}"
            names[fname] = name
            (Path(tmp) / fname).write_bytes(raw)
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, tmp, str(margin)],
            capture_output=True, text=True, timeout=timeout, env=_env(),
        )  # fmt: skip
    last = proc.stderr.strip().splitlines()[-1:] if proc.stderr else []
    report: dict[str, Any] = {"returncode": proc.returncode, "stderr": proc.stderr[-2000:]}
    report["last"] = names.get(last[0], last[0]) if last else None
    if proc.returncode == 0:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        report["outcomes"] = {names[k]: v for k, v in data["outcomes"].items()}
        report["peak_above_baseline"] = data["peak_above_baseline"]
    return report


# --- decompression bombs ------------------------------------------------------------------

_ZEROS_MB = gzip.compress(b"\0" * (1 << 20), compresslevel=9)


def gzip_zeros(megabytes: int) -> bytes:
    """Gzip members that inflate to ``megabytes`` MiB of zeros (a multi-member gzip file
    is one stream to every reader), built in no time and ~1 KB per MiB."""
    return _ZEROS_MB * megabytes


def mnist_gzip_bomb(path: Path, megabytes: int) -> Path:
    """An images IDX .gz whose header says 10 images of 28×28 but that inflates to
    ``megabytes`` MiB."""
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 10, 28, 28)
    path.write_bytes(gzip.compress(header + b"\0" * (10 * 28 * 28)) + gzip_zeros(megabytes))
    return path


def cifar_tar_bomb(
    path: Path, megabytes: int, member: str = "cifar-10-batches-py/data_batch_1"
) -> Path:
    """A cifar-10-python.tar.gz whose one member has ``megabytes`` MiB of zeros."""
    info = tarfile.TarInfo(member)
    info.size = megabytes << 20
    end = b"\0" * (2 * tarfile.BLOCKSIZE)
    path.write_bytes(
        gzip.compress(info.tobuf(format=tarfile.USTAR_FORMAT))
        + gzip_zeros(megabytes)
        + gzip.compress(end)
    )
    return path


def png_bomb(path: Path, side: int = 30_000) -> Path:
    """A grey PNG whose header says ``side``×``side`` pixels (900 M by default, 10 times
    Pillow's MAX_IMAGE_PIXELS), with almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (side + 1))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


BOMB_RUNNER = r"""
import resource, sys
def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
import numpy as np
from hosila.data import CIFAR10, ImageFolder, MNIST
from hosila.data._files import safe_extract
base = vm("VmRSS")
cap = vm("VmSize") + int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
kind, target = sys.argv[1], sys.argv[2]
try:
    if kind == "mnist":
        MNIST(target)
    elif kind == "cifar":
        CIFAR10(target)
    elif kind == "extract":
        safe_extract(
            __import__("pathlib").Path(target) / "cifar-10-python.tar.gz",
            __import__("pathlib").Path(target) / "out", CIFAR10.max_batch_bytes,
            CIFAR10.max_archive_bytes,
        )
    elif kind == "image":
        ImageFolder(target, cache=False)
    print("LOADED")
except ValueError as exc:
    print("REFUSED", exc)
peak = vm("VmHWM")  # (ru_maxrss would include the parent's size at fork)
print("PEAK", peak - base)
"""


def build_bomb(kind: str, folder: Path, megabytes: int) -> Path:
    """The folder to load for one bomb ``kind`` (mnist, cifar, extract, image)."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "mnist":
        mnist_gzip_bomb(folder / "train-images-idx3-ubyte.gz", megabytes)
        labels = struct.pack(">BBBBI", 0, 0, 8, 1, 10) + bytes(10)
        (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels))
    elif kind in ("cifar", "extract"):
        cifar_tar_bomb(folder / "cifar-10-python.tar.gz", megabytes)
    elif kind == "image":
        (folder / "cls").mkdir(exist_ok=True)
        png_bomb(folder / "cls" / "bomb.png")
    return folder


def run_bomb(kind: str, folder: Path, margin: int = 150 << 20, timeout: float = 120) -> dict:
    """Load one bomb in a subprocess with RLIMIT_AS at its import footprint + ``margin``."""
    proc = subprocess.run(
        [sys.executable, "-c", BOMB_RUNNER, kind, str(folder), str(margin)],
        capture_output=True, text=True, timeout=timeout, env=_env(),
    )  # fmt: skip
    out = proc.stdout
    peak = next((int(x.split()[1]) for x in out.splitlines() if x.startswith("PEAK")), None)
    return {
        "returncode": proc.returncode,
        "stdout": out,
        "stderr": proc.stderr[-2000:],
        "peak": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=4000, help="one-byte changes of a valid batch")
    parser.add_argument("--truncations", type=int, default=1000, help="cut-short valid batches")
    parser.add_argument("--bomb-mb", type=int, default=2048, help="MiB each bomb inflates to")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    crafted = crafted_pickles()
    fuzz = fuzzed(args.flips, args.truncations, args.seed)
    report = run_corpus({**crafted, **fuzz}, timeout=1800)
    if report["returncode"] != 0:
        sys.exit(
            f"the loader died (rc {report['returncode']}) on {report['last']}\n{report['stderr']}"
        )
    outcomes = report["outcomes"]
    corpus = {**crafted, **fuzz}
    by_kind: dict[str, dict[str, int]] = {}
    for name, result in outcomes.items():
        kind = corpus[name][0]
        by_kind.setdefault(kind, {}).setdefault(result.split(":")[0], 0)
        by_kind[kind][result.split(":")[0]] += 1
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}")
    print(f"{'kind':<14}{'inputs':>8}{'refused':>9}{'refused-format':>16}{'loaded':>8}{'other':>7}")
    for kind, counts in sorted(by_kind.items()):
        total = sum(counts.values())
        other = sum(v for k, v in counts.items() if k.startswith("error"))
        print(
            f"{kind:<14}{total:>8}{counts.get('refused', 0):>9}"
            f"{counts.get('refused-format', 0):>16}{counts.get('loaded', 0):>8}{other:>7}"
        )
    bad = [n for n in crafted if outcomes[n] != "refused"]
    errors = [n for n, r in outcomes.items() if r.startswith("error")]
    print(f"crafted not refused: {bad or 'none'}; other exceptions: {errors or 'none'}")
    print(
        f"peak memory of the corpus run above its baseline: "
        f"{report['peak_above_baseline'] / 2**20:.1f} MiB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("mnist", "cifar", "extract", "image"):
            folder = build_bomb(kind, Path(tmp) / kind, args.bomb_mb)
            size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            res = run_bomb(kind, folder)
            verdict = next(
                (x for x in res["stdout"].splitlines() if x.startswith(("REFUSED", "LOADED"))), None
            )
            peak = f"{res['peak'] / 2**20:.1f} MiB" if res["peak"] is not None else "?"
            claim = "900 M pixels" if kind == "image" else f"{args.bomb_mb} MiB"
            print(
                f"bomb {kind:<8} file {size / 1024:.0f} KiB, inflates to {claim}: "
                f"rc {res['returncode']}, peak +{peak}: {verdict}"
            )


if __name__ == "__main__":
    main()
