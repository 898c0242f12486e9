"""The local engine: this process, or a pool of worker processes on this machine.

The pool is a small one of its own rather than concurrent.futures' ProcessPoolExecutor, because
a build must survive its workers: the main process knows which task each worker runs and since
when, so it can kill a worker stuck past its task's deadline, replace a worker that died or that
asked to retire (one where an article's time budget ran out, builder/budget.py), and give every
task it lost a result of its own (the runner turns its articles into rejects) while the others
go on. ProcessPoolExecutor turns any of these into a broken pool that fails every pending task.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any, Callable, Iterable, Iterator

from builder.lifeline import die_with_parent

# Tasks in flight per worker: enough that a worker never waits for the main process to hand it
# the next one, few enough that memory stays flat.
IN_FLIGHT_PER_WORKER = 2
# How long a worker may take to stop when the pool closes, before it is killed.
STOP_GRACE = 5.0


class WorkerError(RuntimeError):
    """A task raised in a worker (a bug of the task function): its traceback is in the message."""


def ordered_map(function: Callable, items: Iterable, workers: int, *,
                deadline: Callable[[Any], float | None] | None = None,
                lost: Callable[[Any, str], Any] | None = None) -> Iterator:
    """function over items on `workers` processes, results in input order, few items in flight.

    Bounding what is in flight keeps memory flat on any corpus size. With one worker, or a single
    item, everything runs in this process.

    deadline(item): seconds the item's task may run in a worker before the worker is killed (None:
    no limit). lost(item, reason): the result of a task whose worker was killed (reason
    "timeout") or died under it ("worker_died"); without it, such a task fails the map.
    """
    items = iter(items)
    head = list(islice(items, 2))
    if workers <= 1 or len(head) < 2:
        yield from map(function, chain(head, items))
        return
    yield from _Pool(function, workers, deadline, lost).map(chain(head, items))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    connection: multiprocessing.connection.Connection
    tasks: deque = field(default_factory=deque)  # (number, item) sent, oldest first
    since: float = 0.0  # when the oldest task started


class _Pool:
    def __init__(self, function: Callable, workers: int, deadline, lost):
        self.function = function
        self.size = workers
        self.deadline = deadline
        self.lost = lost
        self.context = pool_context()
        self.workers: list[_Worker] = []

    def map(self, items: Iterator) -> Iterator:
        results: dict[int, Any] = {}
        sent = yielded = 0
        exhausted = finished = False
        try:
            self.workers = [self._start() for _ in range(self.size)]
            while True:
                # Keep every worker fed (IN_FLIGHT_PER_WORKER tasks each), within the bound on
                # tasks not yet yielded, which results waiting for an earlier one also count in.
                while not exhausted and sent - yielded < IN_FLIGHT_PER_WORKER * self.size:
                    worker = min(self.workers, key=lambda w: len(w.tasks))
                    if len(worker.tasks) >= IN_FLIGHT_PER_WORKER:
                        break
                    item = next(items, _END)
                    if item is _END:
                        exhausted = True
                        break
                    self._send(worker, sent, item)
                    sent += 1
                if yielded in results:
                    while yielded in results:
                        yield results.pop(yielded)
                        yielded += 1
                    continue  # room for more tasks now: send them before waiting
                if exhausted and yielded == sent:
                    finished = True
                    return
                self._wait(results)
        finally:
            self._stop(gently=finished)

    # -- workers ---------------------------------------------------------------------------------
    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child_end, self.function), daemon=True,
                                       name="builder-worker")
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _send(self, worker: _Worker, number: int, item) -> None:
        if not worker.tasks:
            worker.since = time.monotonic()
        worker.tasks.append((number, item))
        try:
            worker.connection.send(item)
        except OSError:
            pass  # it died: _wait sees its sentinel and replaces it

    def _replace(self, worker: _Worker, results: dict, reason: str | None) -> None:
        """A new worker in place of this one (retired, dead or killed); its oldest task is lost
        for `reason` (None: nothing was lost), the others are sent again to the new worker."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.connection.close()
        pending = list(worker.tasks)
        if reason is not None:
            number, item = pending.pop(0)
            if self.lost is None:
                raise WorkerError(f"a worker {'ran past its deadline' if reason == 'timeout' else 'died'} "
                                  f"(exit code {worker.process.exitcode}) on task {number}")
            results[number] = self.lost(item, reason)
        self.workers[self.workers.index(worker)] = replacement = self._start()
        for number, item in pending:
            self._send(replacement, number, item)

    def _wait(self, results: dict) -> None:
        """Wait for a result, a worker's death or a deadline, and act on what came."""
        busy = [w for w in self.workers if w.tasks]
        limits = [(w.since + seconds, w) for w in busy
                  if self.deadline is not None and (seconds := self.deadline(w.tasks[0][1])) is not None]
        timeout = max(0.0, min(limit for limit, _w in limits) - time.monotonic()) if limits else None
        ready = multiprocessing.connection.wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                                                timeout)
        for worker in busy:
            if worker.connection in ready:
                try:
                    status, payload, retire = worker.connection.recv()
                except (EOFError, OSError):  # it died before answering
                    self._replace(worker, results, "worker_died")
                    continue
                number, _item = worker.tasks.popleft()
                worker.since = time.monotonic()
                if status == "error":
                    raise WorkerError(f"a task raised in a worker:\n{payload}")
                results[number] = payload
                if retire:
                    self._replace(worker, results, None)
            elif worker.process.sentinel in ready:
                self._replace(worker, results, "worker_died")
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.tasks and self.deadline is not None:
                seconds = self.deadline(worker.tasks[0][1])
                if seconds is not None and now - worker.since >= seconds:
                    self._replace(worker, results, "timeout")

    def _stop(self, gently: bool) -> None:
        """Stop the workers: asked to, when the map is done; killed, when it ended on an error
        or an interrupt (their tasks would be thrown away)."""
        for worker in self.workers:
            if gently:
                try:
                    worker.connection.send(None)
                except OSError:
                    pass
            else:
                worker.process.kill()
        end = time.monotonic() + STOP_GRACE
        for worker in self.workers:
            worker.process.join(max(0.0, end - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()


_END = object()


def _serve(connection: multiprocessing.connection.Connection, function: Callable) -> None:
    """A worker: run the tasks that come in, send back (status, result or traceback, retire).

    A thread reads the incoming tasks into a queue, so the main process never blocks sending one
    while this worker blocks sending a result. The tasks run in the main thread, where an
    article's budget is a signal (builder/budget.py). The worker retires (exits after answering)
    once a budget ran out in it, since that code was cut at an arbitrary point; the pool starts a
    fresh worker instead. Ctrl-C is the main process's to handle: it stops the workers.
    """
    import queue
    import signal
    import threading

    from builder import budget

    die_with_parent()  # even a SIGKILLed build takes its workers with it (builder.lifeline)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    tasks: queue.SimpleQueue = queue.SimpleQueue()

    def receive() -> None:
        while True:
            try:
                item = connection.recv()
            except (EOFError, OSError):  # the main process went away
                item = None
            tasks.put(item)
            if item is None:
                return

    threading.Thread(target=receive, name="builder-worker-receive", daemon=True).start()
    while (item := tasks.get()) is not None:
        try:
            answer = ("ok", function(item), budget.tainted())
        except Exception:
            answer = ("error", traceback.format_exc(), True)
        try:
            connection.send(answer)
        except (BrokenPipeError, OSError):
            return
        if answer[2]:
            return


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
