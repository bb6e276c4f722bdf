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

import errno
import json
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
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

# What a file may hold: safetensors' own cap on the JSON header, how deep a checkpoint's
# structure may nest (real ones nest a few levels; save refuses deeper ones too, so every
# file that save writes loads), and the dtypes NumPy can hold (BF16 is read as float32;
# C64 only as a NumPy array, hosila Tensors being real).
MAX_HEADER_BYTES = 100_000_000
MAX_DEPTH = 100
_MAX_JSON_DEPTH = 4 * MAX_DEPTH  # a saved level is at most 3 JSON levels: {"__dict__": [[k, v]]}
_READABLE_DTYPES = {
    "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "BF16", "F32", "F64",
    "C64",
}  # fmt: skip


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
        if len(path) > MAX_DEPTH:
            raise ValueError(
                f"save: the object is nested deeper than {MAX_DEPTH} levels at {where[:200]}..."
            )
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


def _write_error(exc: BaseException, path: str) -> OSError:
    """An OSError naming ``path`` for a failed write (a full disk, a quota, an I/O error),
    from the OSError itself or from the SafetensorError that wraps one ("... (os error 28)")."""
    code, reason = getattr(exc, "errno", None), getattr(exc, "strerror", None)
    if code is None:
        found = re.search(r"os error (\d+)", str(exc))
        code = int(found.group(1)) if found else errno.EIO
        reason = os.strerror(code) if found else None
    return OSError(
        code,
        f"save: could not write {path!r}: {reason or exc}; nothing was written (a file "
        f"already there is unchanged)",
    )


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (a state dict, or a nested checkpoint of dicts/lists/tuples/numbers/
    strings/None with Tensors or NumPy arrays anywhere) to the safetensors file ``path``.

    A flat ``{name: Tensor}`` dict keeps its names as the file's tensor names (PyTorch's
    ``safetensors.torch.load_file`` reads it). The file is written atomically (temporary file
    + rename): on any failure, a full disk included, nothing is left behind and a file that
    was at ``path`` is unchanged.

    Raises TypeError for objects that cannot be stored (naming where they are and the file),
    ValueError for structures nested deeper than ``MAX_DEPTH`` levels, FileNotFoundError when
    the directory does not exist, and OSError (naming the file) when writing fails.
    """
    path = _fspath(path, "save")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: directory {directory!r} does not exist (path {path!r})")
    if os.path.isdir(path):
        raise IsADirectoryError(f"save: {path!r} is a directory; give a file name")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(
            f"save: {path!r} exists and is not a regular file (a device, pipe or socket); "
            f"save replaces the file at path, so give the name of a file"
        )
    encoder = _Encoder()
    try:
        structure = encoder.encode(obj, [])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{exc} ({path!r} was not written)") from None
    metadata = {
        FORMAT_KEY: FORMAT_VERSION,
        STRUCTURE_KEY: json.dumps(structure, allow_nan=False, separators=(",", ":")),
    }
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp"
    )
    os.close(fd)
    try:
        try:
            save_file(encoder.tensors, tmp, metadata=metadata)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        except (SafetensorError, OSError) as exc:
            raise _write_error(exc, path) from None
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
            return a if as_numpy or marker == _ARRAY else _real(a, value, path)
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


_CONVERT = (
    "To use its weights, convert the file once in PyTorch (from a source you trust): "
    "`from safetensors.torch import save_file; "
    "save_file(torch.load(path, weights_only=True), 'model.safetensors')` "
    "(for a model: `save_file(model.state_dict(), 'model.safetensors')`), "
    "then hosila.load('model.safetensors')"
)


def _not_safetensors(path: str, head: bytes) -> str | None:
    """Why the file starting with ``head`` is some other known format, or None."""
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:  # reads the zip's directory only
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        if any(n.endswith(".npy") for n in names) and not any(n.endswith(".pkl") for n in names):
            return "a NumPy .npz archive (read it with numpy.load), not a safetensors file"
        return (
            "a PyTorch checkpoint (a zip archive holding a pickle, the format of torch.save), "
            "not a safetensors file. hosila does not read pickles: unpickling can execute any "
            "code hidden in the file. " + _CONVERT
        )
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return (
            "a Python pickle (e.g. a legacy torch.save or pickle.dump file), not a safetensors "
            "file. hosila does not read pickles: unpickling can execute any code hidden in the "
            "file. " + _CONVERT
        )
    if head.startswith(b"\x93NUMPY"):
        return "a NumPy .npy file (read it with numpy.load), not a safetensors file"
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} appears twice")
        out[k] = v
    return out


def _read_header(path: str) -> dict[str, Any]:
    """The JSON header of the safetensors file ``path``, checked before any tensor is read:
    the declared length fits the file and safetensors' 100 MB cap, the JSON is valid UTF-8
    without duplicate keys and not nested deeper than ``MAX_DEPTH``, it is an object, its
    ``__metadata__`` maps str to str and every tensor has a dtype NumPy can hold. Offsets and
    shapes are then checked by safetensors itself. Raises ValueError naming the file."""
    bad = f"load: {path!r} is not a valid safetensors file"
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        other = _not_safetensors(path, head)
        if other is not None:
            raise ValueError(f"load: {path!r} is {other}")
        if len(head) < 8:
            raise ValueError(
                f"{bad}: it is {size} bytes long, shorter than the 8-byte header length "
                f"(truncated?)"
            )
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER_BYTES:
            raise ValueError(
                f"{bad}: its first 8 bytes declare a JSON header of {n} bytes, more than "
                f"safetensors allows ({MAX_HEADER_BYTES} bytes); is it a safetensors file?"
            )
        if n > size - 8:
            raise ValueError(
                f"{bad}: it declares a JSON header of {n} bytes but only {size - 8} bytes "
                f"follow (truncated?)"
            )
        raw = f.read(n)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{bad}: its header is not UTF-8 text: {exc}") from None
    except RecursionError:
        raise ValueError(f"{bad}: its JSON header is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and duplicate keys
        raise ValueError(f"{bad}: its JSON header is malformed: {exc}") from None
    if not isinstance(header, dict):
        raise ValueError(
            f"{bad}: its JSON header must be an object (name -> tensor), got a "
            f"{type(header).__name__}"
        )
    meta = header.get("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError(f"{bad}: its __metadata__ must map strings to strings, got {meta!r:.200}")
    for key, info in header.items():
        if key == "__metadata__":
            continue
        dtype = info.get("dtype") if isinstance(info, dict) else None
        if not isinstance(dtype, str):
            raise ValueError(f"{bad}: the entry of tensor {key!r} has no dtype: {info!r:.200}")
        if dtype not in _READABLE_DTYPES:
            raise ValueError(
                f"load: cannot read the tensor {key!r} of {path!r}: its dtype {dtype} has no "
                f"NumPy equivalent (readable: {', '.join(sorted(_READABLE_DTYPES))})"
            )
    return header


def _check_depth(obj: Any, path: str, depth: int = 0) -> None:
    """Refuse a structure nested deeper than anything save writes (``MAX_DEPTH`` levels)."""
    if depth > _MAX_JSON_DEPTH:
        raise ValueError(
            f"load: {path!r} has a corrupted structure entry: nested deeper than "
            f"{_MAX_JSON_DEPTH} JSON levels (save writes at most {MAX_DEPTH} levels of objects)"
        )
    children = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ()
    for v in children:
        _check_depth(v, path, depth + 1)


def _real(a: np.ndarray, key: str, path: str) -> Tensor:
    if a.dtype.kind == "c":
        raise ValueError(
            f"load: the tensor {key!r} of {path!r} is {a.dtype}, and hosila Tensors are real; "
            f"load(path, as_numpy=True) gives it as a NumPy array"
        )
    return from_numpy(a)


def _check_load_options(as_numpy: Any, map_location: Any, weights_only: Any) -> None:
    if not isinstance(as_numpy, bool | np.bool_):
        hint = (
            "; PyTorch's map_location is a keyword argument here: load(path, map_location=...)"
            if isinstance(as_numpy, str | dict) or callable(as_numpy)
            else ""
        )
        raise TypeError(f"load: as_numpy must be a bool, got {as_numpy!r:.80}{hint}")
    device_like = isinstance(getattr(map_location, "type", None), str)  # e.g. torch.device
    if not (
        map_location is None
        or isinstance(map_location, str | dict)
        or callable(map_location)
        or device_like
    ):
        raise TypeError(
            f"load: map_location must be None, a device string such as 'cpu', a device, a "
            f"dict or a callable (as in torch.load), got {type(map_location).__name__}"
        )
    if isinstance(map_location, dict) and not all(
        isinstance(k, str) and (isinstance(v, str) or isinstance(getattr(v, "type", None), str))
        for k, v in map_location.items()
    ):
        raise TypeError(
            f"load: a map_location dict must map device strings to devices, got "
            f"{map_location!r:.80}"
        )
    if weights_only is not None and not isinstance(weights_only, bool | np.bool_):
        raise TypeError(f"load: weights_only must be None or a bool, got {weights_only!r:.80}")


def load(
    path: str | os.PathLike,
    as_numpy: bool = False,
    *,
    map_location: str | dict[str, str] | Callable[..., Any] | None = None,
    weights_only: bool | None = None,
) -> Any:
    """Read a file written by :func:`save` (or any safetensors file, e.g. one written by
    PyTorch's ``safetensors.torch.save_file``) and return what was saved.

    Tensors come back as hosila Tensors (arrays saved as NumPy arrays stay arrays); with
    ``as_numpy=True`` every tensor is a NumPy array. A safetensors file without hosila's
    structure entry loads as a flat dict ``name → Tensor``. Each tensor keeps the dtype and
    shape in the file, e.g. a Linear's ``weight`` ``(out, in)`` float32.

    NumPy has no bfloat16: such tensors (common in PyTorch checkpoints) load as float32,
    which holds every bfloat16 value exactly. complex64 tensors load only with
    ``as_numpy=True`` (hosila Tensors are real).

    ``map_location`` and ``weights_only`` are accepted so that code written for
    ``torch.load`` runs unchanged, and do nothing here: hosila's tensors live in NumPy (CPU)
    memory whatever ``map_location`` names, and loading parses JSON and copies bytes, so it
    never executes code from the file, whatever ``weights_only`` says. Their types are
    checked as ``torch.load`` takes them (``map_location``: None, a device string, a device,
    a dict of device strings or a callable; ``weights_only``: None or a bool).

    Raises FileNotFoundError for a missing file; TypeError for arguments of the wrong type;
    ValueError (naming the file) for one that is not a valid safetensors file (corrupted,
    truncated, a malformed or oversized header, overlapping or out-of-range offsets, shapes
    that do not match the bytes, a structure nested too deeply) or holds a dtype NumPy
    cannot represent (e.g. float8); and a ValueError saying how to convert it for a PyTorch
    pickle (``torch.save``), which is never unpickled.
    """
    _check_load_options(as_numpy, map_location, weights_only)
    as_numpy = bool(as_numpy)
    path = _fspath(path, "load")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"load: {path!r} is a directory, expected a safetensors file")
    header = _read_header(path)
    try:
        with safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            arrays = {}
            for key in f.keys():  # noqa: SIM118 - safe_open has keys(), no __iter__
                if header[key]["dtype"] == "BF16":
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
        return {k: (a if as_numpy else _real(a, k, path)) for k, a in arrays.items()}
    try:
        structure = json.loads(metadata[STRUCTURE_KEY])
    except RecursionError:
        raise ValueError(
            f"load: {path!r} has a corrupted structure entry: nested too deeply"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"load: {path!r} has a corrupted structure entry: {exc}") from None
    _check_depth(structure, path)
    try:
        return _decode(structure, arrays, as_numpy, path)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("load:"):
            raise
        raise ValueError(f"load: {path!r} has a corrupted structure entry: {exc}") from None
