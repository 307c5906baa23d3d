"""Worker processes that end with their launcher.

``torchrun`` forwards SIGTERM/SIGINT to its workers, but a launcher killed with SIGKILL (``kill -9``, the OOM
killer, a scheduler's hard stop) cannot: its workers are re-parented and go on training to the end, holding the
devices. :func:`exit_with_parent` asks the Linux kernel to send the calling process a signal when its parent
dies (``prctl(PR_SET_PDEATHSIG)``).
"""
import ctypes
import ctypes.util
import os
import signal
import sys

__all__ = ['exit_with_parent', 'launched_by_torchrun']

PR_SET_PDEATHSIG = 1


def launched_by_torchrun() -> bool:
    """The process is a worker started by ``torchrun`` / ``torch.distributed.run`` (it sets these variables)."""
    return 'TORCHELASTIC_RUN_ID' in os.environ or 'TORCHELASTIC_RESTART_COUNT' in os.environ


def exit_with_parent(sig: int = signal.SIGTERM) -> bool:
    """Have the kernel send ``sig`` to this process when its parent process dies (Linux; elsewhere a no-op).

    If the parent is already gone when this is called (re-parented to init or a subreaper), the process exits
    now with status 1.

    Returns:
        bool: Whether the request was registered.
    """
    if not sys.platform.startswith('linux'):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if parent == 1 or os.getppid() != parent:  # the parent died before the request took effect
        sys.stderr.write('error: the launcher of this worker is gone; exiting\n')
        sys.exit(1)
    return True
