"""One piece of background work (:class:`Op`) and the handle its worker gets (:class:`Job`).

Callbacks attached to an ``Op`` run on the GUI thread (Anki-style ``op.success(cb).failure(cb)``);
the worker only sees the ``Job``: progress, cancellation, and for network work a short step on the
store lane.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kpfield.domain.jobs import Changes, raise_if_cancelled

if TYPE_CHECKING:
    from kpfield.app import Session
    from kpfield.gui.tasks import TaskRunner

T = TypeVar("T")
R = TypeVar("R")


class Job:
    """Handed to long work: report progress, check for cancellation, borrow the store lane."""

    def __init__(self, runner: TaskRunner, op: Op[Any]) -> None:
        self._runner = runner
        self._op = op
        self._cancel = threading.Event()
        self.cancelled_future: Future[None] = Future()
        """Completes when the job is cancelled, so a worker can wait on it beside other work."""

    def progress(self, done: int, total: int) -> None:
        self._runner._progress.emit(self._op, done, total)

    def cancel(self) -> None:
        self._cancel.set()
        with contextlib.suppress(InvalidStateError):  # cancelled twice
            self.cancelled_future.set_result(None)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        raise_if_cancelled(self.cancelled)

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` s (a retry's back-off); true as soon as the job is cancelled."""
        return self._cancel.wait(timeout)

    def on_store(self, fn: Callable[[Session], R]) -> R:
        """Run ``fn(session)`` on the store lane and wait for it; blocks only this worker.

        For network and pool work that needs the vault in short transactions. Raises
        :class:`~kpfield.errors.Cancelled` at once if the job is cancelled meanwhile.
        """
        return self._runner._on_store(self, fn)


class Op(Generic[T]):
    """One piece of work on a lane; callbacks run on the GUI thread."""

    def __init__(self, runner: TaskRunner, lane: str) -> None:
        self.lane = lane
        self.job = Job(runner, self)
        self._success: list[Callable[[T], None]] = []
        self._failure: list[Callable[[BaseException], None]] = []
        self._progress: list[Callable[[int, int], None]] = []
        self._finally: list[Callable[[], None]] = []
        self._describe: Callable[[T], Changes] | None = None
        self.done = False

    def success(self, cb: Callable[[T], None]) -> Op[T]:
        self._success.append(cb)
        return self

    def failure(self, cb: Callable[[BaseException], None]) -> Op[T]:
        self._failure.append(cb)
        return self

    def progress(self, cb: Callable[[int, int], None]) -> Op[T]:
        self._progress.append(cb)
        return self

    def finally_(self, cb: Callable[[], None]) -> Op[T]:
        self._finally.append(cb)
        return self

    def announces(self, describe: Callable[[T], Changes]) -> Op[T]:
        """On success, broadcast ``describe(result)`` through the runner's ``changed`` signal."""
        self._describe = describe
        return self

    def cancel(self) -> None:
        self.job.cancel()

    def changes_of(self, result: T) -> Changes | None:
        """What the runner broadcasts for ``result``: described, a Changes, or its ``.changes``."""
        if self._describe is not None:
            return self._describe(result)
        if isinstance(result, Changes):
            return result
        carried = getattr(result, "changes", None)
        return carried if isinstance(carried, Changes) else None
