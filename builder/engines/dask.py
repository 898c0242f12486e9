"""The Dask engine: the same per-article tasks on a Dask cluster (`pip install ".[dask]"`).

With no scheduler address it starts a LocalCluster of `workers` processes (one thread each: the
stages are pure Python and hold the GIL); with DASK_SCHEDULER=tcp://host:port it connects to a
running cluster, whose workers must have this project installed (the same version) and need no
access to RAW or OUT: tasks carry their input units and return their records, and this process
alone reads RAW and writes OUT. Results come back in input order with a bounded number of tasks in
flight, so memory stays flat here and on the workers.

Starting and stopping are bounded by START_TIMEOUT and CLOSE_TIMEOUT, so a cluster that does not
come up (or does not go down) fails the build with a message instead of hanging it.

A worker process where an article's time budget cut the code at an arbitrary point
(builder/budget.py: "tainted") is restarted by its nanny once its result comes back, as the local
engine replaces such a worker; a worker without a nanny cannot be restarted from here, and the
build says so once on stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from builder.errors import BuildError

SCHEDULER_ENV = "DASK_SCHEDULER"
START_TIMEOUT = float(os.environ.get("BUILDER_DASK_START_TIMEOUT", 60))  # seconds
CLOSE_TIMEOUT = float(os.environ.get("BUILDER_DASK_CLOSE_TIMEOUT", 30))
IN_FLIGHT_PER_THREAD = 2


def ordered_map(function: Callable, items: Iterable, *, workers: int, scheduler: str | None = None) -> Iterator:
    """function over items on a Dask cluster, results in input order."""
    with client_for(workers=workers, scheduler=scheduler) as client:
        threads = max(1, sum(client.nthreads().values()))
        replacer = _Replacer(client)
        pending: deque = deque()
        for item in items:
            pending.append(client.submit(_reporting_taint, function, item, pure=False))
            if len(pending) >= IN_FLIGHT_PER_THREAD * threads:
                yield replacer.result(pending.popleft())
        while pending:
            yield replacer.result(pending.popleft())


def _reporting_taint(function: Callable, item):
    """(function(item), None), or with (worker address, pid) in place of None when an article's
    budget has interrupted code in this worker process (builder.budget.tainted)."""
    from builder import budget

    result = function(item)
    if not budget.tainted():
        return result, None
    import distributed

    return result, (distributed.get_worker().address, os.getpid())


class _Replacer:
    """Results of the futures, and a restart for each tainted worker process, once."""

    def __init__(self, client):
        self.client = client
        self.done: set[tuple[str, int]] = set()

    def result(self, future):
        try:
            result, tainted = future.result()
        finally:
            future.release()
        if tainted is not None and tainted not in self.done:
            self.done.add(tainted)
            self.restart(*tainted)
        return result

    def restart(self, address: str, pid: int) -> None:
        info = self.client.scheduler_info(n_workers=-1)["workers"].get(address)
        if info is None:  # gone already (restarted for another reason, or the cluster shrank)
            return
        if not info.get("nanny"):
            print(f"warning: an article's time budget interrupted the Dask worker at {address} (pid {pid}), "
                  f"which has no nanny to restart it: restart it before the next build", file=sys.stderr)
            return
        status = self.client.restart_workers([address], timeout=START_TIMEOUT, raise_for_error=False)
        if status.get(address) != "OK":
            print(f"warning: the Dask worker at {address} (pid {pid}), interrupted by an article's time budget, "
                  f"could not be restarted: {status.get(address)}", file=sys.stderr)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise BuildError('ENGINE=dask needs the dask extra: `.venv/bin/pip install -e ".[dask]"` '
                         '(or `pip install "arabic-quotes-builder[dask]"`)') from None
    return distributed


@contextmanager
def client_for(*, workers: int, scheduler: str | None = None):
    """A connected dask.distributed Client: to `scheduler` (or $DASK_SCHEDULER) if given, else to a
    new LocalCluster of `workers` single-threaded processes, closed on the way out."""
    distributed = _import_distributed()
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    cluster = None
    try:
        if scheduler:
            client = distributed.Client(scheduler, timeout=START_TIMEOUT, set_as_default=False)
        else:
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR, death_timeout=START_TIMEOUT, preload=["builder._preload"])
            client = distributed.Client(cluster, timeout=START_TIMEOUT, set_as_default=False)
        client.wait_for_workers(1, timeout=START_TIMEOUT)
    except (OSError, TimeoutError) as error:  # distributed's connection failures and timeouts
        if cluster is not None:
            cluster.close(timeout=CLOSE_TIMEOUT)
        where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
        raise BuildError(f"could not start or reach {where} within {START_TIMEOUT:.0f} s: "
                         f"{type(error).__name__}: {error}") from None
    try:
        yield client
    finally:
        client.close(timeout=CLOSE_TIMEOUT)
        if cluster is not None:
            cluster.close(timeout=CLOSE_TIMEOUT)
