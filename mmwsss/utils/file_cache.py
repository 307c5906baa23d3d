"""A per-process cache of decoded files for the loading transforms.

Decoding is a fixed cost per sample: for the 128x128 images of the embedded dataset, reading and decoding an image
and its label maps takes about a tenth of a training step of the small models that train on it. When a dataset fits
in memory, a loading transform given ``cache_mb`` keeps what it decoded and hands out copies, so a sample is decoded
once per process (per dataloader worker) instead of once per epoch; what the pipeline sees is unchanged.

An entry is keyed by the path and what was read from it (e.g. the decode flag), and is valid while the file's size
and modification time stay the same, so a file that is rewritten (pseudo labels regenerated) is read again. Least
recently used entries are dropped beyond the budget. Paths that are not local files (URIs of other storage backends)
are read every time.
"""
import os
from collections import OrderedDict
from typing import Callable, Hashable, Optional

import numpy as np

__all__ = ['DecodedFileCache']


class DecodedFileCache:
    """Least-recently-used cache of arrays decoded from files, bounded by their total size.

    Args:
        max_mb: Budget in MB (2**20 bytes) of the cached arrays; 0 turns the cache off (every call reads).
    """

    def __init__(self, max_mb: float = 0):
        if max_mb < 0:
            raise ValueError(f'cache_mb must be >= 0, got {max_mb}')
        self.max_bytes = int(max_mb * 2**20)
        self._entries: 'OrderedDict[Hashable, tuple]' = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, path: str, read: Callable[[str], np.ndarray], tag: Hashable = None) -> np.ndarray:
        """``read(path)``, from the cache when the file has not changed since it was cached.

        Args:
            path: File to read.
            read: Reads and decodes ``path`` into an array.
            tag: What ``read`` extracts from the file (e.g. the decode flag), part of the key.

        Returns:
            The decoded array; a copy the caller may modify when it comes from the cache.
        """
        if self.max_bytes <= 0:
            return read(path)
        stamp = _stamp(path)
        if stamp is None:
            return read(path)
        key = (path, tag)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1].copy()
        self.misses += 1
        arr = read(path)
        if entry is not None:
            self._drop(key)
        size = arr.nbytes
        if size <= self.max_bytes:
            while self.nbytes + size > self.max_bytes:
                self._drop(next(iter(self._entries)))
            stored = arr.copy()
            stored.flags.writeable = False
            self._entries[key] = (stamp, stored)
            self.nbytes += size
        return arr

    def _drop(self, key) -> None:
        _, arr = self._entries.pop(key)
        self.nbytes -= arr.nbytes

    def __getstate__(self):
        # a pickled transform (dataloader workers started by spawn) starts with an empty cache of the same budget
        state = self.__dict__.copy()
        state['_entries'] = OrderedDict()
        state['nbytes'] = state['hits'] = state['misses'] = 0
        return state


def _stamp(path: str) -> Optional[tuple]:
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # not a local file (a URI of another backend), or missing: read() reports it
        return None
    return st.st_size, st.st_mtime_ns
