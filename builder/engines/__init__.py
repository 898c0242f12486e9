"""Where the per-article work runs, kept apart from what it computes (builder/runner.py).

An engine maps a function over tasks and yields the results in input order, with a bounded
number of tasks in flight so memory stays flat on any corpus:

- `local` (default): this process (WORKERS=1) or a pool of WORKERS processes on this machine;
- `dask`: a Dask cluster, a LocalCluster of WORKERS processes by default or the scheduler at
  DASK_SCHEDULER (tcp://host:port); needs the optional extra, `pip install ".[dask]"`.

Both run the same function (runner._process_task) and the main process alone writes the shards,
so the output is the same whatever the engine or the number of workers.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from builder.errors import BuildError

ENGINES = ("local", "dask")


def ordered_map(function: Callable, items: Iterable, *, workers: int, engine: str = "local",
                scheduler: str | None = None, deadline: Callable | None = None, lost: Callable | None = None) -> Iterator:
    """function over items on the chosen engine, results in input order.

    deadline(item) and lost(item, reason): the local engine kills a worker whose task runs past its
    deadline, and takes lost's result for it (see builder.engines.local.ordered_map).
    """
    if engine == "local":
        from builder.engines.local import ordered_map as local_map

        return local_map(function, items, workers, deadline=deadline, lost=lost)
    if engine == "dask":
        from builder.engines.dask import ordered_map as dask_map

        return dask_map(function, items, workers=workers, scheduler=scheduler)
    raise BuildError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
