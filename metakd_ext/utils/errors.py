"""An uncaught error of a bundle run ends with its cause, not with the runner's wrapper around it."""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType

__all__ = ["root_cause", "end_errors_with_cause"]


def root_cause(error: BaseException) -> BaseException:
    """The exception that says what went wrong in ``error``'s chain of explicit causes (``raise ... from e``): the
    innermost one raised in metakd_ext code (its messages name the file and case), else the innermost one."""
    chain = [error]
    while chain[-1].__cause__ is not None and all(chain[-1].__cause__ is not e for e in chain):
        chain.append(chain[-1].__cause__)
    ours = [e for e in chain if _raised_in_package(e)]
    return ours[-1] if ours else chain[-1]


def _raised_in_package(error: BaseException) -> bool:
    """Whether the innermost frame of ``error``'s traceback is in this package's code."""
    tb = error.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{os.sep}metakd_ext{os.sep}" in tb.tb_frame.f_code.co_filename


def end_errors_with_cause() -> None:
    """Makes an uncaught error print its root cause as the last line, after the usual traceback.

    MONAI's bundle runner wraps an error raised in a config expression or a transform in ``RuntimeError: Failed to
    evaluate ...`` or ``applying transform ...``, so the last line a user reads names the wrapper; the line this adds
    (``error: ValueError: case Brats18_X: cannot read the t1ce file ...``) names the file and what to do. The cause is
    the innermost exception raised by metakd_ext (whose message says what to do), else the innermost of the chain.

    It also waits (up to 5 s each) for the worker threads of a thread pool that the error left running (MONAI's
    ``CacheDataset`` fills its cache in one): killed at interpreter exit after running torch code, they abort the
    process ("terminate called without an active exception", exit code 134) after the message. The bundles call it
    first in ``initialize``; calling it again changes nothing.
    """
    hook = sys.excepthook
    if getattr(hook, "_ends_with_cause", False):
        return

    def excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and thread.name.endswith("(worker)"):
                thread.join(timeout=5)
        hook(kind, error, tb)
        cause = root_cause(error)
        if cause is not error:
            print(f"\nerror: {type(cause).__name__}: {cause}", file=sys.stderr)

    excepthook._ends_with_cause = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook
