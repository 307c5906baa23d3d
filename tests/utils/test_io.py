"""Atomic writes: the file appears whole or not at all, with the permissions ``open()`` would give it."""
import os
import stat

import numpy as np
import pytest

from mmwsss.utils import atomic_save_npy, atomic_save_png, atomic_write
from mmwsss.utils.io import current_umask


@pytest.fixture
def umask():
    old = os.umask(0o022)
    os.umask(old)
    yield lambda m: os.umask(m)
    os.umask(old)


@pytest.mark.parametrize('mask,expected', [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600), (0o027, 0o640)])
def test_atomic_write_respects_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert current_umask() == mask
    with atomic_write(tmp_path / 'a.pth') as f:
        f.write(b'x')
    atomic_save_npy(tmp_path / 'b.npy', np.zeros(2))
    atomic_save_png(tmp_path / 'c.png', np.zeros((2, 2), np.uint8))
    # the same mode as a file created by open()
    with open(tmp_path / 'plain', 'wb'):
        pass
    for name in ('a.pth', 'b.npy', 'c.png', 'plain'):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected, name


def test_atomic_write_replaces_with_new_mode(tmp_path, umask):
    umask(0o077)
    path = tmp_path / 'm.json'
    with atomic_write(path, 'w') as f:
        f.write('1')
    umask(0o022)
    with atomic_write(path, 'w') as f:
        f.write('2')
    assert path.read_text() == '2' and stat.S_IMODE(os.stat(path).st_mode) == 0o644
