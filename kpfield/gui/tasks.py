"""The task runner: every vault, crypto and Pillow call runs on ONE store thread.

SQLCipher connections belong to the thread that opened them, so the session is opened, used and
closed only inside the store executor. Results come back to the GUI thread through a queued Qt
signal; widgets change only in those callbacks (Anki-style ``op.success(cb).failure(cb)``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from kpfield.app import Session, create_session, open_session
from kpfield.errors import N_, Cancelled, KpfieldError, VaultError
from kpfield.services.vaults import KdfParams

log = logging.getLogger(__name__)

T = TypeVar("T")


class Job:
    """Handed to long work: report progress, check for cancellation."""

    def __init__(self, runner: TaskRunner, op: Op[Any]) -> None:
        self._runner = runner
        self._op = op
        self._cancel = threading.Event()

    def progress(self, done: int, total: int) -> None:
        self._runner._progress.emit(self._op, done, total)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled(N_("Cancelled."))


class Op(Generic[T]):
    """One piece of work on the store thread; callbacks run on the GUI thread."""

    def __init__(self, runner: TaskRunner) -> None:
        self.job = Job(runner, self)
        self._success: list[Callable[[T], None]] = []
        self._failure: list[Callable[[BaseException], None]] = []
        self._progress: list[Callable[[int, int], None]] = []
        self._finally: list[Callable[[], None]] = []
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

    def cancel(self) -> None:
        self.job.cancel()


class TaskRunner(QObject):
    """Owns the store thread and the open session (if any)."""

    _finished = Signal(object, object, object)  # op, result, exception
    _progress = Signal(object, int, int)  # op, done, total
    error = Signal(object)  # an exception no caller handled
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kpfield-store")
        self._session: Session | None = None  # touched only on the store thread
        self._pending = 0
        self._closed = False
        self._finished.connect(self._deliver)
        self._progress.connect(self._deliver_progress)

    # ---------------------------------------------------------------- generic
    def run(self, fn: Callable[[Job], T]) -> Op[T]:
        """Run ``fn(job)`` on the store thread."""
        op: Op[T] = Op(self)
        if self._closed:  # the window is closing: nothing new starts, nothing is delivered
            log.info("task refused after shutdown")
            return op
        self._pending += 1
        self.busy_changed.emit(self._pending)

        def work() -> None:
            try:
                result = fn(op.job)
            except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread
                self._finished.emit(op, None, exc)
            else:
                self._finished.emit(op, result, None)

        self._executor.submit(work)
        return op

    def call(self, fn: Callable[[Session], T]) -> Op[T]:
        """Run ``fn(session)`` on the store thread; fails if the vault is locked."""
        return self.run(lambda job: fn(self._require()))

    def job(self, fn: Callable[[Session, Job], T]) -> Op[T]:
        """Like :meth:`call` for long work that reports progress and honours cancellation."""
        return self.run(lambda job: fn(self._require(), job))

    def _require(self) -> Session:
        if self._session is None:
            raise VaultError(N_("The vault is locked."))
        return self._session

    # ---------------------------------------------------------------- lifecycle
    def unlock(self, data_dir: Path, passphrase: str) -> Op[None]:
        def work(job: Job) -> None:
            self.close_session()
            self._session = open_session(data_dir, passphrase)

        return self.run(work)

    def create(
        self, data_dir: Path, passphrase: str, params: KdfParams | None, duress: str | None
    ) -> Op[None]:
        def work(job: Job) -> None:
            self.close_session()
            session = create_session(data_dir, passphrase, params=params)
            self._session = session
            if duress:
                session.vault.set_duress_passphrase(passphrase, duress)

        return self.run(work)

    def lock(self) -> Op[None]:
        """Close the session (queued after every pending save)."""
        return self.run(lambda job: self.close_session())

    def close_session(self) -> None:
        """Store thread only."""
        if self._session is not None:
            session, self._session = self._session, None
            session.close()

    def shutdown(self) -> None:
        """At exit: lock, then wait for the store thread (the only place the GUI waits)."""
        if self._closed:
            return
        self._closed = True
        future: Future[None] = self._executor.submit(self.close_session)
        try:
            future.result(timeout=30)
        except Exception:  # noqa: BLE001 - exiting anyway
            log.warning("store thread did not close cleanly")
        self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def pending(self) -> int:
        return self._pending

    # ---------------------------------------------------------------- delivery (GUI thread)
    def _deliver(self, op: Op[Any], result: Any, exc: BaseException | None) -> None:
        self._pending -= 1
        op.done = True
        if self._closed:
            return
        self.busy_changed.emit(self._pending)
        try:
            if exc is None:
                for cb in op._success:
                    _safely(cb, result)
            elif op._failure:
                for fcb in op._failure:
                    _safely(fcb, exc)
            elif not isinstance(exc, Cancelled):
                self.error.emit(exc)
        finally:
            for fin in op._finally:
                _safely(_invoke, fin)

    def _deliver_progress(self, op: Op[Any], done: int, total: int) -> None:
        if self._closed or op.done:  # a late update must not touch widgets already gone
            return
        for cb in op._progress:
            try:
                cb(done, total)
            except RuntimeError as exc:  # the progress widget was deleted meanwhile
                if "deleted" not in str(exc):
                    raise


def _invoke(fn: Callable[[], None]) -> None:
    fn()


def _safely(cb: Callable[[Any], None], value: Any) -> None:
    """Call a GUI callback whose widget may have been deleted meanwhile (e.g. by a lock)."""
    try:
        cb(value)
    except RuntimeError as exc:
        if "deleted" not in str(exc):
            raise
        log.debug("result for a closed screen dropped")


def user_message(exc: BaseException, gettext: Callable[[str], str]) -> str:
    """Words a monitor understands; never a traceback or report content."""
    if isinstance(exc, KpfieldError):
        return exc.translated(gettext)
    log.error("unexpected %s", type(exc).__name__)
    return gettext(
        "Something went wrong ({kind}). Nothing you typed was lost. "
        "If it happens again, lock and unlock the vault."
    ).format(kind=type(exc).__name__)
