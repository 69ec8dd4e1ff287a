"""The task runner, with lanes (as Anki's ``taskman``): store, a small compute pool, network.

- **store**: one thread, the only one that opens, uses and closes the SQLCipher session (SQLite
  objects stay in their thread). Work runs in the order it was queued, so a lock or close queued
  after a save always runs after it.
- **compute**: two threads for CPU work that needs no connection (decoding, hashing, encrypting).
- **network**: one thread for sync. It never holds the store lane during I/O: it borrows it for a
  short step with ``job.on_store(fn)``, queued behind autosaves like any other store work.

Results come back to the GUI thread through a queued Qt signal; widgets change only in those
callbacks. An op whose result is (or carries, or is described as) a non-empty
:class:`~kpfield.domain.jobs.Changes` is broadcast through :attr:`TaskRunner.changed` so that each
screen refreshes itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from kpfield.app import Session, create_session, open_session
from kpfield.domain.jobs import Changes
from kpfield.errors import N_, Cancelled, KpfieldError, VaultError
from kpfield.gui.lanes import Lane, LaneClosed
from kpfield.gui.operation import Job, Op
from kpfield.services.vaults import KdfParams

__all__ = ["STORE", "COMPUTE", "NETWORK", "Job", "Op", "TaskRunner", "user_message"]

log = logging.getLogger(__name__)

T = TypeVar("T")

STORE = "store"
COMPUTE = "compute"
NETWORK = "network"
COMPUTE_WORKERS = 2
CLOSE_TIMEOUT = 30.0
"""Seconds shutdown waits for queued saves and the close on the store lane."""
STOP_TIMEOUT = 5.0
"""Seconds shutdown waits for cancelled compute and network work to notice and stop."""


class TaskRunner(QObject):
    """Owns the lanes and the open session (if any)."""

    _finished = Signal(object, object, object)  # op, result, exception
    _progress = Signal(object, int, int)  # op, done, total
    error = Signal(object)  # an exception no caller handled
    busy_changed = Signal(int)  # store and compute work not yet delivered
    changed = Signal(object)  # a non-empty Changes, once per op that made it

    def __init__(
        self, parent: QObject | None = None, *, stop_timeout: float = STOP_TIMEOUT
    ) -> None:
        super().__init__(parent)
        self._lanes = {
            STORE: Lane("kpfield-store", 1, daemon=False),
            COMPUTE: Lane("kpfield-compute", COMPUTE_WORKERS, daemon=True),
            NETWORK: Lane("kpfield-network", 1, daemon=True),
        }
        self._stop_timeout = stop_timeout
        self._session: Session | None = None  # touched only on the store lane
        self._live: set[Op[Any]] = set()  # GUI thread only
        self._pending = 0
        self._closed = False
        self._finished.connect(self._deliver)
        self._progress.connect(self._deliver_progress)
        # A runner destroyed without shutdown() (its window deleted while a close was refused,
        # or never closed) must not leave the store thread waiting for work forever: it is not
        # a daemon, so the process could not exit. What is queued still runs, then the session
        # is closed and the lanes stop. Bound to the lanes, not to self, which is being deleted.
        self.destroyed.connect(_retire_when_destroyed(self._lanes, self._live, self.close_session))

    # ---------------------------------------------------------------- lanes
    def run(self, fn: Callable[[Job], T], *, lane: str = STORE) -> Op[T]:
        """Run ``fn(job)`` on ``lane`` (the store lane unless told)."""
        op: Op[T] = Op(self, lane)
        if self._closed:  # the window is closing: nothing new starts, nothing is delivered
            log.info("task refused after shutdown")
            return op

        def work() -> None:
            try:
                result = fn(op.job)
            except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread
                self._finished.emit(op, None, exc)
            else:
                self._finished.emit(op, result, None)

        self._lanes[lane].submit(work)
        self._live.add(op)
        if lane != NETWORK:
            self._pending += 1
            self.busy_changed.emit(self._pending)
        return op

    def call(self, fn: Callable[[Session], T]) -> Op[T]:
        """Run ``fn(session)`` on the store lane; fails if the vault is locked."""
        return self.run(lambda job: fn(self._require()))

    def job(self, fn: Callable[[Session, Job], T]) -> Op[T]:
        """Like :meth:`call` for long work that reports progress and honours cancellation."""
        return self.run(lambda job: fn(self._require(), job))

    def compute(self, fn: Callable[[Job], T]) -> Op[T]:
        """Run ``fn(job)`` on the compute pool: CPU work that needs no vault connection."""
        return self.run(fn, lane=COMPUTE)

    def network(self, fn: Callable[[Job], T]) -> Op[T]:
        """Run ``fn(job)`` on the network lane; it reaches the vault only via ``job.on_store``."""
        return self.run(fn, lane=NETWORK)

    def _require(self) -> Session:
        if self._session is None:
            raise VaultError(N_("The vault is locked."))
        return self._session

    def _on_store(self, job: Job, fn: Callable[[Session], T]) -> T:
        store = self._lanes[STORE]
        if store.owns_current_thread():  # already there: queuing behind ourselves would deadlock
            return fn(self._require())
        job.check()
        try:
            step: Future[T] = store.submit(lambda: fn(self._require()))
        except LaneClosed:
            raise Cancelled(N_("Cancelled.")) from None
        waits: list[Future[Any]] = [step, job.cancelled_future]
        done, _ = wait(waits, return_when=FIRST_COMPLETED)
        if step in done:
            return step.result()
        step.cancel()  # not started yet: it never runs; started: it finishes on its own
        raise Cancelled(N_("Cancelled."))

    # ---------------------------------------------------------------- lifecycle
    def unlock(self, data_dir: Path, passphrase: str) -> Op[None]:
        def work(job: Job) -> None:
            self.close_session()
            self._session = open_session(data_dir, passphrase)

        return self.run(work)

    def create(  # noqa: PLR0917 - the setup screen's answers, in order
        self,
        data_dir: Path,
        passphrase: str,
        params: KdfParams | None,
        duress: str | None,
        device_name: str = "",
    ) -> Op[None]:
        def work(job: Job) -> None:
            self.close_session()
            session = create_session(
                data_dir, passphrase, params=params, device_name=device_name
            )
            self._session = session
            if duress:
                session.vault.set_duress_passphrase(passphrase, duress)

        return self.run(work)

    def lock(self) -> Op[None]:
        """Close the session (queued after every pending save); stop sync and pool work."""
        self.cancel_background()
        return self.run(lambda job: self.close_session())

    def cancel_background(self) -> None:
        """Cancel compute and network work (at lock and wipe); store work always finishes."""
        for op in self._live:
            if op.lane != STORE:  # saves and other store work finish: nothing typed is lost
                op.cancel()

    def close_session(self) -> None:
        """Store lane only."""
        if self._session is not None:
            session, self._session = self._session, None
            session.close()

    def shutdown(self) -> None:
        """At exit: cancel pool and network work, close the session after every queued save.

        The only place the GUI waits, and every wait is bounded.
        """
        if self._closed:
            return
        self._closed = True
        self.cancel_background()
        closing: Future[None] = self._lanes[STORE].submit(self.close_session)
        try:
            closing.result(timeout=CLOSE_TIMEOUT)
        except Exception:  # noqa: BLE001 - exiting anyway
            log.warning("store lane did not close cleanly")
        for name in (NETWORK, COMPUTE):
            self._lanes[name].close(self._stop_timeout)
        self._lanes[STORE].close(self._stop_timeout)

    @property
    def pending(self) -> int:
        """Store and compute ops not yet delivered (network work runs for long; not counted)."""
        return self._pending

    @property
    def network_busy(self) -> bool:
        return any(op.lane == NETWORK for op in self._live)

    def announce(self, changes: Changes) -> None:
        """GUI thread: broadcast changes made outside an op's result (e.g. a cancelled batch)."""
        if changes and not self._closed:
            self.changed.emit(changes)

    # ---------------------------------------------------------------- delivery (GUI thread)
    def _deliver(self, op: Op[Any], result: Any, exc: BaseException | None) -> None:
        self._live.discard(op)
        if op.lane != NETWORK:
            self._pending -= 1
        op.done = True
        if self._closed:
            return
        self.busy_changed.emit(self._pending)
        try:
            if exc is None:
                for cb in op._success:
                    _safely(cb, result)
                changes = op.changes_of(result)
                if changes:
                    self.changed.emit(changes)
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


def _retire_when_destroyed(
    lanes: dict[str, Lane], live: set[Op[Any]], close_session: Callable[[], None]
) -> Callable[[], None]:
    def retire(*_args: object) -> None:
        for op in list(live):
            if op.lane != STORE:
                op.cancel()
        store = lanes[STORE]
        try:
            store.submit(close_session)
        except LaneClosed:  # shut down properly already
            return
        for lane in lanes.values():
            lane.retire()

    return retire


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
