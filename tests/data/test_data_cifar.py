"""CIFAR-10/100 on tiny files in the official pickle format, written by the test."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from hosila.data import CIFAR10, CIFAR100
from hosila.data._files import safe_unpickle

NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer",
         b"dog", b"frog", b"horse", b"ship", b"truck"]  # fmt: skip


def _batch(rng, n, bytes_keys=True, label_key="labels", n_classes=10):
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, n_classes, size=n)]
    d = {"batch_label": "batch", "data": data, label_key: labels,
         "filenames": [f"img{i}.png" for i in range(n)]}  # fmt: skip
    if bytes_keys:  # what Python 2's cPickle wrote: byte-string keys
        d = {k.encode(): (v.encode() if isinstance(v, str) else v) for k, v in d.items()}
    return d


def _write_cifar10(root: Path, n=4, seed=0, protocol=2, bytes_keys=True):
    """root/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}; returns the
    dicts written, by file name."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    written = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        written[name] = _batch(rng, n, bytes_keys)
        (folder / name).write_bytes(pickle.dumps(written[name], protocol=protocol))
    meta = {b"label_names": NAMES, b"num_cases_per_batch": n}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return written


def _tar_gz(src_root: Path, folder: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(src_root / folder, arcname=folder)
    return out


def _expected(batch):
    data = batch.get(b"data", batch.get("data"))
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


@pytest.mark.parametrize("protocol,bytes_keys", [(2, True), (2, False), (4, False), (5, True)])
def test_reads_batches_in_order(tmp_path, protocol, bytes_keys):
    written = _write_cifar10(tmp_path, protocol=protocol, bytes_keys=bytes_keys)
    train = CIFAR10(tmp_path, train=True)
    test = CIFAR10(tmp_path, train=False)
    assert train.data.shape == (20, 32, 32, 3) and train.data.dtype == np.uint8
    assert test.data.shape == (4, 32, 32, 3)
    assert train.targets.dtype == np.int64
    key = b"labels" if bytes_keys else "labels"
    expected = np.concatenate([_expected(written[f"data_batch_{i}"]) for i in range(1, 6)])
    np.testing.assert_array_equal(train.data, expected)
    np.testing.assert_array_equal(
        train.targets, sum((written[f"data_batch_{i}"][key] for i in range(1, 6)), [])
    )
    np.testing.assert_array_equal(test.data, _expected(written["test_batch"]))
    assert train.classes == [n.decode() for n in NAMES]


def test_pixel_layout(tmp_path):
    """Row layout: 1024 red values, 1024 green, 1024 blue, each 32 rows of 32."""
    written = _write_cifar10(tmp_path)
    row = written["test_batch"][b"data"][2]
    img = CIFAR10(tmp_path, train=False)[2][0]
    assert img.shape == (32, 32, 3)
    assert img[0, 0, 0] == row[0] and img[0, 0, 1] == row[1024] and img[0, 0, 2] == row[2048]
    assert img[1, 5, 2] == row[2048 + 32 + 5]
    assert img[31, 31, 1] == row[1024 + 1023]


def test_reads_the_archive_and_the_folder_itself(tmp_path):
    src = tmp_path / "src"
    _write_cifar10(src)
    from_folder = CIFAR10(src)
    only_archive = tmp_path / "arch"
    only_archive.mkdir()
    _tar_gz(src, "cifar-10-batches-py", only_archive / "cifar-10-python.tar.gz")
    from_archive = CIFAR10(only_archive)
    np.testing.assert_array_equal(from_archive.data, from_folder.data)
    np.testing.assert_array_equal(from_archive.targets, from_folder.targets)
    assert from_archive.classes == from_folder.classes
    direct = CIFAR10(src / "cifar-10-batches-py", train=False)
    assert len(direct) == 4


def test_only_the_files_of_the_split_are_needed(tmp_path):
    written = _write_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    for i in range(1, 6):
        (folder / f"data_batch_{i}").unlink()
    (folder / "batches.meta").unlink()  # optional: the class names are known
    test = CIFAR10(tmp_path, train=False)
    np.testing.assert_array_equal(test.data, _expected(written["test_batch"]))
    assert test.classes[0] == "airplane" and test.classes[9] == "truck"
    with pytest.raises(FileNotFoundError, match="data_batch_1"):
        CIFAR10(tmp_path, train=True)


def test_missing_files_explain_layout_and_download(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        CIFAR10(tmp_path)
    msg = str(err.value)
    assert "cifar-10-batches-py/data_batch_1" in msg and "download=True" in msg
    assert "cifar-10-python.tar.gz" in msg


def test_malicious_pickle_is_refused_and_not_executed(tmp_path):
    _write_cifar10(tmp_path)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    payload = pickle.dumps({b"data": Evil(), b"labels": [0]}, protocol=2)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(payload)
    with pytest.raises(ValueError, match=r"data_batch_3.*refusing to load the global"):
        CIFAR10(tmp_path)
    assert not marker.exists()

    class EvalEvil:
        def __reduce__(self):
            return (eval, (f"open({str(marker)!r}, 'w')",))

    with pytest.raises(ValueError, match="builtins.eval"):
        safe_unpickle(pickle.dumps(EvalEvil()), "evil.pkl")
    with pytest.raises(pickle.UnpicklingError):  # the error is both kinds
        safe_unpickle(pickle.dumps(EvalEvil()), "evil.pkl")
    assert not marker.exists()


def test_object_arrays_and_foreign_codecs_are_refused():
    with pytest.raises(ValueError, match="dtype 'O8' is not allowed.*no arrays of Python objects"):
        safe_unpickle(pickle.dumps(np.array([1, "x"], dtype=object), protocol=2), "obj.pkl")
    forged = pickle.dumps(b"\x00", protocol=2).replace(b"latin1", b"rot_13")
    with pytest.raises(ValueError, match="rot_13"):
        safe_unpickle(forged, "codec.pkl")


@pytest.mark.parametrize(
    "damage,match",
    [
        (lambda raw, d: raw[: len(raw) // 2], "not a valid or not a safe pickle"),
        (lambda raw, d: b"garbage!", "pickle"),
        (lambda raw, d: pickle.dumps([1, 2, 3], protocol=2), "expected a pickled dict"),
        (lambda raw, d: pickle.dumps({b"data": d[b"data"]}, protocol=2), "lacks"),
        (
            lambda raw, d: pickle.dumps({b"data": d[b"data"][:, :100], b"labels": d[b"labels"]}),
            r"shape \(N, 3072\)",
        ),
        (
            lambda raw, d: pickle.dumps({b"data": d[b"data"], b"labels": d[b"labels"][:-1]}),
            "4 images but",
        ),
        (
            lambda raw, d: pickle.dumps({b"data": d[b"data"], b"labels": [0, 1, 2, 10]}),
            r"labels must lie in \[0, 10\)",
        ),
        (
            lambda raw, d: pickle.dumps({b"data": d[b"data"].astype(np.float32), b"labels": [0]}),
            "dtype 'f4' is not allowed",
        ),
        (
            lambda raw, d: pickle.dumps({b"data": d[b"data"].astype(np.int32), b"labels": [0]}),
            "'data' must be a uint8 array, got array of int32",
        ),
    ],
)
def test_corrupt_batches_raise_value_error_naming_the_file(tmp_path, damage, match):
    written = _write_cifar10(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(damage(path.read_bytes(), written["test_batch"]))
    with pytest.raises(ValueError, match=match) as err:
        CIFAR10(tmp_path, train=False)
    assert "test_batch" in str(err.value)


def test_truncated_archive(tmp_path):
    src = tmp_path / "src"
    _write_cifar10(src)
    archive = _tar_gz(src, "cifar-10-batches-py", tmp_path / "cifar-10-python.tar.gz")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz"):
        CIFAR10(tmp_path)


class _Server:
    """A local HTTP server on 127.0.0.1 serving one folder."""

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_download_checks_md5_and_unpacks(tmp_path, monkeypatch):
    src = tmp_path / "src"
    written = _write_cifar10(src, n=3)
    served = tmp_path / "www"
    served.mkdir()
    archive = _tar_gz(src, "cifar-10-batches-py", served / "cifar-10-python.tar.gz")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    root = tmp_path / "root"
    with _Server(served) as base:
        monkeypatch.setattr(CIFAR10, "url", f"{base}/cifar-10-python.tar.gz")
        monkeypatch.setattr(CIFAR10, "tgz_md5", "0" * 32)
        with pytest.raises(ValueError, match="MD5"):
            CIFAR10(root, download=True)
        assert not (root / "cifar-10-python.tar.gz").exists()
        assert not (root / "cifar-10-batches-py").exists()

        monkeypatch.setattr(CIFAR10, "tgz_md5", md5)
        ds = CIFAR10(root, train=False, download=True)
    assert (root / "cifar-10-batches-py" / "data_batch_5").is_file()
    np.testing.assert_array_equal(ds.data, _expected(written["test_batch"]))
    # Already there: no network needed the second time.
    monkeypatch.setattr(CIFAR10, "url", "http://127.0.0.1:9/unreachable")
    assert len(CIFAR10(root, download=True)) == 15
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_download_refuses_unsafe_archive(tmp_path, monkeypatch):
    served = tmp_path / "www"
    served.mkdir()
    archive = served / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        data = b"outside"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with _Server(served) as base:
        monkeypatch.setattr(CIFAR10, "url", f"{base}/cifar-10-python.tar.gz")
        monkeypatch.setattr(CIFAR10, "tgz_md5", md5)
        with pytest.raises(ValueError, match="unsafe member"):
            CIFAR10(tmp_path / "root", download=True)
    assert not (tmp_path / "escape.txt").exists()


def test_cifar100(tmp_path):
    rng = np.random.default_rng(3)
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    train = _batch(rng, 5, label_key="fine_labels", n_classes=100)
    test = _batch(rng, 2, label_key="fine_labels", n_classes=100)
    (folder / "train").write_bytes(pickle.dumps(train, protocol=2))
    (folder / "test").write_bytes(pickle.dumps(test, protocol=2))
    names = [f"class{i}".encode() for i in range(100)]
    (folder / "meta").write_bytes(pickle.dumps({b"fine_label_names": names}, protocol=2))
    ds = CIFAR100(tmp_path)
    assert len(ds) == 5 and ds.classes[7] == "class7"
    np.testing.assert_array_equal(ds.targets, train[b"fine_labels"])
    np.testing.assert_array_equal(ds.data, _expected(train))


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch):
    class Broken(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.close_connection = True

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/cifar-10-python.tar.gz"
        monkeypatch.setattr(CIFAR10, "url", url)
        with pytest.raises(OSError, match="could not download"):
            CIFAR10(tmp_path / "root", download=True)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert list((tmp_path / "root").iterdir()) == []


def _py2_batch(data: np.ndarray, labels: list[int]) -> bytes:
    """A batch pickled as Python 2's cPickle (protocol 2) wrote the official files:
    str (here: BINSTRING) keys and data, NumPy 1 module names, dtype args (0, 1)."""

    def s(b: bytes) -> bytes:  # SHORT_BINSTRING or BINSTRING
        return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + len(b).to_bytes(4, "little")) + b

    dims = b"".join(b"M" + d.to_bytes(2, "little") for d in data.shape)
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + s(b"b") + b"\x87R"
        b"(K\x01" + dims + b"\x86cnumpy\ndtype\n" + s(b"u1") + b"K\x00K\x01\x87R"
        b"(K\x03"
        + s(b"|")
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
        + s(data.tobytes())
        + b"tb"
    )
    label_ops = b"](" + b"".join(b"K" + bytes([v]) for v in labels) + b"e"
    return (
        b"\x80\x02}(" + s(b"data") + array + s(b"labels") + label_ops
        + s(b"batch_label") + s(b"testing batch 1 of 1") + b"u."
    )  # fmt: skip


def test_official_python2_pickle_and_numpy_pickles_at_protocols_2_to_5_load(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.integers(0, 256, size=(3, 3072), dtype=np.uint8)
    labels = [3, 0, 9]
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    expected = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    variants = {"py2": _py2_batch(data, labels)}
    for protocol in (2, 3, 4, 5):
        raw = pickle.dumps({b"data": data, b"labels": labels}, protocol=protocol)
        variants[f"p{protocol}"] = raw
        if protocol == 2:  # the NumPy 1 module names
            variants["p2-numpy1"] = raw.replace(b"numpy._core", b"numpy.core")
    variants["p2-int64-labels"] = pickle.dumps(
        {b"data": data, b"labels": np.array(labels, dtype=">i8")}, protocol=2
    )
    variants["p5-int32-labels"] = pickle.dumps(
        {"data": data, "labels": np.array(labels, dtype=np.int32)}, protocol=5
    )
    for name, raw in variants.items():
        (folder / "test_batch").write_bytes(raw)
        ds = CIFAR10(tmp_path, train=False)
        np.testing.assert_array_equal(ds.data, expected, err_msg=name)
        np.testing.assert_array_equal(ds.targets, labels, err_msg=name)
        assert ds.targets.dtype == np.int64 and ds.data.flags.writeable, name


@pytest.mark.parametrize(
    "labels,match",
    [
        ([0, 1.5, 2], r"label 1 is float 1.5"),
        ([0.0, 1.0, 2.0], r"label 0 is float 0.0"),  # whole floats too: the files hold ints
        ([0, True, 2], r"label 1 is bool True"),
        ([0, "1", 2], r"label 1 is str '1'"),
        ([0, b"1", 2], r"label 1 is bytes"),
        ([0, 1, 2**70], "too large for int64"),
        (np.array([0, 1, 2], dtype=np.uint8).astype(np.float64), "dtype 'f8' is not allowed"),
        ("012", r"must be a list of ints, got str"),
    ],
)
def test_non_integer_labels_are_refused_not_truncated(tmp_path, labels, match):
    _write_cifar10(tmp_path, n=3)
    data = np.zeros((3, 3072), dtype=np.uint8)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(pickle.dumps({b"data": data, b"labels": labels}, protocol=2))
    with pytest.raises(ValueError, match=match) as err:
        CIFAR10(tmp_path, train=False)
    assert "test_batch" in str(err.value)


def test_meta_with_bad_utf8_names_is_a_value_error_naming_the_file(tmp_path):
    _write_cifar10(tmp_path)
    names = [b"\xff\xfe"] + NAMES[1:]
    meta = tmp_path / "cifar-10-batches-py" / "batches.meta"
    meta.write_bytes(pickle.dumps({b"label_names": names}, protocol=2))
    with pytest.raises(ValueError, match=r"batches.meta: a class name is not valid UTF-8"):
        CIFAR10(tmp_path, train=False)


def test_files_and_members_larger_than_the_format_allows_are_refused(tmp_path, monkeypatch):
    _write_cifar10(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    size = (folder / "test_batch").stat().st_size
    largest = max(p.stat().st_size for p in folder.iterdir())
    monkeypatch.setattr(CIFAR10, "max_batch_bytes", size - 1)
    with pytest.raises(ValueError, match=rf"test_batch: {size} bytes, more than the {size - 1}"):
        CIFAR10(tmp_path, train=False)
    archive = _tar_gz(tmp_path, "cifar-10-batches-py", tmp_path / "a" / "cifar-10-python.tar.gz")
    with pytest.raises(ValueError, match=rf"member '.*' has \d+ bytes, more than the {size - 1}"):
        CIFAR10(archive.parent, train=False)
    monkeypatch.setattr(CIFAR10, "max_batch_bytes", largest)
    monkeypatch.setattr(CIFAR10, "max_archive_bytes", 3 * largest)
    with pytest.raises(ValueError, match="add up to more than"):
        CIFAR10(archive.parent, train=False)
    monkeypatch.setattr(CIFAR10, "max_archive_bytes", 8 * largest)
    assert len(CIFAR10(archive.parent, train=False)) == 4
