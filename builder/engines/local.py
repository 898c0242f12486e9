"""The local engine: this process, or a pool of worker processes on this machine."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from typing import Callable, Iterable, Iterator

from builder.lifeline import die_with_parent

# Tasks in flight per worker: enough that a worker never waits for the main process to hand it
# the next one, few enough that memory stays flat.
IN_FLIGHT_PER_WORKER = 2


def ordered_map(function: Callable, items: Iterable, workers: int) -> Iterator:
    """function over items on `workers` processes, results in input order, few items in flight.

    Bounding what is in flight keeps memory flat on any corpus size. With one worker, or a single
    item, everything runs in this process.
    """
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        yield from map(function, chain(head, items))
        return
    # Every worker dies with the build, even a SIGKILLed one (builder.lifeline).
    with ProcessPoolExecutor(workers, mp_context=pool_context(), initializer=die_with_parent) as pool:
        pending: deque = deque()
        for item in chain(head, items):
            pending.append(pool.submit(function, item))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers fork from a clean server process, never from a
    parent that may hold threads (pyarrow's, once datasets is imported), which fork does not
    survive reliably. The server loads the stages and warms their caches once (builder._preload),
    so each worker starts ready. Like any spawned worker, it imports the caller's __main__, which
    must guard its entry point. It first arms its death with the build (builder._forkserver); as
    Linux ties that to the thread that started it, the first pool must be made on a thread that
    lives as long as the build (the main thread, as the runner does).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["builder._forkserver", "__main__", "builder._preload"])
    return context
