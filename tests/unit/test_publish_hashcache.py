"""The file-hash cache of `publish`: an unchanged file is not read again; any sign of change means a re-hash."""

from __future__ import annotations

import hashlib
import os

import pytest

from publisher.publish.files import LocalFile
from publisher.publish.hashcache import HashCache

SIZE = 2 * 1024 * 1024


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(os.urandom(SIZE))
    return path


def _unreadable(self):
    raise AssertionError("the file was read although its hash was cached")


def test_a_file_hashed_once_is_not_read_again_even_by_a_new_process(tmp_path, weights, monkeypatch):
    cache_file = tmp_path / "cache" / "file-hashes.json"
    cache = HashCache(cache_file)
    first = LocalFile(weights.name, source=weights, cache=cache).sha256
    assert first == hashlib.sha256(weights.read_bytes()).hexdigest()
    cache.save()
    monkeypatch.setattr(LocalFile, "_chunks", _unreadable)
    again = LocalFile(weights.name, source=weights, cache=HashCache(cache_file))  # as the next publish does
    assert again.sha256 == first


def test_a_new_mtime_or_size_means_the_file_is_hashed_again(tmp_path, weights):
    cache = HashCache(tmp_path / "hashes.json")
    old = LocalFile(weights.name, source=weights, cache=cache).sha256
    with open(weights, "r+b") as handle:  # same size, new content, new mtime
        handle.write(b"\0" * 16)
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert (
        LocalFile(weights.name, source=weights, cache=cache).sha256
        == hashlib.sha256(weights.read_bytes()).hexdigest()
        != old
    )
    with open(weights, "ab") as handle:  # new size, mtime put back: still a miss
        handle.write(b"x")
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert (
        LocalFile(weights.name, source=weights, cache=cache).sha256
        == hashlib.sha256(weights.read_bytes()).hexdigest()
    )


def test_a_file_replaced_by_rename_is_hashed_again(tmp_path, weights):
    cache = HashCache(tmp_path / "hashes.json")
    assert LocalFile(weights.name, source=weights, cache=cache).sha256
    st = weights.stat()
    replacement = tmp_path / "new.tmp"
    replacement.write_bytes(os.urandom(SIZE))
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime, another inode
    os.replace(replacement, weights)
    assert (
        LocalFile(weights.name, source=weights, cache=cache).sha256
        == hashlib.sha256(weights.read_bytes()).hexdigest()
    )


def test_the_git_oid_is_cached_apart_from_the_sha256(tmp_path, weights):
    cache = HashCache(tmp_path / "hashes.json")
    local = LocalFile(weights.name, source=weights, cache=cache)
    content = weights.read_bytes()
    assert local.git_oid == hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    assert LocalFile(weights.name, source=weights, cache=cache).sha256 == hashlib.sha256(content).hexdigest()


def test_an_unreadable_or_corrupt_cache_is_ignored(tmp_path, weights):
    cache_file = tmp_path / "hashes.json"
    cache_file.write_text("{not json", encoding="utf-8")
    cache = HashCache(cache_file)
    assert (
        LocalFile(weights.name, source=weights, cache=cache).sha256
        == hashlib.sha256(weights.read_bytes()).hexdigest()
    )
    cache.save()
    assert str(weights.resolve()) in cache_file.read_text(encoding="utf-8")


def test_small_files_are_not_cached(tmp_path):
    small = tmp_path / "config.json"
    small.write_text("{}", encoding="utf-8")
    cache_file = tmp_path / "hashes.json"
    cache = HashCache(cache_file)
    assert LocalFile(small.name, source=small, cache=cache).git_oid
    cache.save()
    assert not cache_file.exists()
