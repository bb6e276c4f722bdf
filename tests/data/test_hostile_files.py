"""Hostile data files: crafted and fuzzed CIFAR pickles and decompression bombs, loaded in
a subprocess under a memory cap (anything that could crash the interpreter or fill the
memory runs there). The corpus and the bombs are built by benchmarks/hostile_files.py,
which runs the same suite with more fuzz inputs and prints the figures of
docs/reliability.md."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from hosila.data import CIFAR10, ImageFolder

SUITE = Path(__file__).resolve().parents[2] / "benchmarks" / "hostile_files.py"


@pytest.fixture(scope="module")
def suite():
    spec = importlib.util.spec_from_file_location("hostile_files", SUITE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_crafted_pickle_is_refused_and_fuzz_never_crashes(suite):
    crafted = suite.crafted_pickles()
    fuzz = suite.fuzzed(flips=300, truncations=100, seed=1)
    kinds = {kind for kind, _ in crafted.values()}
    assert len(crafted) >= 100 and kinds == {
        "array", "dtype", "dtype-state", "global", "malformed", "memory"
    }  # fmt: skip
    report = suite.run_corpus({**crafted, **fuzz}, margin=512 << 20, timeout=120)
    # SIGSEGV (-11) on the code before issue 10, at "dtype-state/fields-bytes-V8-as-labels"
    assert report["returncode"] == 0, (report["last"], report["stderr"])
    outcomes = report["outcomes"]
    not_refused = {n: outcomes[n] for n in crafted if outcomes[n] != "refused"}
    assert not_refused == {}
    assert all(outcomes[n] in ("loaded", "refused", "refused-format") for n in fuzz)
    assert all(outcomes[n] == "refused" for n in fuzz if n.startswith("truncation"))
    flips = [outcomes[n] for n in fuzz if n.startswith("flip")]
    assert "loaded" in flips and "refused" in flips  # the fuzz reaches both outcomes
    assert report["peak_above_baseline"] < 256 << 20


def test_unpickling_errors_are_one_documented_class_naming_the_file(suite):
    from hosila.data._files import UnsafePickleError, safe_unpickle

    crafted = suite.crafted_pickles()
    # the ones that raised OverflowError / SystemError / UnicodeDecodeError / MemoryError
    # (or nothing) before, and are harmless to run in this process now
    for name in [
        "dtype-state/not-a-tuple",  # SystemError in NumPy
        "dtype-state/object-flag-on-u1-in-batch",  # SystemError
        "array/overflowing-shape",  # OverflowError
        "malformed/bad-utf8",  # UnicodeDecodeError
        "malformed/long-100k-digits",  # ValueError (int digits limit)
        "memory/binbytes8-claims-1TB",  # MemoryError
        "memory/nested-100k-lists",  # loaded before
    ]:
        with pytest.raises(UnsafePickleError, match=r"^file\.pkl: ") as err:
            safe_unpickle(crafted[name][1], "file.pkl")
        assert isinstance(err.value, ValueError), name


def test_mnist_gzip_bomb_is_refused_without_inflating(suite, tmp_path):
    folder = suite.build_bomb("mnist", tmp_path / "mnist", megabytes=200)
    res = suite.run_bomb("mnist", folder, margin=150 << 20)
    assert res["returncode"] == 0, res["stderr"]  # MemoryError traceback before
    assert "REFUSED" in res["stdout"] and "train-images-idx3-ubyte.gz" in res["stdout"]
    assert "goes on past the 7840 bytes its IDX header implies" in res["stdout"]
    assert res["peak"] < 32 << 20


def test_cifar_archive_with_a_huge_member_is_refused_from_its_header(suite, tmp_path):
    folder = suite.build_bomb("cifar", tmp_path / "cifar", megabytes=200)
    res = suite.run_bomb("cifar", folder, margin=150 << 20)
    assert res["returncode"] == 0, res["stderr"]
    assert "REFUSED" in res["stdout"] and "cifar-10-python.tar.gz" in res["stdout"]
    assert "'cifar-10-batches-py/data_batch_1' has 209715200 bytes" in res["stdout"]
    assert res["peak"] < 32 << 20


def test_download_path_refuses_a_huge_member_before_writing(suite, tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    archive = suite.cifar_tar_bomb(root / "cifar-10-python.tar.gz", megabytes=64)
    # the archive is "already downloaded" with the right MD5: download() only unpacks it
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(archive.read_bytes()).hexdigest())
    with pytest.raises(ValueError, match=r"cifar-10-python.tar.gz: member .* 67108864 bytes"):
        CIFAR10(root, download=True)
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-python.tar.gz"]


def test_many_members_are_capped_in_total(tmp_path):
    import io
    import tarfile

    from hosila.data._files import safe_extract

    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        for i in range(5):
            info = tarfile.TarInfo(f"d/f{i}")
            info.size = 1000
            tar.addfile(info, io.BytesIO(b"x" * 1000))
    with pytest.raises(ValueError, match="add up to more than the 3000 bytes"):
        safe_extract(archive, tmp_path / "out", max_member_bytes=1000, max_total_bytes=3000)
    assert not (tmp_path / "out" / "d").exists()
    safe_extract(archive, tmp_path / "ok", max_member_bytes=1000, max_total_bytes=5000)
    assert (tmp_path / "ok" / "d" / "f4").read_bytes() == b"x" * 1000


def test_image_decompression_bomb_is_a_value_error_naming_the_file(suite, tmp_path):
    folder = suite.build_bomb("image", tmp_path / "img", megabytes=0)
    with pytest.raises(ValueError, match=r"bomb\.png: refusing a decompression bomb"):
        ImageFolder(folder, cache=False)
