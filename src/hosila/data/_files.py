"""Reading the data-set files safely: a restricted unpickler (for the CIFAR pickles),
the IDX format (MNIST), downloads with an MD5 check, and tar extraction that cannot
write outside its target folder.

Whatever is wrong with a file surfaces as a ``ValueError`` that names the file and the
problem, never as a half-way NumPy error, a crash or a machine out of memory:

* pickles go through :func:`safe_unpickle`, which admits plain containers and NumPy
  arrays of a few plain dtypes only, and checks every dtype and array state itself
  instead of handing it to NumPy (see the comment above :data:`ALLOWED_DTYPES` for how);
  every failure is an :class:`UnsafePickleError`;
* compressed files are inflated as a stream, only as far as their header (or the
  caller's cap) allows (:func:`read_idx_file`, :func:`read_maybe_gzip`);
* archive members are checked against size caps from their tar headers before anything
  is inflated or written (:func:`check_member_sizes`, :func:`safe_extract`).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import io
import math
import os
import pickle
import pickletools
import shutil
import struct
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np

from hosila.data._util import atomic_write

# --- restricted unpickling -------------------------------------------------------------
#
# How a NumPy array is pickled, and why the real NumPy functions are not handed to the
# unpickler: NumPy writes an array as ``_reconstruct(ndarray, (0,), b'b')`` followed by a
# BUILD with the state ``(1, shape, dtype, is_fortran, data)``, and the dtype inside it as
# ``dtype('u1', False, True)`` followed by a BUILD with ``(3, '|', None, None, None, -1,
# -1, 0)``; at protocol 5 the array is ``_frombuffer(data, dtype, shape, order)``. BUILD
# calls the object's ``__setstate__`` with whatever state the file holds, and
# ``numpy.dtype.__setstate__`` trusts it: a 6-tuple state, a field whose type is a bytes
# object or an "object" flag on uint8 gives a dtype that crashes the interpreter (SIGSEGV)
# when an array of it is made. So the allowed globals below are *proxies*: ``dtype(...)``
# returns a :class:`_DtypeProxy`, ``_reconstruct(...)`` an :class:`_ArrayProxy`, and their
# own ``__setstate__`` checks the state against the only values NumPy itself writes for
# the few dtypes in :data:`ALLOWED_DTYPES`, then builds the real dtype or array from the
# checked values. No real dtype or array is ever on the unpickler's stack, so no BUILD
# can reach NumPy's ``__setstate__``. After loading, :func:`_resolve` replaces the proxies
# in the loaded containers by the real objects (and refuses unfinished ones).
#
# Before the unpickler runs, :func:`_prescan` walks the opcodes once without building
# anything and refuses the two things that cost memory out of proportion to the file: a
# length field claiming more bytes than the file holds (the C unpickler allocates the
# claimed size first) and a memo index larger than the file (the memo is grown to twice
# the index and zeroed: a 10-byte file could take 32 GB).

# The dtypes an array in a pickle may have: what NumPy writes for the uint8 images of
# the CIFAR batches and for int32/int64 label arrays. Nothing with fields, sub-arrays,
# objects or a byte order other than the ones listed.
ALLOWED_DTYPES: dict[str, tuple[str, ...]] = {
    "u1": ("|",),
    "i4": ("<", ">", "="),
    "i8": ("<", ">", "="),
}
_MAX_NDIM = 32  # NumPy's own limit is 64; the CIFAR arrays have 2 dimensions
_MAX_DEPTH = 64  # containers nested deeper than this are refused (the CIFAR dicts: 2)
_ATOMS = (type(None), bool, int, float, complex, str, bytes, bytearray)


class UnsafePickleError(ValueError, pickle.UnpicklingError):
    """A pickle that names something other than plain containers and NumPy arrays of
    the allowed dtypes, or that is not a valid pickle at all (truncated, corrupt, out of
    memory, too deeply nested, ...). Both a ``ValueError`` and a
    ``pickle.UnpicklingError``; the message names the file."""


def _refuse(message: str) -> NoReturn:
    raise pickle.UnpicklingError(message)


def _ascii(value: Any, what: str) -> str:
    """A short str from a pickle (Python 2 strings arrive as bytes)."""
    if isinstance(value, bytes) and len(value) <= 16:
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            pass
    elif isinstance(value, str) and len(value) <= 16:
        return value
    _refuse(f"{what} must be a short ASCII string, got {_short(value)}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_flag(value: Any) -> bool:
    # NumPy writes False/True; NumPy of the Python 2 era wrote the ints 0 and 1.
    return type(value) in (bool, int) and value in (0, 1)


class _DtypeProxy:
    """Stands for ``numpy.dtype(spec)`` while a pickle loads; :meth:`__setstate__`
    accepts only the state NumPy writes for that spec."""

    __slots__ = ("dtype", "spec")

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.dtype: np.dtype | None = None

    def __setstate__(self, state: Any) -> None:
        if self.dtype is not None:
            _refuse("a dtype's state is given twice")
        if not isinstance(state, tuple) or len(state) not in (8, 9):
            _refuse(f"unexpected dtype state {_short(state)} (expected NumPy's 8-tuple)")
        if len(state) == 9 and state[8] not in (None, {}):
            _refuse("dtype metadata is not allowed")
        version, order, subarray, names, fields, elsize, alignment, flags = state[:8]
        order = _ascii(order, "the dtype's byte order")
        expected = (3, None, None, None, -1, -1, 0)
        got = (version, subarray, names, fields, elsize, alignment, flags)
        if any(type(g) is not type(e) or g != e for g, e in zip(got, expected, strict=True)):
            _refuse(
                f"dtype {self.spec!r} with state {_short(state)}: only plain dtypes without "
                f"fields, sub-arrays or flags are allowed"
            )
        if order not in ALLOWED_DTYPES[self.spec]:
            _refuse(f"dtype {self.spec!r} with byte order {order!r} is not allowed")
        dtype = np.dtype(self.spec)
        self.dtype = dtype if order in ("|", "=") else dtype.newbyteorder(order)


class _ArrayProxy:
    """Stands for a NumPy array while a pickle loads; :meth:`__setstate__` takes NumPy's
    ``(version, shape, dtype, is_fortran, data)`` state, checks every part and builds the
    array from the bytes (a copy, so the array is writable)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray | None = None) -> None:
        self.array = array

    def __setstate__(self, state: Any) -> None:
        if self.array is not None:
            _refuse("an array's state is given twice")
        if isinstance(state, tuple) and len(state) == 5 and type(state[0]) is int:
            if state[0] != 1:
                _refuse(f"array state version {state[0]} is not supported")
            state = state[1:]
        if not isinstance(state, tuple) or len(state) != 4:
            _refuse(f"unexpected array state {_short(state)}")
        shape, dtype, fortran, data = state
        if not _is_flag(fortran):
            _refuse(f"the array's order flag must be True or False, got {_short(fortran)}")
        self.array = _make_array(data, dtype, shape, "F" if fortran else "C")


def _make_array(data: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    """A writable array of ``shape`` from the bytes ``data``, every argument checked."""
    if not isinstance(dtype, _DtypeProxy) or dtype.dtype is None:
        _refuse(f"an array's dtype must be a complete plain dtype, got {_short(dtype)}")
    if (
        not isinstance(shape, tuple)
        or len(shape) > _MAX_NDIM
        or not all(type(d) is int and d >= 0 for d in shape)
    ):
        _refuse(f"an array's shape must be a tuple of at most {_MAX_NDIM} sizes, got {shape!r}")
    if not isinstance(data, (bytes, bytearray)):
        _refuse(f"an array's data must be bytes, got {type(data).__name__}")
    need = math.prod(shape) * dtype.dtype.itemsize
    if len(data) != need:
        _refuse(
            f"an array of shape {shape} and dtype {dtype.dtype} needs {need} bytes of data, "
            f"the pickle holds {len(data)}"
        )
    flat = np.frombuffer(data, dtype=dtype.dtype)
    return flat.reshape(shape, order=order).copy(order=order)


def _dtype(spec: Any, align: Any = False, copy: Any = True) -> _DtypeProxy:
    spec = _ascii(spec, "a dtype")
    if spec not in ALLOWED_DTYPES:
        _refuse(
            f"dtype {spec!r} is not allowed: only the plain dtypes {sorted(ALLOWED_DTYPES)} "
            f"are (no arrays of Python objects, records or other types)"
        )
    if not (_is_flag(align) and _is_flag(copy)):
        _refuse(f"unexpected dtype arguments {_short((spec, align, copy))}")
    return _DtypeProxy(spec)


class _NdarrayToken:
    """What the global ``numpy.ndarray`` stands for: only a marker for ``_reconstruct``
    (it cannot be called)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "numpy.ndarray"


_NDARRAY = _NdarrayToken()


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> _ArrayProxy:
    if cls is not _NDARRAY:
        _refuse(f"_reconstruct of {_short(cls)}: only numpy.ndarray is allowed")
    if shape != (0,) or typecode not in (b"b", "b"):
        _refuse(f"unexpected _reconstruct arguments {_short((shape, typecode))}")
    return _ArrayProxy()


def _frombuffer(buf: Any, dtype: Any, shape: Any, order: Any) -> _ArrayProxy:
    # Protocol 5: the data comes in band, as a bytearray.
    if order not in ("C", "F"):
        _refuse(f"an array's order must be 'C' or 'F', got {_short(order)}")
    return _ArrayProxy(_make_array(buf, dtype, shape, order))


def _latin1_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    # Python 3 writes ``bytes`` at pickle protocol 2 as ``_codecs.encode(str, 'latin1')``.
    if encoding not in ("latin1", "latin-1"):
        _refuse(f"_codecs.encode with encoding {_short(encoding)} is not allowed")
    if not isinstance(text, str):
        _refuse(f"_codecs.encode of {type(text).__name__} is not allowed")
    return text.encode("latin1")


def _empty_bytes(*args: Any) -> bytes:
    # Python 3 writes ``b""`` at pickle protocols 0-2 as ``bytes()`` (an empty array's data).
    if args:
        _refuse(f"bytes{_short(args)} is not allowed (only bytes() for b'')")
    return b""


# Everything a pickle may name: plain containers need no globals at all; NumPy arrays
# need these (module names of NumPy 1 and NumPy 2), each replaced by a checking proxy.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): _latin1_encode,
    ("__builtin__", "bytes"): _empty_bytes,
    ("builtins", "bytes"): _empty_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only dicts, lists, tuples, sets, strings, bytes, numbers
    and (through the proxies above) NumPy arrays of the allowed dtypes: any other global
    a pickle names is refused before it is looked up, so a tampered file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(
                f"refusing to load the global {module[:60]}.{name[:60]} (only plain "
                f"containers and NumPy arrays are allowed)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")


# Lengths in the argument of these pickletools argument kinds: (bytes of the length
# field, its struct format); the argument's data follows.
_LENGTH_PREFIXED = {-2: (1, "<B"), -3: (4, "<i"), -4: (4, "<I"), -5: (8, "<Q")}
_OPCODES = {op.code.encode("latin1"): op for op in pickletools.opcodes}
_MEMO_PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}


def _prescan(raw: bytes) -> None:
    """Walk the opcodes of ``raw`` without building anything: refuse unknown opcodes,
    length fields that claim more bytes than remain, and memo indices beyond the file's
    length (a real pickle numbers its memo entries from 0, one per memo opcode)."""
    pos, end = 0, len(raw)
    while pos < end:
        start = pos
        op = _OPCODES.get(raw[pos : pos + 1])
        if op is None:
            _refuse(f"unknown opcode {raw[pos : pos + 1]!r} at byte {pos}")
        pos += 1
        arg = op.arg
        if arg is None:
            value = None
        elif arg.n >= 0:
            if pos + arg.n > end:
                _refuse(f"pickle data was truncated (opcode {op.name} at byte {start})")
            value = raw[pos : pos + arg.n]
            pos += arg.n
        elif arg.n == pickletools.UP_TO_NEWLINE:
            lines = 2 if arg.name == "stringnl_noescape_pair" else 1
            value = b""
            for _ in range(lines):
                nl = raw.find(b"\n", pos)
                if nl < 0:
                    _refuse(f"pickle data was truncated (opcode {op.name} at byte {start})")
                value, pos = raw[pos:nl], nl + 1
        else:
            size, fmt = _LENGTH_PREFIXED[arg.n]
            if pos + size > end:
                _refuse(f"pickle data was truncated (opcode {op.name} at byte {start})")
            (length,) = struct.unpack_from(fmt, raw, pos)
            pos += size
            if length < 0 or length > end - pos:
                _refuse(
                    f"opcode {op.name} at byte {start} claims {length} bytes, but only "
                    f"{end - pos} remain"
                )
            value = None
            pos += length
        if op.name in _MEMO_PUTS:
            assert value is not None
            index = int(value) if op.name == "PUT" else int.from_bytes(value, "little")
            if not 0 <= index <= start:
                _refuse(f"memo index {index} at byte {start} is out of range")
        if op.name == "STOP":
            return
    _refuse("pickle data was truncated (no STOP opcode)")


def _resolve(obj: Any, memo: dict[int, Any], depth: int = 0) -> Any:
    """``obj`` with every proxy replaced by its array or dtype (containers are copied
    once each, in the same shape; shared and self-referencing lists and dicts stay so)."""
    if type(obj) in _ATOMS:
        return obj
    key = id(obj)
    if key in memo:
        return memo[key]
    if depth > _MAX_DEPTH:
        _refuse(f"containers nested deeper than {_MAX_DEPTH} levels (or a cycle through a tuple)")
    if isinstance(obj, _ArrayProxy):
        if obj.array is None:
            _refuse("an array without its data")
        return obj.array
    if isinstance(obj, _DtypeProxy):
        if obj.dtype is None:
            _refuse("a dtype without its state")
        return obj.dtype
    if type(obj) is list:
        out_list: list[Any] = []
        memo[key] = out_list
        out_list.extend(_resolve(v, memo, depth + 1) for v in obj)
        return out_list
    if type(obj) is dict:
        out_dict: dict[Any, Any] = {}
        memo[key] = out_dict
        for k, v in obj.items():
            out_dict[_resolve(k, memo, depth + 1)] = _resolve(v, memo, depth + 1)
        return out_dict
    if type(obj) in (tuple, set, frozenset):
        out = type(obj)(_resolve(v, memo, depth + 1) for v in obj)
        memo[key] = out
        return out
    _refuse(f"unexpected object of type {type(obj).__name__}")


def safe_unpickle(raw: bytes, name: str) -> Any:
    """Unpickle ``raw`` (Python 2 strings as bytes) with :class:`_RestrictedUnpickler`.

    Returns plain containers, numbers, strings, bytes and NumPy arrays of the
    :data:`ALLOWED_DTYPES`. Raises :class:`UnsafePickleError` (a ValueError) naming
    ``name`` for anything else: a global that is not allowed, a dtype or array state that
    is not what NumPy writes, a truncated or corrupt pickle, and any error the unpickler
    meets on the way (overflow, bad UTF-8, out of memory, too deep, ...)."""
    try:
        _prescan(raw)
        loaded = _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
        return _resolve(loaded, {})
    except (pickle.UnpicklingError, EOFError) as exc:
        raise UnsafePickleError(f"{name}: not a valid or not a safe pickle: {exc}") from None
    except Exception as exc:  # any failure inside the unpickler means a bad file
        raise UnsafePickleError(
            f"{name}: corrupt pickle: {type(exc).__name__}: {_short(str(exc))}"
        ) from None


# --- IDX (MNIST) -------------------------------------------------------------------------

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# The most an IDX file (or any gzipped file read here) may hold once decompressed,
# unless the caller says otherwise: 1 GiB, 20 times MNIST's largest file (47 MB).
MAX_DECOMPRESSED_BYTES = 1 << 30


def _idx_header(raw: bytes, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, header length) from the start of an IDX file; the whole file is
    ``header length + prod(shape) * itemsize`` bytes."""
    if len(raw) < 4:
        raise ValueError(f"{name}: too short for an IDX file ({len(raw)} bytes)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] == 0:
        raise ValueError(
            f"{name}: bad IDX magic number 0x{raw[:4].hex()} (expected 00 00 <type> <ndim> "
            f"with type one of {[hex(t) for t in _IDX_TYPES]})"
        )
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{name}: truncated IDX header ({len(raw)} of {header} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return dtype, shape, header


def read_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse an IDX file (magic ``00 00 <type> <ndim>``, ``ndim`` big-endian uint32
    sizes, then the values, big-endian) into an array in native byte order.

    Raises ValueError naming ``name`` for a bad magic number or a size that does not
    match the header."""
    dtype, shape, header = _idx_header(raw, name)
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: {what}: the header says shape {shape} of {dtype.name}, i.e. "
            f"{expected} bytes, but the file has {len(raw)}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    """``path`` opened for reading, through a streaming decompressor if it ends in
    ``.gz`` (reads then inflate only as much as is asked for)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_bounded(f: IO[bytes], size: int, path: Path, what: str) -> bytes:
    """Exactly the next ``size`` bytes of ``f`` (fewer only at the end of the data);
    one more byte means the data goes on past ``size``: refused."""
    data = f.read(size + 1)
    if len(data) > size:
        raise ValueError(
            f"{path}: the data goes on past the {size} bytes {what}; refusing to read "
            f"further (a corrupt file, or a decompression bomb)"
        )
    return data


def read_idx_file(path: Path, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> np.ndarray:
    """Read the IDX file ``path`` (raw, or gzipped if it ends in ``.gz``) into an array,
    as :func:`read_idx` does, reading and inflating no more than the header implies.

    The header's size must not exceed ``max_bytes``. Raises ValueError naming ``path``
    for a bad header, a file that is shorter or longer than its header says (checked
    before anything past the header is read, so a gzip bomb is never inflated) or a
    corrupt gzip stream."""
    name = str(path)
    try:
        with _open_maybe_gzip(path) as f:
            head = f.read(4)
            if len(head) == 4 and head[3] > 0:
                head += f.read(4 * head[3])
            dtype, shape, header = _idx_header(head, name)
            expected = header + math.prod(shape) * dtype.itemsize
            if expected > max_bytes:
                raise ValueError(
                    f"{name}: the IDX header says shape {shape} of {dtype.name}, i.e. "
                    f"{expected} bytes, more than the {max_bytes} allowed"
                )
            if path.suffix != ".gz" and os.fstat(f.fileno()).st_size > expected:
                raise ValueError(
                    f"{name}: has trailing bytes: the header says shape {shape} of "
                    f"{dtype.name}, i.e. {expected} bytes, but the file has "
                    f"{os.fstat(f.fileno()).st_size}"
                )
            body = _read_bounded(
                f, expected - header, path, f"its IDX header implies (shape {shape})"
            )
    except (OSError, EOFError, zlib.error) as exc:
        if path.suffix != ".gz" and isinstance(exc, OSError):
            raise  # a plain file that cannot be read: the OSError says why
        raise ValueError(f"{path}: corrupt or truncated gzip file: {exc}") from None
    return read_idx(head + body, name)


def read_maybe_gzip(path: Path, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """The bytes of ``path``, decompressed if it ends in ``.gz``; more than
    ``max_bytes`` (after decompression) is refused with a ValueError naming ``path``,
    without inflating the rest."""
    try:
        with _open_maybe_gzip(path) as f:
            return _read_bounded(f, max_bytes, path, "allowed")
    except (OSError, EOFError, zlib.error) as exc:
        if path.suffix != ".gz" and isinstance(exc, OSError):
            raise  # a plain file that cannot be read: the OSError says why
        raise ValueError(f"{path}: corrupt or truncated gzip file: {exc}") from None


# --- downloads and archives ----------------------------------------------------------------


def md5_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex MD5 of a file (used to check downloads, not for security)."""
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest: Path, md5: str | None, timeout: float = 60.0) -> Path:
    """Fetch ``url`` into ``dest`` (atomically) and check its MD5.

    Raises ValueError if the MD5 differs (nothing is left at ``dest`` then) and OSError
    if the server cannot be reached."""
    h = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, atomic_write(dest) as f:
            expected = resp.headers.get("Content-Length")
            received = 0
            while block := resp.read(1 << 20):
                f.write(block)
                h.update(block)
                received += len(block)
            if expected is not None and expected.isdigit() and received != int(expected):
                raise OSError(
                    f"could not download {url}: the connection ended after {received} of "
                    f"{expected} bytes; nothing was saved"
                )
            if md5 is not None and h.hexdigest() != md5:
                raise ValueError(
                    f"{url}: MD5 of the download is {h.hexdigest()}, expected {md5}: the "
                    f"file is corrupt or not the official one; nothing was saved"
                )
    except urllib.error.URLError as exc:
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # an HTTP error carries the open response
        raise OSError(f"could not download {url}: {exc.reason}") from None
    except http.client.HTTPException as exc:  # e.g. the connection broke off mid-way
        raise OSError(f"could not download {url}: {type(exc).__name__}: {exc}") from None
    return dest


def check_member_sizes(
    archive: Path,
    member: tarfile.TarInfo,
    total: int,
    max_member_bytes: int | None,
    max_total_bytes: int | None,
) -> int:
    """``total + member.size`` after checking the member's size (from its tar header,
    before anything is inflated) against the caps; raises ValueError naming the archive
    and the member otherwise."""
    if max_member_bytes is not None and member.size > max_member_bytes:
        raise ValueError(
            f"{archive}: member {member.name!r} has {member.size} bytes, more than the "
            f"{max_member_bytes} a file of this data set can have; refusing to read it"
        )
    total += member.size
    if max_total_bytes is not None and total > max_total_bytes:
        raise ValueError(
            f"{archive}: the members add up to more than the {max_total_bytes} bytes this "
            f"data set's archive can hold; refusing to read further"
        )
    return total


def safe_extract(
    archive: Path,
    dest: Path,
    max_member_bytes: int | None = None,
    max_total_bytes: int | None = None,
) -> None:
    """Unpack a tar archive into ``dest``, refusing members that are links, devices,
    absolute paths or that climb out with ``..``, and (if given) members larger than
    ``max_member_bytes`` or more than ``max_total_bytes`` in all. Everything is checked
    before the first file is written."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            members: list[tarfile.TarInfo] = []
            total = 0
            for m in tar:
                parts = Path(m.name).parts
                if m.name.startswith(("/", "\\")) or ".." in parts or not (m.isfile() or m.isdir()):
                    raise ValueError(f"{archive}: refusing to extract unsafe member {m.name!r}")
                total = check_member_sizes(archive, m, total, max_member_bytes, max_total_bytes)
                members.append(m)
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **kwargs)  # noqa: S202 (checked above)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"{archive}: corrupt or truncated archive: {exc}") from None


def extract_folder(
    archive: Path,
    folder: str,
    root: Path,
    max_member_bytes: int | None = None,
    max_total_bytes: int | None = None,
) -> Path:
    """Unpack ``archive`` (with :func:`safe_extract` and its size caps) and move its top
    folder ``folder`` into ``root`` in one step, so a failed unpacking never leaves a
    half-filled ``root/folder``."""
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=root))
    try:
        safe_extract(archive, tmp, max_member_bytes, max_total_bytes)
        if not (tmp / folder).is_dir():
            raise ValueError(f"{archive}: the archive has no top folder {folder!r}")
        target = root / folder
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp / folder, target)
        return target
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
