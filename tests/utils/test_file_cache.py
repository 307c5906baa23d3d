"""DecodedFileCache: a file is decoded once while it is unchanged, callers get copies, the budget holds."""
import os
import pickle

import numpy as np
import pytest

from mmwsss.utils.file_cache import DecodedFileCache


class CountingReader:

    def __init__(self):
        self.calls = []

    def __call__(self, path):
        self.calls.append(path)
        return np.load(path)


def _write(path, arr, mtime_ns=None):
    with open(path, 'wb') as f:
        np.save(f, arr)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return str(path)


def test_hit_returns_an_equal_copy_and_reads_once(tmp_path):
    path = _write(tmp_path / 'a.npy', np.arange(12, dtype=np.uint8).reshape(3, 4))
    cache, read = DecodedFileCache(1), CountingReader()
    first = cache.get(path, read)
    second = cache.get(path, read)
    assert read.calls == [path] and (cache.hits, cache.misses) == (1, 1)
    np.testing.assert_array_equal(first, second)
    second[0, 0] = 99  # the caller's copy is its own ...
    first[1, 1] = 77
    third = cache.get(path, read)
    assert third[0, 0] == 0 and third[1, 1] == 5 and third.flags.writeable  # ... and the cached array is untouched


def test_rewritten_file_is_read_again(tmp_path):
    path = _write(tmp_path / 'a.npy', np.zeros((2, 2), np.uint8), mtime_ns=1_000_000_000)
    cache, read = DecodedFileCache(1), CountingReader()
    assert cache.get(path, read).sum() == 0
    _write(path, np.ones((2, 2), np.uint8), mtime_ns=2_000_000_000)  # a regenerated pseudo label
    assert cache.get(path, read).sum() == 4
    assert len(read.calls) == 2 and len(cache) == 1


def test_tag_is_part_of_the_key(tmp_path):
    path = _write(tmp_path / 'a.npy', np.arange(4, dtype=np.uint8))
    cache = DecodedFileCache(1)
    assert cache.get(path, lambda p: np.load(p), 'raw').tolist() == [0, 1, 2, 3]
    assert cache.get(path, lambda p: np.load(p) * 2, 'doubled').tolist() == [0, 2, 4, 6]
    assert cache.get(path, lambda p: np.zeros(4), 'raw').tolist() == [0, 1, 2, 3]  # from the cache


def test_budget_drops_least_recently_used(tmp_path):
    paths = [_write(tmp_path / f'{i}.npy', np.full(400_000, i, np.uint8)) for i in range(4)]  # 0.38 MB each
    cache, read = DecodedFileCache(1), CountingReader()  # room for two
    cache.get(paths[0], read)
    cache.get(paths[1], read)
    cache.get(paths[0], read)  # 0 is now the most recent
    cache.get(paths[2], read)  # drops 1
    assert len(cache) == 2 and cache.nbytes == 800_000
    cache.get(paths[0], read)
    cache.get(paths[1], read)
    assert read.calls == [paths[0], paths[1], paths[2], paths[1]]
    big = _write(tmp_path / 'big.npy', np.zeros(2**20 + 1, np.uint8))  # over the whole budget: not kept
    cache.get(big, read)
    cache.get(big, read)
    assert read.calls[-2:] == [big, big] and cache.nbytes <= 2**20


def test_off_missing_and_non_local_paths_read_every_time(tmp_path):
    path = _write(tmp_path / 'a.npy', np.zeros(3, np.uint8))
    off, read = DecodedFileCache(0), CountingReader()
    off.get(path, read)
    off.get(path, read)
    assert read.calls == [path, path] and len(off) == 0
    cache = DecodedFileCache(1)
    uri = 's3://bucket/a.png'
    assert cache.get(uri, lambda p: np.ones(1)).tolist() == [1] and len(cache) == 0
    with pytest.raises(FileNotFoundError):
        cache.get(str(tmp_path / 'missing.npy'), np.load)  # the reader's error, not the cache's
    with pytest.raises(ValueError, match='cache_mb'):
        DecodedFileCache(-1)


def test_pickled_cache_starts_empty_with_the_same_budget(tmp_path):
    path = _write(tmp_path / 'a.npy', np.zeros(3, np.uint8))
    cache = DecodedFileCache(2)
    cache.get(path, np.load)
    clone = pickle.loads(pickle.dumps(cache))  # what a spawned dataloader worker receives
    assert len(clone) == 0 and clone.nbytes == 0 and clone.max_bytes == 2 * 2**20
    assert len(cache) == 1
