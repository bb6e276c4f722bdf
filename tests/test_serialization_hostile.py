"""hosila.load on crafted and foreign files, hosila.save on a failing disk: every bad file is a
clear ValueError naming it, nothing is executed, nothing is half-written."""

from __future__ import annotations

import errno
import json
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch
from safetensors import SafetensorError
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import save_file as torch_save_file

import hosila
from hosila import serialization

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def craft(path, header, data=b"", declared=None):
    """A file in the safetensors layout: 8-byte little-endian header length, header, data."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(raw) if declared is None else declared
    path.write_bytes(n.to_bytes(8, "little") + raw + data)
    return path


def f32(shape, start, end):
    return {"dtype": "F32", "shape": shape, "data_offsets": [start, end]}


def run_capped(code: str, limit_gib: float = 1.5, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter with its address space capped; return its output."""
    prelude = textwrap.dedent(
        f"""
        import resource, sys
        cap = int({limit_gib} * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        sys.path.insert(0, {SRC!r})
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# ---- crafted headers ------------------------------------------------------------------------

# (name, header, data, what the error says)
CRAFTED = [
    ("not_object_list", [1, 2], b"", "must be an object"),
    ("not_object_str", "weights", b"", "must be an object"),
    ("meta_int", {"__metadata__": {"a": 1}}, b"", "__metadata__ must map strings to strings"),
    ("meta_list", {"__metadata__": ["a"]}, b"", "__metadata__ must map strings to strings"),
    ("bad_json", b'{"a": ', b"", "malformed"),
    ("not_utf8", b'{"\xff": 1}', b"", "not UTF-8"),
    ("no_dtype", {"a": {"shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4, "no dtype"),
    ("entry_not_dict", {"a": [1, 2]}, b"", "no dtype"),
    ("unknown_dtype", {"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4,
     "dtype X9 has no NumPy"),
    ("float8", {"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}, b"\0",
     "F8_E4M3"),
    # a duplicate that safetensors alone would accept: the second "a" silently wins
    ("duplicate_key",
     b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
     b'"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 4, "appears twice"),
    ("duplicate_metadata",
     b'{"__metadata__":{"hosila.structure":"1","hosila.structure":"2"}}', b"", "appears twice"),
    ("deep_header", b'{"__metadata__":' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"",
     "nested too deeply"),
    ("overlapping", {"a": f32([2], 0, 8), "b": f32([2], 4, 12)}, b"\0" * 12, "invalid offset"),
    ("out_of_range", {"a": f32([2], 0, 8)}, b"\0" * 4, "not fully covered"),
    ("reversed", {"a": f32([0], 8, 0)}, b"\0" * 8, "invalid offset"),
    ("gap", {"a": f32([1], 4, 8)}, b"\0" * 8, "invalid offset"),
    ("shape_mismatch", {"a": f32([3], 0, 8)}, b"\0" * 8, "invalid"),
    ("negative_dim", {"a": f32([-1], 0, 4)}, b"\0" * 4, "invalid"),
    ("shape_not_list", {"a": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}}, b"\0" * 4,
     "invalid"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "header", "data", "says"), CRAFTED, ids=[c[0] for c in CRAFTED])
def test_crafted_header_is_a_clear_value_error(name, header, data, says, tmp_path):
    path = craft(tmp_path / f"{name}.safetensors", header, data)
    with pytest.raises(ValueError, match=f"{name}.safetensors") as info:
        hosila.load(path)
    assert says in str(info.value)
    assert type(info.value) is ValueError  # not a RecursionError/SafetensorError subclass


def test_deeply_nested_structure_entry_is_a_value_error(tmp_path):
    path = tmp_path / "deep.st"
    deep = "[" * 100_000 + "]" * 100_000
    np_save_file({"a": np.zeros(1)}, str(path), metadata={serialization.STRUCTURE_KEY: deep})
    with pytest.raises(ValueError, match=r"deep\.st.*nested too deeply"):
        hosila.load(path)
    n = 4 * serialization.MAX_DEPTH + 2  # deeper than anything save writes, within Python's
    meta = {serialization.STRUCTURE_KEY: "[" * n + "]" * n}  # recursion limit
    np_save_file({"a": np.zeros(1)}, str(path), metadata=meta)
    with pytest.raises(ValueError, match=r"deep\.st.*nested deeper than"):
        hosila.load(path)


def test_save_refuses_what_load_would_refuse_and_loads_what_it_writes(tmp_path):
    deep = np.ones(1)
    for _ in range(serialization.MAX_DEPTH):  # the deepest kind of level: a non-str key
        deep = {0: deep}
    hosila.save(deep, tmp_path / "ok.st")
    back = hosila.load(tmp_path / "ok.st")
    for _ in range(serialization.MAX_DEPTH):
        back = back[0]
    assert back.tolist() == [1.0]
    with pytest.raises(ValueError, match=r"nested deeper.*too_deep\.st' was not written"):
        hosila.save([deep], tmp_path / "too_deep.st")
    assert sorted(os.listdir(tmp_path)) == ["ok.st"]


def test_resource_bombs_are_refused_without_allocating():
    """Huge declared header lengths, shapes and offsets, loaded under a 1.5 GiB cap."""
    out = run_capped(
        """
        import json, os, tempfile
        import hosila
        d = tempfile.mkdtemp()
        def craft(name, header, data=b"", declared=None):
            raw = json.dumps(header).encode()
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write((len(raw) if declared is None else declared).to_bytes(8, "little"))
                f.write(raw + data)
            return p
        F = lambda shape, s, e: {"dtype": "F32", "shape": shape, "data_offsets": [s, e]}
        cases = {
            "gigabyte_header": craft("gigabyte_header", {}, declared=3 * 2**30),
            "beyond_file": craft("beyond_file", {}, b"\\0" * 16, declared=80_000_000),
            "huge_shape": craft("huge_shape", {"a": F([2**62, 2**62], 0, 16)}, b"\\0" * 16),
            "huge_dims": craft("huge_dims", {"a": F([2**31, 2**31, 4], 0, 0)}),
            "zero_times_huge": craft("zero_times_huge", {"a": F([0, 2**63], 0, 0)}),
            "huge_offset": craft("huge_offset", {"a": F([2], 2**63, 2**63 + 8)}, b"\\0" * 8),
            "huge_end": craft("huge_end", {"a": F([2**40], 0, 2**42)}, b"\\0" * 8),
        }
        for name, p in cases.items():
            try:
                hosila.load(p)
            except ValueError as e:
                assert name in str(e), e
                print(name, "refused")
            else:
                print(name, "LOADED")
        """
    )
    assert out.count("refused") == 7, out
    assert "LOADED" not in out


def test_header_length_beyond_the_cap_is_named(tmp_path):
    path = craft(tmp_path / "h.st", {}, declared=serialization.MAX_HEADER_BYTES + 1)
    with pytest.raises(ValueError, match=r"h\.st.*more than safetensors allows"):
        hosila.load(path)
    path = craft(tmp_path / "t.st", {"a": f32([1], 0, 4)}, b"\0" * 4)
    path.write_bytes(path.read_bytes()[:-10])  # the header itself cut short
    with pytest.raises(ValueError, match=r"t\.st.*truncated"):
        hosila.load(path)
    (tmp_path / "tiny.st").write_bytes(b"\x05\0")
    with pytest.raises(ValueError, match=r"tiny\.st.*2 bytes long"):
        hosila.load(tmp_path / "tiny.st")


# ---- dtypes ---------------------------------------------------------------------------------


def test_complex_tensor_names_the_file_and_loads_as_numpy(tmp_path):
    path = tmp_path / "c.st"
    z = torch.tensor([1 + 2j, -3j], dtype=torch.complex64)
    torch_save_file({"z": z, "w": torch.ones(2)}, str(path))
    with pytest.raises(ValueError, match=r"'z' of .*c\.st.*as_numpy=True"):
        hosila.load(path)
    arrays = hosila.load(path, as_numpy=True)
    np.testing.assert_array_equal(arrays["z"], z.numpy())
    assert arrays["z"].dtype == np.complex64
    with pytest.raises(TypeError, match=r"complex128.*s\.st' was not written"):
        hosila.save({"z": np.zeros(2, dtype=complex)}, tmp_path / "s.st")
    assert not (tmp_path / "s.st").exists()


# ---- a failing disk -------------------------------------------------------------------------


def test_full_disk_is_an_os_error_naming_the_file(tmp_path, monkeypatch):
    path = tmp_path / "m.st"
    hosila.save({"w": hosila.zeros(2)}, path)

    def full(tensors, filename, metadata=None):  # what safetensors raises on ENOSPC
        with open(filename, "wb") as f:
            f.write(b"part")
        raise SafetensorError(
            "Error while serializing: I/O error: No space left on device (os error 28)"
        )

    monkeypatch.setattr(serialization, "save_file", full)
    with pytest.raises(OSError, match=r"m\.st.*No space left on device") as info:
        hosila.save({"w": hosila.ones(2)}, path)
    assert info.value.errno == errno.ENOSPC
    assert not isinstance(info.value, SafetensorError)
    assert os.listdir(tmp_path) == ["m.st"]
    assert hosila.load(path)["w"].tolist() == [0.0, 0.0]


def test_write_that_the_kernel_refuses_leaves_the_old_file(tmp_path):
    """A real failing write: the file-size limit makes the kernel refuse it (EFBIG)."""
    path = tmp_path / "m.st"
    hosila.save({"w": hosila.zeros(2)}, path)
    out = run_capped(
        f"""
        import resource, signal
        import hosila
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            hosila.save({{"w": hosila.ones(100_000)}}, {str(path)!r})
        except OSError as e:
            print(type(e).__name__, e.errno, e)
        """
    )
    assert out.startswith(f"OSError {errno.EFBIG} ")
    assert "m.st" in out and "could not write" in out
    assert os.listdir(tmp_path) == ["m.st"]
    assert hosila.load(path)["w"].tolist() == [0.0, 0.0]


def test_save_does_not_replace_a_device_or_pipe(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        hosila.save({"w": hosila.ones(1)}, fifo)
    assert os.listdir(tmp_path) == ["pipe"] and not fifo.is_file()


# ---- PyTorch and NumPy files ----------------------------------------------------------------


class _Evil:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("legacy", [False, True])
def test_torch_save_pickles_are_refused_with_how_to_convert(legacy, tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(2, 2)}, path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(ValueError, match=r"model\.pt") as info:
        hosila.load(path)
    msg = str(info.value)
    assert "header too large" not in msg
    assert "PyTorch" in msg or "torch.save" in msg
    assert "pickle" in msg and "execute" in msg
    assert "safetensors.torch import save_file" in msg


def test_loading_a_malicious_pickle_never_runs_it(tmp_path):
    marker = tmp_path / "pwned"
    plain = tmp_path / "evil.pkl"
    plain.write_bytes(pickle.dumps(_Evil(str(marker)), protocol=2))
    zipped = tmp_path / "evil.pt"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps(_Evil(str(marker))))
    for path in (plain, zipped):
        with pytest.raises(ValueError, match="pickle"):
            hosila.load(path)
        with pytest.raises(ValueError, match="pickle"):
            hosila.load(path, weights_only=False)  # still data only
    assert not marker.exists()


def test_numpy_files_are_named(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    np.savez(tmp_path / "b.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match=r"a\.npy.*NumPy \.npy"):
        hosila.load(tmp_path / "a.npy")
    with pytest.raises(ValueError, match=r"b\.npz.*NumPy \.npz"):
        hosila.load(tmp_path / "b.npz")


def test_map_location_and_weights_only_are_accepted_no_ops(tmp_path):
    path = tmp_path / "m.safetensors"
    hosila.save({"w": hosila.arange(3.0)}, path)
    for kwargs in (
        {"map_location": "cpu"},
        {"map_location": torch.device("cpu")},
        {"map_location": {"cuda:0": "cpu"}},
        {"map_location": lambda storage, loc: storage},
        {"weights_only": True},
        {"weights_only": False, "map_location": "cuda"},
    ):
        assert hosila.load(path, **kwargs)["w"].tolist() == [0.0, 1.0, 2.0], kwargs
    assert isinstance(hosila.load(path, True, map_location="cpu")["w"], np.ndarray)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"map_location": 3}, "map_location must be"),
        ({"map_location": {"cuda:0": 1}}, "map_location dict"),
        ({"weights_only": "yes"}, "weights_only must be None or a bool"),
        ({"as_numpy": "cpu"}, "keyword argument here: load\\(path, map_location"),
        ({"as_numpy": 1}, "as_numpy must be a bool"),
    ],
)
def test_bad_load_options_are_type_errors(kwargs, says, tmp_path):
    path = tmp_path / "m.safetensors"
    hosila.save({"w": hosila.ones(1)}, path)
    with pytest.raises(TypeError, match=says):
        hosila.load(path, **kwargs)
    if "as_numpy" in kwargs:  # torch.load(path, "cpu"): the positional map_location habit
        with pytest.raises(TypeError, match="as_numpy must be a bool"):
            hosila.load(path, kwargs["as_numpy"])
