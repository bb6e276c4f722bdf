"""MNIST on tiny IDX files (raw and gzipped) written by the test."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from hosila.data import MNIST, FashionMNIST
from hosila.data._files import read_idx


def _idx(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, arr.ndim)
    header += struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def _write_mnist(folder: Path, n_train=5, n_test=3, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        for stem, arr in ((f"{prefix}-images-idx3-ubyte", images),
                          (f"{prefix}-labels-idx1-ubyte", labels)):  # fmt: skip
            raw = _idx(arr)
            if gz:
                (folder / (stem + ".gz")).write_bytes(gzip.compress(raw))
            else:
                (folder / stem).write_bytes(raw)
        out[prefix] = (images, labels)
    return out


@pytest.mark.parametrize("gz", [False, True])
def test_reads_raw_and_gzipped(tmp_path, gz):
    written = _write_mnist(tmp_path, gz=gz)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert train.data.shape == (5, 28, 28) and train.data.dtype == np.uint8
    assert train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data, written["train"][0])
    np.testing.assert_array_equal(train.targets, written["train"][1])
    np.testing.assert_array_equal(test.data, written["t10k"][0])
    img, label = test[1]
    np.testing.assert_array_equal(img, written["t10k"][0][1])
    assert label == int(written["t10k"][1][1])
    assert len(train.classes) == 10


def test_torchvision_layout_and_fashion(tmp_path):
    written = _write_mnist(tmp_path / "MNIST" / "raw")
    np.testing.assert_array_equal(MNIST(tmp_path).data, written["train"][0])
    _write_mnist(tmp_path / "FashionMNIST" / "raw", gz=True, seed=1)
    fashion = FashionMNIST(tmp_path, train=False)
    assert fashion.classes[9] == "Ankle boot" and len(fashion) == 3


def test_missing_files_show_layout(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        MNIST(tmp_path)
    assert "train-images-idx3-ubyte" in str(err.value)
    assert "t10k-labels-idx1-ubyte" in str(err.value)


def _replace(tmp_path: Path, stem: str, raw: bytes) -> None:
    (tmp_path / stem).write_bytes(raw)


def test_bad_magic(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = bytearray(path.read_bytes())
    raw[2] = 0x42
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: bad IDX magic"):
        MNIST(tmp_path)


def test_truncated_and_trailing(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated.*\(5, 28, 28\)"):
        MNIST(tmp_path)
    path.write_bytes(raw + b"\x00")
    with pytest.raises(ValueError, match="trailing bytes"):
        MNIST(tmp_path)
    path.write_bytes(raw[:6])
    with pytest.raises(ValueError, match="truncated IDX header"):
        MNIST(tmp_path)


def test_wrong_kind_of_file(tmp_path):
    written = _write_mnist(tmp_path)
    # labels file where images are expected
    _replace(tmp_path, "train-images-idx3-ubyte", _idx(written["train"][1]))
    with pytest.raises(ValueError, match="expected uint8 images"):
        MNIST(tmp_path)
    _replace(tmp_path, "train-images-idx3-ubyte", _idx(written["train"][0].astype(">f4"), 0x0D))
    with pytest.raises(ValueError, match="expected uint8 images"):
        MNIST(tmp_path)


def test_count_mismatch_and_bad_labels(tmp_path):
    written = _write_mnist(tmp_path)
    _replace(tmp_path, "train-labels-idx1-ubyte", _idx(written["train"][1][:4]))
    with pytest.raises(ValueError, match="has 5 images but .* has 4 labels"):
        MNIST(tmp_path)
    _replace(tmp_path, "train-labels-idx1-ubyte", _idx(np.array([0, 1, 2, 3, 12], np.uint8)))
    with pytest.raises(ValueError, match="labels must lie in"):
        MNIST(tmp_path)


def test_corrupt_gzip(tmp_path):
    _write_mnist(tmp_path, gz=True)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz: corrupt or truncated gzip"):
        MNIST(tmp_path, train=False)


def test_read_idx_other_types_are_big_endian():
    arr = np.array([[1, -2, 300], [40000, 5, -6]], dtype=np.int32)
    out = read_idx(_idx(arr, 0x0C), "x.idx")
    np.testing.assert_array_equal(out, arr)
    assert out.dtype == np.int32 and out.dtype.isnative
    f = np.array([0.5, -1.25], dtype=np.float64)
    np.testing.assert_array_equal(read_idx(_idx(f, 0x0E), "f.idx"), f)
    with pytest.raises(ValueError, match="too short"):
        read_idx(b"\x00\x00", "tiny.idx")


def test_download_tries_mirrors_and_checks_md5(tmp_path, monkeypatch):
    import functools
    import hashlib
    import http.server
    import threading

    served = tmp_path / "www"
    written = _write_mnist(served, gz=True)
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in served.iterdir()}

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(served))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        resources = tuple((name, md5[name]) for name in sorted(md5))
        # the first mirror has nothing (404), the second has the files
        monkeypatch.setattr(MNIST, "mirrors", (f"{base}/missing/", f"{base}/"))
        monkeypatch.setattr(MNIST, "resources", resources)
        ds = MNIST(tmp_path / "root", train=False, download=True)
        np.testing.assert_array_equal(ds.data, written["t10k"][0])
        assert sorted(p.name for p in (tmp_path / "root" / "MNIST" / "raw").iterdir()) == sorted(
            md5
        )
        bad = tuple((name, "0" * 32) for name in sorted(md5))
        monkeypatch.setattr(MNIST, "resources", bad)
        with pytest.raises(ValueError, match="MD5"):
            MNIST(tmp_path / "other", download=True)
        assert not (tmp_path / "other" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").exists()
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_gzip_that_inflates_past_its_header_is_refused(tmp_path):
    _write_mnist(tmp_path, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw + b"\0" * 5000))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: the data goes on past"):
        MNIST(tmp_path)
    path.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(ValueError, match="truncated"):
        MNIST(tmp_path)


def test_header_claiming_more_than_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    # 60 000 images of 65 535 x 65 535: 257 TB claimed by a 16-byte header
    path.write_bytes(struct.pack(">BBBBIII", 0, 0, 8, 3, 60000, 65535, 65535))
    with pytest.raises(ValueError, match=r"i\.e\. 257\d+ bytes, more than the 268435456 allowed"):
        MNIST(tmp_path)
    monkeypatch.setattr(MNIST, "max_file_bytes", 100)
    _write_mnist(tmp_path / "small")
    with pytest.raises(ValueError, match="more than the 100 allowed"):
        MNIST(tmp_path / "small")


def test_read_maybe_gzip_is_bounded(tmp_path):
    from hosila.data._files import read_maybe_gzip

    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"a" * 1000))
    assert read_maybe_gzip(path, max_bytes=1000) == b"a" * 1000
    with pytest.raises(ValueError, match=r"x.gz: the data goes on past the 999 bytes allowed"):
        read_maybe_gzip(path, max_bytes=999)
    path.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_maybe_gzip(path)
