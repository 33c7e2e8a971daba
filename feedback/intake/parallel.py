"""Parse on every core while the main process reads input and writes batches.

Order is kept and at most a few chunks are in flight, so memory stays flat on any input size.
Raw bytes are not sent back from the workers: the main process still holds them.
"""

from __future__ import annotations

import multiprocessing
import os
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
