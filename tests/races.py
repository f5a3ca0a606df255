"""Real races on PostgreSQL: callables run in threads released together, each on its own
connection, so the database sees concurrent transactions (row locks, unique indexes, SKIP
LOCKED). Tests using it need `django_db(transaction=True)`: inside the test's own transaction
the other threads could not see its rows."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")

# Long enough for a slow CI machine to start every thread; short enough that a thread that
# never reaches the barrier fails the test instead of hanging the run.
BARRIER_TIMEOUT = 30.0


def run_together(*calls: Callable[[], T]) -> list[T | Exception]:
    """Run each callable in its own thread, all released at once by a barrier; returns, in the
    order of `calls`, each one's result or the exception it raised."""
    barrier = threading.Barrier(len(calls), timeout=BARRIER_TIMEOUT)
    outcomes: list[T | Exception | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            # The barrier is the last thing before the critical call, so the threads are all
            # ready and reach the database within microseconds of each other.
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            # Each thread opened its own connection; left open it would keep the test
            # database from being flushed or dropped.
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes  # type: ignore[return-value]  # every slot was filled by its thread


def run_at_once(call: Callable[[], T], times: int) -> list[T | Exception]:
    """The same callable `times` times at once (two workers, four duplicate requests)."""
    return run_together(*[call] * times)


def succeeded(outcomes: list[T | Exception]) -> list[T]:
    """The results, for a race in which no call may fail: the first exception is raised again
    in the test's thread, with its traceback, rather than compared with the results."""
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return outcomes  # type: ignore[return-value]  # no exception among them
