"""A worker that asked for it ends when its launcher is killed with SIGKILL."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ..conftest import REPO

CHILD = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, {repo!r})
    if {register}:
        from mmwsss.utils.process import exit_with_parent
        assert exit_with_parent()
    open({pidfile!r}, 'w').write(str(__import__('os').getpid()))
    time.sleep(120)
''')
PARENT = 'import subprocess, sys, time; subprocess.Popen([sys.executable, "-c", sys.argv[1]]); time.sleep(120)'


def _alive(pid):
    try:
        with open(f'/proc/{pid}/status') as f:
            state = next(line for line in f if line.startswith('State:'))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return 'Z' not in state.split()[1]  # a zombie has ended


def _orphan(tmp_path, register):
    pidfile = str(tmp_path / f'child{int(register)}.pid')
    parent = subprocess.Popen([sys.executable, '-c', PARENT, CHILD.format(repo=REPO, register=register,
                                                                          pidfile=pidfile)])
    deadline = time.time() + 60
    while not os.path.isfile(pidfile) or not open(pidfile).read():
        assert time.time() < deadline, 'child did not start'
        time.sleep(0.05)
    child = int(open(pidfile).read())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    return child


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='prctl(PR_SET_PDEATHSIG) is Linux-only')
def test_worker_ends_with_its_killed_parent(tmp_path):
    child = _orphan(tmp_path, register=True)
    deadline = time.time() + 10
    while _alive(child):
        assert time.time() < deadline, 'the worker outlived its parent'
        time.sleep(0.05)
    # the control: without the request the orphan keeps running
    child = _orphan(tmp_path, register=False)
    try:
        time.sleep(0.5)
        assert _alive(child)
    finally:
        os.kill(child, signal.SIGKILL)
