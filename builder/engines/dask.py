"""The Dask engine: the same per-article tasks on a Dask cluster (`pip install ".[dask]"`).

With no scheduler address it starts a LocalCluster of `workers` processes (one thread each: the
stages are pure Python and hold the GIL); with DASK_SCHEDULER=tcp://host:port it connects to a
running cluster, whose workers must have this project installed (the same version) and need no
access to RAW or OUT: tasks carry their input units and return their records, and this process
alone reads RAW and writes OUT. Results come back in input order with a bounded number of tasks in
flight, so memory stays flat here and on the workers.

Starting and stopping are bounded by START_TIMEOUT and CLOSE_TIMEOUT, so a cluster that does not
come up (or does not go down) fails the build with a message instead of hanging it.
"""

from __future__ import annotations

import logging
import os
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
        pending: deque = deque()
        for item in items:
            pending.append(client.submit(function, item, pure=False))
            if len(pending) >= IN_FLIGHT_PER_THREAD * threads:
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())


def _result(future):
    try:
        return future.result()
    finally:
        future.release()


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
