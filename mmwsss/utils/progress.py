"""Live progress of long subprocess runs (training / testing) read from their mmengine log files.

mmengine's :class:`LogProcessor` writes one line per logging interval, e.g.::

    12/06 20:31:02 - mmengine - INFO - Iter(train) [ 450/4000]  lr: 4.6e-02  eta: 0:12:10  time: 0.2101 ...  loss: 1.2345  ...
    12/06 20:45:40 - mmengine - INFO - Iter(test) [ 50/200]    eta: 0:00:31  time: 0.2050 ...

:func:`parse_progress` reads the last such line of a log; :class:`ProgressMonitor` prints one compact status
line for every running job every ``interval`` seconds (entry, phase, iteration / total, loss, ETA), so that a
user sees what runs from the first minute instead of a silent console while the logs go to files.
"""
import datetime
import os
import re
import threading
import time
from typing import Callable, Dict, Optional

__all__ = ['parse_progress', 'read_tail', 'format_seconds', 'ProgressMonitor']

_ITER = re.compile(r'(Iter|Epoch)\((train|val|test)\)\s*(?:\[\s*\d+\])?\s*\[\s*(\d+)\s*/\s*(\d+)\s*\](.*)')
_ETA = re.compile(r'\beta:\s*(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})')
_LOSS = re.compile(r'(?<![\w.])loss:\s*([-+0-9.eE]+|nan|inf)')


def read_tail(path: str, nbytes: int = 32768) -> str:
    """The last ``nbytes`` of a text file ('' when it does not exist yet)."""
    try:
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - nbytes))
            return f.read().decode('utf-8', errors='replace')
    except OSError:
        return ''


def parse_progress(text: str) -> Optional[dict]:
    """The state given by the last mmengine iteration line of ``text``.

    Returns:
        ``dict(phase, iter, total, loss, eta)`` (``loss`` float or None; ``eta`` seconds or None), or ``None``
        when ``text`` holds no iteration line.
    """
    last = None
    for line in text.splitlines():
        m = _ITER.search(line)
        if m:
            last = m
    if last is None:
        return None
    rest = last.group(5)
    eta = _ETA.search(rest)
    loss = _LOSS.search(rest)
    return dict(
        phase=last.group(2), iter=int(last.group(3)), total=int(last.group(4)),
        loss=float(loss.group(1)) if loss else None,
        eta=(int(eta.group(1) or 0) * 86400 + int(eta.group(2)) * 3600 + int(eta.group(3)) * 60 + int(eta.group(4)))
        if eta else None)


def format_seconds(seconds: Optional[float]) -> str:
    """``h:mm:ss`` (``m:ss`` under an hour); '?' for None."""
    if seconds is None:
        return '?'
    seconds = int(round(seconds))
    if seconds < 3600:
        return f'{seconds // 60}:{seconds % 60:02d}'
    return str(datetime.timedelta(seconds=seconds))


class ProgressMonitor:
    """Prints the progress of every running job every ``interval`` seconds from a background thread.

    ``start(name, log_path, label)`` registers a job whose subprocess writes ``log_path``; ``stop(name)``
    removes it. Each status line lists every running job::

        [progress 3:20] bestie_oracle step 1/2 train 450/4000 loss 1.234 eta 12:10 | blpseg step 1/2 starting (0:40)

    Args:
        interval: seconds between status lines (<= 0: no thread, nothing printed).
        log: the print function.
    """

    def __init__(self, interval: float = 20.0, log: Callable[[str], None] = print):
        self.interval = interval
        self.log = log
        self._jobs: Dict[str, dict] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._t0 = time.time()

    def __enter__(self):
        if self.interval > 0:
            self._thread = threading.Thread(target=self._loop, name='progress', daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def start(self, name: str, log_path: str, label: str = '') -> None:
        with self._lock:
            self._jobs[name] = dict(path=log_path, label=label, since=time.time())

    def stop(self, name: str) -> None:
        with self._lock:
            self._jobs.pop(name, None)

    def job_status(self, name: str, job: dict) -> str:
        """One job's part of the status line."""
        head = f'{name} {job["label"]}'.rstrip()
        state = parse_progress(read_tail(job['path']))
        elapsed = time.time() - job['since']
        if state is None:
            return f'{head} starting ({format_seconds(elapsed)})'
        text = f'{head} {state["phase"]} {state["iter"]}/{state["total"]}'
        if state['loss'] is not None:
            text += f' loss {state["loss"]:.4g}'
        eta = state['eta']
        if eta is not None:  # counted down from the time the line was written
            try:
                eta = max(0.0, eta - (time.time() - os.path.getmtime(job['path'])))
            except OSError:
                pass
        elif state['iter'] > 0:  # estimate from this job's own rate
            eta = elapsed / state['iter'] * (state['total'] - state['iter'])
        return text + f' eta {format_seconds(eta)}'

    def status_line(self) -> Optional[str]:
        """The current status line, or None when nothing runs."""
        with self._lock:
            jobs = dict(self._jobs)
        if not jobs:
            return None
        parts = [self.job_status(n, j) for n, j in jobs.items()]
        return f'[progress {format_seconds(time.time() - self._t0)}] ' + ' | '.join(parts)

    def _loop(self):
        while not self._stop.wait(self.interval):
            line = self.status_line()
            if line:
                self.log(line)
