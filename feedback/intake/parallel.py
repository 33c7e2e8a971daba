"""Work on the other cores while the main process writes batches: parsing mail, and reading, making
rows of and classifying the next batches of a bulk import.

Order is kept and at most a few chunks or batches are in flight, so memory stays flat on any input
size. Mail workers do not send raw bytes back: the main process still holds them.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

from feedback.intake.incoming import IncomingFeedback, Rejected

CHUNK = 64  # mails per task: big enough to amortise pickling, small enough to keep workers busy
AHEAD = 2  # batches a bulk import's worker may have ready: it keeps ahead, memory stays flat
T = TypeVar("T")


def parse_all(
    inputs: Iterable[tuple[bytes, str]],
    parse: Callable[[bytes, str], IncomingFeedback | Rejected],
    *,
    workers: int | None = None,
) -> Iterator[IncomingFeedback | Rejected]:
    """parse(raw, locator) for every input, in order; in worker processes when there are several cores."""
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    if workers < 2:
        for raw, locator in inputs:
            yield parse(raw, locator)
        return
    iterator = iter(inputs)
    context = multiprocessing.get_context("fork")  # workers inherit the parser; nothing to re-import
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        in_flight: deque = deque()
        while chunk := list(islice(iterator, CHUNK)):
            in_flight.append((chunk, pool.submit(_parse_chunk, parse, chunk)))
            if len(in_flight) >= workers * 2:
                yield from _collect(*in_flight.popleft())
        while in_flight:
            yield from _collect(*in_flight.popleft())


def _parse_chunk(parse, chunk: list[tuple[bytes, str]]) -> list:
    results = []
    for raw, locator in chunk:
        item = parse(raw, locator)
        item.raw = b""  # the parent still has the bytes; don't pickle them back
        results.append(item)
    return results


def _collect(chunk: list[tuple[bytes, str]], future) -> Iterator[IncomingFeedback | Rejected]:
    for (raw, _locator), item in zip(chunk, future.result()):
        item.raw = raw
        yield item


def prepare_all(batches: Iterator[list], prepare: Callable[[list], T], *, background: bool | None = False) -> Iterator[T]:
    """prepare(batch) for every batch, in order: the first here, the rest in one forked worker when allowed.

    The worker reads the input on from where this process left it and makes rows and labels while
    this process writes the batches before, so `batches` must be plain reading: a file, never a
    reader that queries the database or shares a connection with this process. `background`: False
    never forks, True always does; None forks only where it is safe and pays: several cores, an input
    of more than one batch, and a process with no other thread at that moment (the CLI; never a web
    worker, the scheduler, or an email import, whose parsers already use the cores and threads).
    """
    first = next(batches, None)
    if first is None:
        return
    yield prepare(first)
    if not _may_fork(background):
        yield from map(prepare, batches)
        return
    yield from _prepared_in_worker(batches, prepare)


def _may_fork(background: bool | None) -> bool:
    if background is False or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return background or ((os.cpu_count() or 1) > 1 and threading.active_count() == 1)


def _prepared_in_worker(batches: Iterator[list], prepare: Callable[[list], T]) -> Iterator[T]:
    context = multiprocessing.get_context("fork")
    results = context.Queue(maxsize=AHEAD)
    worker = context.Process(target=_prepare_each, args=(batches, prepare, results), daemon=True)
    worker.start()
    try:
        while (message := _next_message(results, worker))[0] == "batch":
            yield message[1]
        if message[0] == "error":
            raise message[1]
    finally:
        if worker.is_alive():  # this side stopped early (a write failed): the worker has nothing left to do
            worker.terminate()
        worker.join()


def _next_message(results, worker) -> tuple[str, object]:
    while True:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            if not worker.is_alive() and results.empty():
                raise RuntimeError(f"the import worker died (exit code {worker.exitcode})") from None


def _prepare_each(batches: Iterator[list], prepare: Callable[[list], T], results) -> None:
    """In the worker: every remaining batch prepared and sent, then "end" (or the error that stopped the input)."""
    try:
        for batch in batches:
            results.put(("batch", prepare(batch)))
        results.put(("end", None))
    except BaseException as exc:  # the input's own error, raised again on the writing side
        results.put(("error", _sendable(exc)))
    results.close()
    results.join_thread()


def _sendable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
