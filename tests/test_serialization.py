"""hosila.save / hosila.load: safetensors files that PyTorch reads and writes, nested checkpoints
restored exactly, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file as np_save_file
from safetensors.torch import load_file as torch_load_file
from safetensors.torch import save_file as torch_save_file

import hosila
from hosila import serialization

torch.set_num_threads(1)

RNG = np.random.default_rng(7)
X = RNG.standard_normal((5, 4)).astype(np.float32)


def linear_state(lib):
    """A Linear(4, 3)-shaped state dict (PyTorch's key names and shapes)."""
    w = RNG.standard_normal((3, 4)).astype(np.float32)
    b = RNG.standard_normal(3).astype(np.float32)
    if lib is torch:
        return {"weight": torch.tensor(w), "bias": torch.tensor(b)}
    return {"weight": hosila.tensor(w, requires_grad=True), "bias": hosila.tensor(b)}


def linear_forward(lib, sd, x):
    return lib.tensor(x) @ sd["weight"].T + sd["bias"]


# ---- PyTorch interoperability --------------------------------------------------------------


def test_hosila_state_dict_loads_in_pytorch(tmp_path):
    sd = linear_state(hosila)
    path = tmp_path / "linear.safetensors"
    hosila.save(sd, path)
    tsd = torch_load_file(path)
    assert set(tsd) == {"weight", "bias"}
    assert tsd["weight"].dtype == torch.float32 and tuple(tsd["weight"].shape) == (3, 4)
    np.testing.assert_array_equal(tsd["weight"].numpy(), sd["weight"].data)
    out_t = linear_forward(torch, tsd, X).numpy()
    out_h = linear_forward(hosila, sd, X).data
    np.testing.assert_allclose(out_h, out_t, rtol=1e-6, atol=1e-6)


def test_pytorch_state_dict_loads_in_hosila(tmp_path):
    tsd = linear_state(torch)
    path = tmp_path / "linear.safetensors"
    torch_save_file(tsd, str(path))
    sd = hosila.load(path)
    assert set(sd) == {"weight", "bias"}
    assert isinstance(sd["weight"], hosila.Tensor) and sd["weight"].dtype == np.float32
    np.testing.assert_array_equal(sd["weight"].data, tsd["weight"].numpy())
    np.testing.assert_allclose(
        linear_forward(hosila, sd, X).data,
        linear_forward(torch, tsd, X).numpy(),
        rtol=1e-6,
        atol=1e-6,
    )
    arrays = hosila.load(path, as_numpy=True)
    assert isinstance(arrays["bias"], np.ndarray)
    np.testing.assert_array_equal(arrays["bias"], tsd["bias"].numpy())


@pytest.mark.parametrize(
    "dtype", ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]
)
def test_dtypes_and_shapes_survive_both_ways(dtype, tmp_path):
    a = (RNG.standard_normal((2, 3, 2)) * 10).astype(dtype)
    scalar = np.asarray(a.flat[0])
    hosila.save({"a": hosila.tensor(a), "scalar": hosila.tensor(scalar)}, tmp_path / "h.st")
    t = torch_load_file(tmp_path / "h.st")
    np.testing.assert_array_equal(t["a"].numpy(), a)
    assert tuple(t["scalar"].shape) == ()
    torch_save_file({"a": torch.from_numpy(a.copy())}, str(tmp_path / "t.st"))
    back = hosila.load(tmp_path / "t.st")["a"]
    assert back.dtype == a.dtype and back.shape == a.shape
    np.testing.assert_array_equal(back.data, a)


def test_checkpoint_tensors_are_readable_by_pytorch_under_dotted_keys(tmp_path):
    p = [hosila.tensor(np.ones((2, 2)), requires_grad=True)]
    opt = hosila.optim.Adam(p)
    p[0].grad = np.ones((2, 2))
    opt.step()
    hosila.save({"model": {"fc.weight": p[0]}, "optimizer": opt.state_dict()}, tmp_path / "c.st")
    t = torch_load_file(tmp_path / "c.st")
    assert set(t) == {
        "model.fc.weight",
        "optimizer.state.0.exp_avg",
        "optimizer.state.0.exp_avg_sq",
    }
    np.testing.assert_array_equal(t["model.fc.weight"].numpy(), p[0].data)


# ---- nested checkpoints ---------------------------------------------------------------------


def test_nested_checkpoint_round_trip_is_exact(tmp_path):
    hosila.manual_seed(5)
    w = hosila.randn(3, 2)
    big = 2**100 + 7
    ckpt = {
        "model": {"layer.0.weight": w, "layer.0.bias": hosila.zeros(3, dtype=hosila.float64)},
        "optimizer": {
            "state": {0: {"step": 12, "exp_avg": np.arange(6.0).reshape(3, 2)}, 1: {}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}],
        },
        "epoch": 3,
        "best": 0.25,
        "flags": [True, False, None],
        "config": {"name": "run", "sizes": [1, 2, 3], "nested": {"deep": {"x": -1}}},
        "rng": hosila.random.get_rng_state(),
        "specials": [math.inf, -math.inf],
        "big": big,
        "keys": {1: "int", 2.5: "float", None: "none", (1, "a"): "tuple", False: "bool"},
        "tricky": {"__tuple__": [1, 2], "__tensor__": "x"},
        "empty": {"d": {}, "l": [], "t": ()},
        "history": [np.zeros(2), hosila.ones(1), [np.eye(2)]],
    }
    path = tmp_path / "ckpt.safetensors"
    hosila.save(ckpt, path)
    back = hosila.load(path)

    assert back["epoch"] == 3 and type(back["epoch"]) is int
    assert back["best"] == 0.25 and back["big"] == big
    assert back["flags"] == [True, False, None]
    assert back["config"] == ckpt["config"]
    assert back["rng"] == ckpt["rng"]
    assert back["specials"] == [math.inf, -math.inf]
    assert back["keys"] == ckpt["keys"] and all(
        type(a) is type(b) for a, b in zip(back["keys"], ckpt["keys"], strict=True)
    )
    assert back["tricky"] == ckpt["tricky"]
    assert back["empty"] == {"d": {}, "l": [], "t": ()}
    opt = back["optimizer"]
    assert list(opt["state"]) == [0, 1] and opt["state"][1] == {}
    assert opt["state"][0]["step"] == 12 and type(opt["state"][0]["step"]) is int
    assert isinstance(opt["state"][0]["exp_avg"], np.ndarray)  # arrays stay arrays
    np.testing.assert_array_equal(opt["state"][0]["exp_avg"], np.arange(6.0).reshape(3, 2))
    assert opt["param_groups"][0]["betas"] == (0.9, 0.999)  # tuples stay tuples
    m = back["model"]
    assert (
        isinstance(m["layer.0.weight"], hosila.Tensor) and m["layer.0.weight"].dtype == np.float32
    )
    np.testing.assert_array_equal(m["layer.0.weight"].data, w.data)
    assert m["layer.0.bias"].dtype == np.float64
    h = back["history"]
    assert isinstance(h[0], np.ndarray) and isinstance(h[1], hosila.Tensor)
    np.testing.assert_array_equal(h[2][0], np.eye(2))

    # the generator state restores the same random numbers
    expected = hosila.randn(4).data
    hosila.random.set_rng_state(back["rng"])
    np.testing.assert_array_equal(hosila.randn(4).data, expected)

    # as_numpy: every tensor as an array
    arrays = hosila.load(path, as_numpy=True)
    assert isinstance(arrays["model"]["layer.0.weight"], np.ndarray)


def test_nan_numpy_scalars_and_views(tmp_path):
    a = np.arange(12.0).reshape(3, 4)
    obj = {
        "nan": math.nan,
        "np_float": np.float32(1.5),
        "np_int": np.int64(7),
        "np_bool": np.bool_(True),
        "view": a[:, ::2],  # not contiguous
        "t": hosila.tensor(a).T,
    }
    hosila.save(obj, tmp_path / "x.st")
    back = hosila.load(tmp_path / "x.st")
    assert math.isnan(back["nan"])
    assert back["np_float"] == 1.5 and type(back["np_float"]) is float
    assert back["np_int"] == 7 and type(back["np_int"]) is int
    assert back["np_bool"] is True
    np.testing.assert_array_equal(back["view"], a[:, ::2])
    np.testing.assert_array_equal(back["t"].data, a.T)


def test_colliding_flat_keys_are_kept_apart(tmp_path):
    obj = {"a.b": np.zeros(1), "a": {"b": np.ones(1)}, "__metadata__": np.full(1, 2.0)}
    hosila.save(obj, tmp_path / "x.st")
    back = hosila.load(tmp_path / "x.st")
    assert back["a.b"][0] == 0 and back["a"]["b"][0] == 1 and back["__metadata__"][0] == 2


def test_top_level_tensor_and_list(tmp_path):
    hosila.save(hosila.arange(4), tmp_path / "t.st")
    assert hosila.load(tmp_path / "t.st").tolist() == [0, 1, 2, 3]
    hosila.save([1, np.zeros(2)], tmp_path / "l.st")
    back = hosila.load(tmp_path / "l.st")
    assert back[0] == 1 and back[1].shape == (2,)


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    hosila.save({"w": hosila.ones(3)}, tmp_path / "w.st")
    a = hosila.load(tmp_path / "w.st")["w"]
    b = hosila.load(tmp_path / "w.st")["w"]
    a.data[0] = 5
    assert b.data[0] == 1


# ---- atomic writes --------------------------------------------------------------------------


def test_save_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "m.st"
    hosila.save({"w": hosila.zeros(2)}, path)
    hosila.save({"w": hosila.ones(2)}, path)
    assert os.listdir(tmp_path) == ["m.st"]
    assert hosila.load(path)["w"].tolist() == [1.0, 1.0]
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & stat.S_IRGRP or os.umask(0o022) & 0o040  # not the private 0600 of a temp file


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.st"
    hosila.save({"w": hosila.zeros(2)}, path)

    def crash(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        hosila.save({"w": hosila.ones(2)}, path)
    assert os.listdir(tmp_path) == ["m.st"]
    assert hosila.load(path)["w"].tolist() == [0.0, 0.0]


def test_unsupported_objects_raise_type_error_naming_where(tmp_path):
    path = tmp_path / "m.st"
    with pytest.raises(TypeError, match=r"set at obj\['config'\]\['tags'\]"):
        hosila.save({"config": {"tags": {"a", "b"}}}, path)
    with pytest.raises(TypeError, match="complex128"):
        hosila.save({"z": np.zeros(2, dtype=complex)}, path)
    with pytest.raises(TypeError, match="object"):
        hosila.save({"f": object()}, path)
    assert not os.listdir(tmp_path)


# ---- errors on load and bad paths -------------------------------------------------------------


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.st"):
        hosila.load(tmp_path / "nope.st")
    with pytest.raises(IsADirectoryError, match="directory"):
        hosila.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        hosila.save({"w": hosila.ones(1)}, tmp_path / "no" / "dir" / "m.st")
    with pytest.raises(IsADirectoryError):
        hosila.save({"w": hosila.ones(1)}, tmp_path)
    with pytest.raises(TypeError, match="path"):
        hosila.load(42)


@pytest.mark.parametrize("cut", [0, 4, 9, 40, -3])
def test_truncated_file_is_a_value_error(cut, tmp_path):
    path = tmp_path / "m.st"
    hosila.save({"w": hosila.ones(50), "step": 3}, path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="m.st"):
        hosila.load(path)


def test_garbage_file_is_a_value_error(tmp_path):
    path = tmp_path / "g.st"
    path.write_bytes(b"\x00\x01not a safetensors file at all" * 3)
    with pytest.raises(ValueError, match="g.st"):
        hosila.load(path)
    path.write_bytes((2**40).to_bytes(8, "little") + b"{}")  # header length beyond the file
    with pytest.raises(ValueError, match="g.st"):
        hosila.load(path)


def test_corrupted_structure_is_a_value_error(tmp_path):
    path = tmp_path / "s.st"
    np_save_file({"a": np.zeros(2)}, str(path), metadata={serialization.STRUCTURE_KEY: "{bad"})
    with pytest.raises(ValueError, match="corrupted"):
        hosila.load(path)
    missing = json.dumps({"w": {"__tensor__": "not-there"}})
    np_save_file({"a": np.zeros(2)}, str(path), metadata={serialization.STRUCTURE_KEY: missing})
    with pytest.raises(ValueError, match="not-there"):
        hosila.load(path)
    bad_dict = json.dumps({"__dict__": 5})
    np_save_file({"a": np.zeros(2)}, str(path), metadata={serialization.STRUCTURE_KEY: bad_dict})
    with pytest.raises(ValueError, match="corrupted"):
        hosila.load(path)


def test_bfloat16_from_pytorch_loads_as_float32(tmp_path):
    path = tmp_path / "bf.st"
    w = torch.tensor([[1.5, -2.25e-3, 3.0e5], [0.0, -7.0, 1e-30]]).to(torch.bfloat16)
    torch_save_file({"w": w, "b": torch.ones(2)}, str(path))
    back = hosila.load(path)
    assert back["w"].dtype == np.float32 and back["w"].shape == (2, 3)
    np.testing.assert_array_equal(back["w"].data, w.float().numpy())
    np.testing.assert_array_equal(back["b"].data, np.ones(2, np.float32))


def test_unsupported_dtype_is_a_clear_value_error(tmp_path):
    path = tmp_path / "f8.st"
    torch_save_file({"w": torch.ones(2).to(torch.float8_e4m3fn)}, str(path))
    with pytest.raises(ValueError, match="f8.st"):
        hosila.load(path)


def test_load_returns_data_only(tmp_path):
    """The header is JSON: a structure naming Python objects comes back as plain strings."""
    path = tmp_path / "evil.st"
    meta = {serialization.STRUCTURE_KEY: json.dumps({"cls": "os.system", "args": ["echo hi"]})}
    np_save_file({"a": np.zeros(1)}, str(path), metadata=meta)
    assert hosila.load(path) == {"cls": "os.system", "args": ["echo hi"]}


# ---- property: any nested structure comes back equal, with the same types --------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
_arrays = st.builds(
    lambda shape, dtype, seed: np.random.default_rng(seed).standard_normal(shape).astype(dtype),
    st.lists(st.integers(0, 3), max_size=3).map(tuple),
    st.sampled_from(["float32", "float64", "int64", "uint8", "bool", "float16"]),
    st.integers(0, 1000),
)
_leaves = st.one_of(_scalars, _arrays, _arrays.map(hosila.tensor))
_keys = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.tuples(st.integers(0, 3)))
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(_keys, children, max_size=4),
    ),
    max_leaves=12,
)


def _assert_same_tree(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, hosila.Tensor):
        a, b = a.data, b.data
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same_tree(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same_tree(x, y)
    else:
        assert a == b


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=_trees)
def test_any_nested_structure_round_trips(tree, tmp_path):
    path = tmp_path / "tree.safetensors"
    hosila.save(tree, path)
    _assert_same_tree(hosila.load(path), tree)
