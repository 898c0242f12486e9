"""The per-article time budget (`--article-timeout`), enforced in the process running the article.

One article must never stall a build: `article_budget(seconds)` interrupts the code running in
its block with `ArticleTimeout` once the budget is spent. In the main thread (a pool worker, or
the build's own process with WORKERS=1) a SIGALRM timer does it, which also interrupts a sleep
or a wait; in another thread (a Dask worker's) a timer thread raises the exception in the
article's thread, between two Python instructions. Code stuck inside one C call is stopped by the
local engine instead, which kills the worker once its task is over its time (builder/engines/local.py).

ArticleTimeout is a BaseException, so the stages' own `except Exception` never swallow it. A
process where it was raised is "tainted" (some cache or module state may have been cut half
way): the local engine replaces such a worker once its task is done.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

DEFAULT_ARTICLE_TIMEOUT = 60.0

_tainted = False


class ArticleTimeout(BaseException):
    """An article ran past its time budget."""


def tainted() -> bool:
    """Whether an article's work was interrupted in this process."""
    return _tainted


@contextmanager
def article_budget(seconds: float | None) -> Iterator[None]:
    """Raise ArticleTimeout in the block once it has run `seconds` (wall time); None or 0: no limit."""
    if not seconds or seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _thread_timer(seconds):
            yield


def _taint() -> None:
    global _tainted
    _tainted = True


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    armed = [True]

    def expire(_signum, _frame) -> None:
        if armed[0]:  # a signal delivered just as the block ended is ignored
            armed[0] = False
            _taint()
            raise ArticleTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_timer(seconds: float) -> Iterator[None]:
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"running": True, "fired": False}

    def expire() -> None:
        with lock:
            if state["running"]:
                state["fired"] = True
                _taint()
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(ArticleTimeout))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["running"] = False
            if state["fired"]:  # not delivered yet: clear it, so it never hits the code after the block
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)
        timer.cancel()
