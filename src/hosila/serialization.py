"""``hosila.save`` / ``hosila.load``: checkpoints as safetensors files.

A file written by :func:`save` is a plain `safetensors <https://github.com/huggingface/safetensors>`_
file: a JSON header, then the raw bytes of every array. Loading it parses JSON and copies
bytes, so it never executes code (unlike pickle-based checkpoints).

* A flat dict ``name → Tensor/ndarray`` (a model's ``state_dict()``) is stored under exactly
  those names, so PyTorch reads it with ``safetensors.torch.load_file(path)``; conversely a
  file written by ``safetensors.torch.save_file`` loads here as a dict of hosila Tensors.
* Any nested checkpoint (``{"model": ..., "optimizer": opt.state_dict(), "epoch": 3,
  "config": {...}, "rng": hosila.random.get_rng_state()}``) works too: arrays and tensors go
  into the tensor table under dotted keys (``"model.fc.weight"``, ``"optimizer.state.0.exp_avg"``),
  and everything else is stored as JSON in the header's ``__metadata__`` (entry
  ``"hosila.structure"``), which records where each tensor goes back.

What comes back is the same structure: dicts (with their key types: the int keys of an
optimizer's state stay ints), lists, tuples (e.g. Adam's ``betas``), ``None``, bools, ints
(of any size), floats (``inf`` and ``nan`` included) and strings. Tensors come back as
hosila Tensors and NumPy arrays as NumPy arrays (``as_numpy=True``: everything as arrays),
with their dtype and shape. NumPy scalars (``np.float32(1.5)``) come back as Python numbers.
The file is written to a temporary file in the same directory and renamed over ``path``, so
a crash never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from hosila.tensor import Tensor, from_numpy

__all__ = ["save", "load"]

FORMAT_KEY = "hosila.format"
STRUCTURE_KEY = "hosila.structure"
FORMAT_VERSION = "1"

# markers of the JSON encoding of non-JSON values (a dict with one of these keys)
_TENSOR, _ARRAY, _TUPLE, _DICT, _FLOAT = (
    "__tensor__",
    "__ndarray__",
    "__tuple__",
    "__dict__",
    "__float__",
)
_MARKERS = {_TENSOR, _ARRAY, _TUPLE, _DICT, _FLOAT}
_SUPPORTED_KINDS = "biuf"  # bool, signed/unsigned ints, floats (what safetensors stores)


def _fspath(path: Any, op: str) -> str:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{op}: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return os.path.expanduser(path)


# ---- encoding -------------------------------------------------------------------------------


class _Encoder:
    """Turn a nested object into JSON-able data, collecting arrays into ``self.tensors``."""

    def __init__(self) -> None:
        self.tensors: dict[str, np.ndarray] = {}

    def _key(self, path: list[str]) -> str:
        base = ".".join(path) if path else "tensor"
        key, n = base, 1
        while key in self.tensors or key == "__metadata__":  # {"a.b": x, "a": {"b": y}}
            key = f"{base}~{n}"
            n += 1
        return key

    def _array(self, a: np.ndarray, where: str) -> np.ndarray:
        if a.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(
                f"save: the array at {where} has dtype {a.dtype}; safetensors stores bool, "
                f"integer and float arrays only"
            )
        return a if a.flags.c_contiguous else a.copy(order="C")  # (keeps 0-d arrays 0-d)

    def encode(self, obj: Any, path: list[str]) -> Any:
        where = "obj" + "".join(f"[{p!r}]" for p in path)
        if isinstance(obj, Tensor):
            key = self._key(path)
            self.tensors[key] = self._array(obj.data, where)
            return {_TENSOR: key}
        if isinstance(obj, np.ndarray):
            key = self._key(path)
            self.tensors[key] = self._array(obj, where)
            return {_ARRAY: key}
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, np.generic):
            if obj.dtype.kind not in _SUPPORTED_KINDS:
                raise TypeError(f"save: cannot store the NumPy scalar {obj!r} at {where}")
            obj = obj.item()
        if isinstance(obj, bool):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            obj = float(obj)
            if math.isfinite(obj):
                return obj
            return {_FLOAT: "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, list):
            return [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {_TUPLE: [self.encode(v, [*path, str(i)]) for i, v in enumerate(obj)]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj) and not (_MARKERS & set(obj)):
                return {k: self.encode(v, [*path, k]) for k, v in obj.items()}
            pairs = []
            for k, v in obj.items():
                if (
                    not isinstance(k, str | int | float | bool | tuple | np.generic)
                    and k is not None
                ):
                    raise TypeError(
                        f"save: dict keys must be str, int, float, bool, None or tuples of "
                        f"those; got a key of type {type(k).__name__} at {where}"
                    )
                pairs.append([self.encode(k, [*path, "key"]), self.encode(v, [*path, str(k)])])
            return {_DICT: pairs}
        raise TypeError(
            f"save: cannot store an object of type {type(obj).__name__} at {where}; supported "
            f"are Tensors, NumPy arrays, dicts, lists, tuples, str, int, float, bool and None"
        )


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or a nested checkpoint of dicts/lists/tuples/numbers/
    strings/None with Tensors or NumPy arrays anywhere) to the safetensors file ``path``.

    A flat ``{name: Tensor}`` dict keeps its names as the file's tensor names (PyTorch's
    ``safetensors.torch.load_file`` reads it). The file is written atomically (temporary file
    + rename). Raises TypeError for objects that cannot be stored (naming where they are) and
    FileNotFoundError when the directory does not exist.
    """
    path = _fspath(path, "save")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: directory {directory!r} does not exist (path {path!r})")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name")
    encoder = _Encoder()
    structure = encoder.encode(obj, [])
    metadata = {
        FORMAT_KEY: FORMAT_VERSION,
        STRUCTURE_KEY: json.dumps(structure, allow_nan=False, separators=(",", ":")),
    }
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    os.close(fd)
    try:
        save_file(encoder.tensors, tmp, metadata=metadata)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private (0600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ---- decoding -------------------------------------------------------------------------------


def _decode(obj: Any, arrays: dict[str, np.ndarray], as_numpy: bool, path: str) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays, as_numpy, path) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        ((marker, value),) = obj.items()
        if marker in (_TENSOR, _ARRAY):
            if not isinstance(value, str) or value not in arrays:
                raise ValueError(
                    f"load: {path!r} is corrupted: its structure refers to a tensor {value!r} "
                    f"that the file does not contain"
                )
            a = arrays[value]
            return a if as_numpy or marker == _ARRAY else from_numpy(a)
        if marker == _TUPLE:
            return tuple(_decode(v, arrays, as_numpy, path) for v in value)
        if marker == _FLOAT:
            return float(value)
        if marker == _DICT:
            out = {}
            for k, v in value:
                k = _decode(k, arrays, as_numpy, path)
                out[k] = _decode(v, arrays, as_numpy, path)
            return out
    return {k: _decode(v, arrays, as_numpy, path) for k, v in obj.items()}


def _read_bfloat16(path: str, key: str) -> np.ndarray:
    """Read the bfloat16 tensor ``key`` as float32: a bfloat16 is the upper half of a float32.

    Called only after ``safe_open`` has validated the header and the offsets."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        info = json.loads(f.read(n))[key]
        start, end = info["data_offsets"]
        f.seek(8 + n + start)
        raw = np.frombuffer(f.read(end - start), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])


def load(path: str | os.PathLike, as_numpy: bool = False) -> Any:
    """Read a file written by :func:`save` (or any safetensors file, e.g. one written by
    PyTorch's ``safetensors.torch.save_file``) and return what was saved.

    Tensors come back as hosila Tensors (arrays saved as NumPy arrays stay arrays); with
    ``as_numpy=True`` every tensor is a NumPy array. A safetensors file without hosila's
    structure entry loads as a flat dict ``name → Tensor``.

    NumPy has no bfloat16: such tensors (common in PyTorch checkpoints) load as float32,
    which holds every bfloat16 value exactly.

    Raises FileNotFoundError for a missing file and ValueError (naming the file) for one
    that is not a valid safetensors file (corrupted or truncated) or holds a dtype NumPy
    cannot represent (e.g. float8).
    """
    path = _fspath(path, "load")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory, expected a safetensors file")
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            arrays = {}
            for key in f.keys():  # noqa: SIM118 - safe_open has keys(), no __iter__
                if f.get_slice(key).get_dtype() == "BF16":
                    arrays[key] = _read_bfloat16(path, key)
                    continue
                a = f.get_tensor(key)
                arrays[key] = a if a.flags.writeable else a.copy()
    except SafetensorError as exc:
        raise ValueError(
            f"load: {path!r} is not a valid safetensors file (corrupted or truncated?): {exc}"
        ) from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # e.g. a float8 dtype
        raise ValueError(f"load: cannot read the tensors of {path!r}: {exc}") from None
    if STRUCTURE_KEY not in metadata:
        return {k: (a if as_numpy else from_numpy(a)) for k, a in arrays.items()}
    try:
        structure = json.loads(metadata[STRUCTURE_KEY])
    except json.JSONDecodeError as exc:
        raise ValueError(f"load: {path!r} has a corrupted structure entry: {exc}") from None
    try:
        return _decode(structure, arrays, as_numpy, path)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("load:"):
            raise
        raise ValueError(f"load: {path!r} has a corrupted structure entry: {exc}") from None
