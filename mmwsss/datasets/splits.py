"""Split files: one image id per line (the first token; further tokens, e.g. a label path, are ignored)."""
from typing import List, Optional

from mmengine.fileio import list_from_file

__all__ = ['read_split']


def read_split(path: str, backend_args: Optional[dict] = None) -> List[str]:
    """Ids of a split file, read with :func:`mmengine.fileio.list_from_file` (any mmengine file backend).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file holds no id.
    """
    try:
        lines = list_from_file(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: split file not found') from None
    ids = [line.split()[0] for line in lines if line.strip()]
    if not ids:
        raise ValueError(f'{path}: split file is empty')
    return ids
