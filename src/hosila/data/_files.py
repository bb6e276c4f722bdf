"""Reading the data-set files safely: a restricted unpickler (for the CIFAR pickles),
the IDX format (MNIST), downloads with an MD5 check, and tar extraction that cannot
write outside its target folder.

Whatever is wrong with a file surfaces as a ``ValueError`` that names the file and the
problem, never as a half-way NumPy error.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import io
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from hosila.data._util import atomic_write

# --- restricted unpickling -------------------------------------------------------------

# NumPy's own reconstruction functions, found through the array's pickling protocol so
# that no private module is imported by name.
_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]


def _safe_dtype(*args: Any) -> np.dtype:
    dtype = np.dtype(*args)
    if dtype.hasobject:
        raise pickle.UnpicklingError("arrays of Python objects are not allowed")
    return dtype


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    # Python 3 writes ``bytes`` at pickle protocol 2 as ``_codecs.encode(str, 'latin1')``.
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r} is not allowed")
    return text.encode("latin1")


# Everything a pickle may name: plain containers need no globals at all; NumPy arrays
# need these (module names of NumPy 1 and NumPy 2).
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _safe_dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("_codecs", "encode"): _latin1_encode,
}


class UnsafePickleError(ValueError, pickle.UnpicklingError):
    """A pickle that names something other than plain containers and NumPy arrays (or
    is not a valid pickle at all). Both a ``ValueError`` and a
    ``pickle.UnpicklingError``."""


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only dicts, lists, tuples, strings, bytes, numbers and
    NumPy arrays of plain dtypes: any other global a pickle names is refused before it
    is looked up, so a tampered file cannot run code."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load the global {module}.{name} (only plain containers and "
                f"NumPy arrays are allowed)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not allowed")


def safe_unpickle(raw: bytes, name: str) -> Any:
    """Unpickle ``raw`` (Python 2 strings as bytes) with :class:`_RestrictedUnpickler`.

    Raises :class:`UnsafePickleError` (a ValueError) naming ``name`` if the data is not
    a valid, harmless pickle."""
    try:
        return _RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError) as exc:
        raise UnsafePickleError(f"{name}: not a valid or not a safe pickle: {exc}") from None
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, MemoryError) as exc:
        raise UnsafePickleError(f"{name}: corrupt pickle: {type(exc).__name__}: {exc}") from None


# --- IDX (MNIST) -------------------------------------------------------------------------

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse an IDX file (magic ``00 00 <type> <ndim>``, ``ndim`` big-endian uint32
    sizes, then the values, big-endian) into an array in native byte order.

    Raises ValueError naming ``name`` for a bad magic number or a size that does not
    match the header."""
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
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: {what}: the header says shape {shape} of {dtype.name}, i.e. "
            f"{expected} bytes, but the file has {len(raw)}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def read_maybe_gzip(path: Path) -> bytes:
    """The bytes of ``path``, decompressed if it ends in ``.gz``."""
    raw = path.read_bytes()
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
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


def safe_extract(archive: Path, dest: Path) -> None:
    """Unpack a tar archive into ``dest``, refusing members that are links, devices,
    absolute paths or that climb out with ``..``."""
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for m in members:
                parts = Path(m.name).parts
                if m.name.startswith(("/", "\\")) or ".." in parts or not (m.isfile() or m.isdir()):
                    raise ValueError(f"{archive}: refusing to extract unsafe member {m.name!r}")
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **kwargs)  # noqa: S202 (checked above)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"{archive}: corrupt or truncated archive: {exc}") from None


def extract_folder(archive: Path, folder: str, root: Path) -> Path:
    """Unpack ``archive`` and move its top folder ``folder`` into ``root`` in one step,
    so a failed unpacking never leaves a half-filled ``root/folder``."""
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=root))
    try:
        safe_extract(archive, tmp)
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
