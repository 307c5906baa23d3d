"""Crash-safe file writing: a killed run never leaves a half-written output."""
import io
import json
import os
import tempfile
from contextlib import contextmanager
from typing import Iterator, Union

import numpy as np

__all__ = ['atomic_write', 'current_umask', 'atomic_save_png', 'atomic_save_npy', 'file_identity', 'claim_output_dir',
           'read_run_stamp', 'RUN_STAMP', 'file_lock', 'atomic_replace_dir']


def current_umask() -> int:
    """The process's file-creation mask, read without changing it where the OS allows.

    Linux reports it in ``/proc/self/status``; elsewhere it is set and restored (not thread-safe, but only
    for the instant between the two calls).
    """
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: Union[str, os.PathLike], mode: str = 'wb') -> Iterator[io.IOBase]:
    """Open a temporary file next to ``path`` and move it over ``path`` on success.

    ``os.replace`` is atomic on POSIX within one file system, so readers see either the old
    file or the complete new one; on an exception the temporary file is removed.

    Args:
        path: Destination file.
        mode: ``'wb'`` or ``'w'``.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.', suffix='.tmp')
    try:
        # mkstemp creates 0600; give the file the mode open() would (0666 minus the umask) so that the
        # checkpoints, label maps and metrics are readable by whoever the umask lets read them
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_save_png(path: Union[str, os.PathLike], label: np.ndarray, palette=None) -> None:
    """Write a uint8 label map as PNG atomically (optionally with a palette).

    Args:
        path: Destination ``.png``.
        label: (H, W) integer array with values in [0, 255].
        palette: Optional flat list of 768 ints (a VOC-style palette PNG is written).
    """
    from PIL import Image
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f'{path}: a label map must be 2-D, got shape {label.shape}')
    if label.size and (label.min() < 0 or label.max() > 255):
        raise ValueError(f'{path}: label values must lie in [0, 255], got [{label.min()}, {label.max()}]')
    img = Image.fromarray(label.astype(np.uint8), mode='P' if palette is not None else 'L')
    if palette is not None:
        img.putpalette(palette)
    buf = io.BytesIO()
    img.save(buf, format='PNG')
    with atomic_write(path) as f:
        f.write(buf.getvalue())


def atomic_save_npy(path: Union[str, os.PathLike], array: np.ndarray) -> None:
    """Write an array with ``np.save`` atomically."""
    buf = io.BytesIO()
    np.save(buf, array)
    with atomic_write(path) as f:
        f.write(buf.getvalue())


RUN_STAMP = '.run_stamp.json'


def file_identity(path: Union[str, os.PathLike]) -> dict:
    """What identifies one version of an input file in a run stamp: absolute path, size and modification time.

    Raises:
        FileNotFoundError: ``path`` does not exist.
    """
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: not found')
    st = os.stat(path)
    return dict(path=path, size=int(st.st_size), mtime_ns=int(st.st_mtime_ns))


def claim_output_dir(out_dir: Union[str, os.PathLike], stamp: dict, resume: bool, suffix: str) -> int:
    """Tie a resumable tool's output folder to the inputs that made it, before it writes.

    Resumable tools skip outputs that exist. That is only right when they came from the same inputs: a folder of
    masks estimated by an earlier checkpoint would otherwise be kept silently. The folder's ``.run_stamp.json``
    records ``stamp`` (checkpoint identity, scales, ...).

    Args:
        out_dir: Output folder (created).
        stamp: JSON-serialisable description of the inputs and settings.
        resume: ``True``: keep existing outputs, which requires the recorded stamp to equal ``stamp`` (or, with no
            stamp recorded, no ``*suffix`` file in the folder). ``False``: delete the folder's ``*suffix`` files
            (they are about to be recomputed anyway; a later resume must not mix them with the new ones).
        suffix: Extension of the tool's outputs, e.g. ``'.png'``.

    Returns:
        int: Number of output files deleted (``resume=False``).

    Raises:
        ValueError: ``resume`` and the folder holds outputs of other inputs, or unstamped outputs.
    """
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    stamp = json.loads(json.dumps(stamp))  # normalise tuples etc. as they will be read back
    path = os.path.join(out_dir, RUN_STAMP)
    outputs = [f for f in os.listdir(out_dir) if f.endswith(suffix)]
    deleted = 0
    if resume:
        if os.path.isfile(path):
            with open(path) as f:
                old = json.load(f)
            if old != stamp:
                keys = sorted(k for k in set(old) | set(stamp) if old.get(k) != stamp.get(k))
                raise ValueError(f'{out_dir}: holds outputs of another run (differs in {keys}: recorded '
                                 f'{ {k: old.get(k) for k in keys} }, now { {k: stamp.get(k) for k in keys} }); '
                                 'pass --no-resume to recompute them or choose another output folder')
            return 0
        if outputs:
            raise ValueError(f'{out_dir}: holds {len(outputs)} {suffix} file(s) without a {RUN_STAMP} (another '
                             'tool or an older version made them); pass --no-resume to recompute them or choose '
                             'another output folder')
    else:
        for f in outputs:
            os.remove(os.path.join(out_dir, f))
        deleted = len(outputs)
    with atomic_write(path, 'w') as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
    return deleted


def read_run_stamp(folder: Union[str, os.PathLike]) -> Union[dict, str]:
    """The run stamp of a folder a tool wrote (its inputs' identity), or its absolute path if it has none.

    Tools that read another tool's folder (IR labels from CAMs) put this into their own stamp, so new CAMs
    invalidate the IR labels made from the old ones.
    """
    path = os.path.join(os.fspath(folder), RUN_STAMP)
    if os.path.isfile(path):
        with open(path) as f:
            return json.load(f)
    return os.path.abspath(os.fspath(folder))


@contextmanager
def file_lock(path: Union[str, os.PathLike]) -> Iterator[None]:
    """Exclusive ``fcntl.flock`` on ``<parent>/.<name>.lock`` while the block runs (the lock file stays; it is
    harmless). Serialises processes that create the same ``path`` (e.g. every rank of a distributed run)."""
    import fcntl
    parent, name = os.path.split(os.path.abspath(os.fspath(path)))
    os.makedirs(parent, exist_ok=True)
    fd = os.open(os.path.join(parent, f'.{name}.lock'), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def atomic_replace_dir(path: Union[str, os.PathLike]) -> Iterator[str]:
    """Yield a new temporary sibling folder of ``path``; when the block succeeds it becomes ``path`` in one rename.

    Readers see the old folder or the complete new one, never a partial one. An existing ``path`` is moved
    aside and deleted; on an exception the temporary folder is deleted. Hold :func:`file_lock` on ``path``:
    siblings left by a killed run (``.<name>.tmp-*``, ``.<name>.old-*``) are removed first.
    """
    import shutil
    root = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(root)
    os.makedirs(parent, exist_ok=True)
    for entry in os.listdir(parent):
        if entry.startswith((f'.{name}.tmp-', f'.{name}.old-')):
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=parent)
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp's 0o700 would hide the dataset from other users
        yield tmp
        old = None
        if os.path.exists(root):
            old = tempfile.mkdtemp(prefix=f'.{name}.old-', dir=parent)
            os.rename(root, os.path.join(old, 'd'))
        os.rename(tmp, root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
