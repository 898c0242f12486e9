"""Worker processes that die with the build.

A build's local pool is a forkserver (started by the build) whose forked children are the
workers, plus multiprocessing's resource tracker. When the build is SIGKILLed (by a user, a job
scheduler, the OOM killer), none of them notices: each worker holds the write end of its own task
queue and the forkserver's "alive" pipe, so they all sleep on, holding their memory, for ever.

Two lines of defence, both armed by `die_with_parent` in the forkserver (builder._preload) and in
each worker (the pool's initializer):

- Linux's parent-death signal (prctl PR_SET_PDEATHSIG): the kernel SIGKILLs the process as soon as
  its parent exits. The forkserver's parent is the build; a worker's is the forkserver, so a
  killed build takes the forkserver with it, and the forkserver its workers.
- a watch thread (workers only: the forkserver forks, and must stay single-threaded), for systems
  without prctl and for the case the kernel signal cannot see (the parent died before the signal
  was armed): it exits the worker when its parent process changes or when the build that started
  it (multiprocessing's parent process, whose sentinel closes when the build dies) is gone.

Once the workers are gone the forkserver and the resource tracker see their pipes close and exit
on their own too. Nothing here runs in the build's own process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# Seconds between two looks at the parent in the watch thread.
WATCH_INTERVAL = 0.5
# The exit code of a process that noticed its build is gone.
ORPHANED_EXIT_CODE = 70


def set_parent_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send signum to this process when its parent exits (Linux); False if the
    system has no such call. The setting is not inherited by forked children: each arms its own."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(*, watch: bool = True) -> None:
    """Arm the parent-death signal, and unless watch is False start the watch thread.

    Called first thing in a process that must not outlive the build: the forkserver (with
    watch=False) and every pool worker (the pool's initializer).
    """
    parent = os.getppid()
    set_parent_death_signal()
    build = multiprocessing.parent_process()  # the build that asked for this worker, if any
    if os.getppid() != parent or (build is not None and not build.is_alive()):
        os._exit(ORPHANED_EXIT_CODE)  # the parent died before the signal was armed
    if watch:
        threading.Thread(target=_watch, args=(parent, build), name="lifeline", daemon=True).start()


def _watch(parent: int, build) -> None:
    """Exit this process when its parent changes or the build that started it is gone."""
    sentinel = getattr(build, "sentinel", None)
    while True:
        if sentinel is not None:
            if multiprocessing.connection.wait([sentinel], timeout=WATCH_INTERVAL):
                os._exit(ORPHANED_EXIT_CODE)
        else:
            threading.Event().wait(WATCH_INTERVAL)
        if os.getppid() != parent:
            os._exit(ORPHANED_EXIT_CODE)
