"""Work on the other cores while the main process reads input and writes batches: parsing mail, and
classifying the next batch of a bulk import.

Order is kept and at most a few chunks are in flight, so memory stays flat on any input size.
Raw bytes are not sent back from the workers: the main process still holds them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

from feedback.intake.incoming import IncomingFeedback, Rejected

CHUNK = 64  # mails per task: big enough to amortise pickling, small enough to keep workers busy


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


class Labels:
    """Classification of intake batches (`RowLabeller.labels`), in this process or in one forked worker.

    The worker classifies the next batch while this process writes the current one. Unless told, it
    is used only where forking is safe and pays: several cores, an import of more than one batch, and
    a process with no other thread at that moment (the CLI; never a web worker, the scheduler, or an
    email import, whose parsers already use the cores).
    """

    def __init__(self, labeller, *, background: bool | None = None):
        self.labeller, self.background = labeller, background
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, rows: list[dict], *, elsewhere: bool = True) -> Callable[[], list[tuple]]:
        """Start classifying rows; returns the call that gives their labels."""
        inputs = self.labeller.inputs(rows)
        if not (elsewhere and self.labeller.judge is not None and self._worker()):
            labels = self.labeller.labels(*inputs)
            return lambda: labels
        return self.pool.submit(_label, *inputs).result

    def _worker(self) -> bool:
        """Whether a worker classifies; it is forked on first need."""
        if self.pool is None and self.background is not False:
            wanted = self.background or ((os.cpu_count() or 1) > 1 and threading.active_count() == 1)
            self.background = wanted and "fork" in multiprocessing.get_all_start_methods()
            if self.background:
                self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"),
                                                initializer=_install, initargs=(self.labeller,))
        return self.pool is not None

    def __enter__(self) -> Labels:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


_labeller = None  # the forked worker's copy of the RowLabeller


def _install(labeller) -> None:
    global _labeller
    _labeller = labeller


def _label(texts: list[str], problems: list[bool]) -> list[tuple]:
    return _labeller.labels(texts, problems)
