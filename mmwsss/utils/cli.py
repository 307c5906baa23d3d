"""Command-line helpers shared by the tools: one-line errors and checked ``--cfg-options``.

Every tool's ``main`` is wrapped in :func:`tool_main`: an exception ends the tool with one line on stderr
(``error: <type>: <message>``; mmwsss's messages name the file, the problem and what to do) and exit status 1,
instead of a traceback at the end of a long log. ``--debug`` anywhere on the command line, or the environment
variable ``MMWSSS_DEBUG=1``, lets the traceback through.
"""
import difflib
import functools
import os
import sys
import traceback
from typing import Callable, Iterable, Optional

__all__ = ['DEBUG_ENV', 'debug_enabled', 'format_tool_error', 'tool_main', 'check_cfg_options',
           'UnknownConfigKeyError']

DEBUG_ENV = 'MMWSSS_DEBUG'
_BARE = (LookupError, AttributeError, TypeError, NameError, AssertionError, ArithmeticError)
MAX_MESSAGE = 2000


def debug_enabled() -> bool:
    """``MMWSSS_DEBUG`` is set to something other than ``''``/``0``/``false``/``no``."""
    return os.environ.get(DEBUG_ENV, '').strip().lower() not in ('', '0', 'false', 'no')


def _pop_debug_flag(argv: list) -> bool:
    """Remove ``--debug`` from ``argv`` (in place); return whether it was there."""
    found = '--debug' in argv[1:]
    if found:
        argv[1:] = [a for a in argv[1:] if a != '--debug']
    return found


def format_tool_error(err: BaseException) -> str:
    """``error: <type>: <message>`` on one line; errors without a message or raised by Python itself (``KeyError``,
    ``AttributeError``, ...) also say where they were raised."""
    msg = ' '.join(str(err).split())
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(err.args[0], str):
        msg = ' '.join(err.args[0].split())  # str(KeyError) wraps the message in quotes
    tb = traceback.extract_tb(err.__traceback__)
    # errors of the code rather than of the input (Python's own KeyError, TypeError, ...): say where
    if tb and (not msg or (isinstance(err, _BARE) and not type(err).__module__.startswith('mmwsss'))):
        frame = tb[-1]
        msg = f'{msg} (raised at {frame.filename}:{frame.lineno})' if msg else \
            f'raised at {frame.filename}:{frame.lineno}'
    if len(msg) > MAX_MESSAGE:
        msg = msg[:MAX_MESSAGE] + ' ...'
    return (f'error: {type(err).__name__}: {msg}  [--debug or {DEBUG_ENV}=1 shows the traceback]')


def tool_main(fn: Callable) -> Callable:
    """Decorate a tool's ``main``: one-line error and exit status 1 unless debugging (see the module docstring).

    ``--debug`` is taken out of ``sys.argv`` before ``fn`` parses it and exported as ``MMWSSS_DEBUG=1``, so that
    processes the tool starts (torchrun workers, suite steps) show their tracebacks too.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _pop_debug_flag(sys.argv):
            os.environ[DEBUG_ENV] = '1'
        if debug_enabled():
            return fn(*args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except Exception as err:  # KeyboardInterrupt and SystemExit pass
            sys.stdout.flush()
            print(format_tool_error(err), file=sys.stderr, flush=True)
            sys.exit(1)

    return wrapper


class UnknownConfigKeyError(KeyError):
    """A ``--cfg-options`` key that the config does not have and no tool reads."""

    def __str__(self):
        return str(self.args[0]) if self.args else ''


def check_cfg_options(options: Optional[dict], known: Iterable[str], where: str,
                      what: str = 'top-level config key') -> None:
    """Refuse override keys whose first component is unknown (a typo would otherwise be ignored silently).

    Args:
        options: ``{dotted.key: value}`` as ``DictAction`` parses ``--cfg-options``.
        known: Accepted first components.
        where: The config file (named in the message).
        what: What the first component is, for the message.

    Raises:
        UnknownConfigKeyError: naming the first unknown key and the closest known one.
    """
    if not options:
        return
    known = sorted(set(known))
    for key in options:
        top = str(key).split('.')[0]
        if top in known:
            continue
        close = difflib.get_close_matches(top, known, n=1, cutoff=0.6)
        hint = f'did you mean {close[0]!r}?' if close else f'known: {", ".join(known)}'
        raise UnknownConfigKeyError(f'{where}: --cfg-options {key}: {top!r} is not a {what} of this config '
                                    f'({hint}); fix the key or add it to the config file')
