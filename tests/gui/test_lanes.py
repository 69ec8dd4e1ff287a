"""The runner's lanes: one store thread for SQLCipher, a compute pool beside it, a network lane
that borrows the store lane per step and never holds it during I/O. Ordering is proved with
events, never with timings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kpfield.app import Session
from kpfield.errors import Cancelled
from kpfield.gui.tasks import COMPUTE, NETWORK, STORE, Job, Op, TaskRunner
from kpfield.vault.keyslots import KdfParams
from tests.gui.conftest import PASSPHRASE

WAIT = 10.0  # a bound for worker-side waits, so a broken runner fails instead of hanging


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    r = TaskRunner(stop_timeout=2.0)
    yield r
    r.shutdown()


@pytest.fixture
def opened(qtbot: QtBot, runner: TaskRunner, tmp_path: Path) -> TaskRunner:
    done: list[bool] = []
    runner.create(tmp_path / "vault", PASSPHRASE, KdfParams.cheap_for_tests(), None).success(
        lambda _r: done.append(True)
    )
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    return runner


def thread_name() -> str:
    return threading.current_thread().name


def test_store_work_runs_on_one_thread_and_sqlite_objects_stay_there(
    qtbot: QtBot, opened: TaskRunner
) -> None:
    names: list[str] = []
    conns: list[Any] = []
    caught: list[BaseException] = []

    def on_store(s: Session) -> int:
        names.append(thread_name())
        conns.append(s.vault.conn)
        return len(s.reports.list_reports())

    for _ in range(3):
        opened.call(on_store)

    def sync(job: Job) -> int:
        count = job.on_store(on_store)  # the network lane reads the vault through the store lane
        try:
            conns[0].execute("SELECT 1")  # and may not touch the connection itself
        except Exception as exc:  # noqa: BLE001 - the driver's own ProgrammingError
            caught.append(exc)
        return count

    results: list[int] = []
    opened.network(sync).success(results.append)
    opened.compute(lambda job: job.on_store(on_store)).success(results.append)
    qtbot.waitUntil(lambda: len(results) == 2)
    assert results == [0, 0]
    assert len(names) == 5
    assert len(set(names)) == 1
    assert names[0].startswith("kpfield-store")
    assert len({id(c) for c in conns}) == 1
    assert caught and "thread" in str(caught[0]).lower()


def test_a_network_job_in_io_does_not_hold_the_store_lane(qtbot: QtBot, opened: TaskRunner) -> None:
    in_io = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def sync(job: Job) -> str:
        job.on_store(lambda s: order.append("sync reads the outbox"))
        in_io.set()
        release.wait(WAIT)  # an upload over Tor, for hours
        job.on_store(lambda s: order.append("sync records the receipt"))
        return "sent"

    sent: list[str] = []
    opened.network(sync).success(sent.append)
    assert in_io.wait(WAIT)
    saved: list[str] = []
    opened.call(lambda s: s.reports.new_draft()).success(lambda r: saved.append(r.id))
    qtbot.waitUntil(lambda: bool(saved))
    order.append("autosave delivered")
    assert not release.is_set() and not sent  # the upload is still "on the wire"
    release.set()
    qtbot.waitUntil(lambda: sent == ["sent"])
    assert order == ["sync reads the outbox", "autosave delivered", "sync records the receipt"]


def test_compute_work_runs_beside_the_store_lane_and_beside_itself(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    store_waiting = threading.Event()
    decoded = threading.Event()
    both = threading.Barrier(2, timeout=WAIT)
    names: list[str] = []

    def store(job: Job) -> bool:
        store_waiting.set()
        return decoded.wait(WAIT)  # only true if compute work ran while the store lane was busy

    def decode(job: Job) -> str:
        assert store_waiting.wait(WAIT)
        both.wait()  # both pool workers at once, or this times out
        decoded.set()
        return thread_name()

    got: list[object] = []
    runner.run(store).success(got.append)
    runner.compute(decode).success(names.append)
    runner.compute(decode).success(names.append)
    qtbot.waitUntil(lambda: len(got) == 1 and len(names) == 2, timeout=15_000)
    assert got == [True]
    assert len(set(names)) == 2
    assert all(n.startswith("kpfield-compute") for n in names)


@pytest.mark.parametrize("lane", [STORE, COMPUTE, NETWORK])
def test_cancel_works_on_every_lane(qtbot: QtBot, runner: TaskRunner, lane: str) -> None:
    started = threading.Event()
    failed: list[BaseException] = []

    def long(job: Job) -> None:
        started.set()
        job.wait(WAIT)  # a back-off between retries ends at once when cancelled
        job.check()

    op = runner.run(long, lane=lane).failure(failed.append)
    assert started.wait(WAIT)
    op.cancel()
    qtbot.waitUntil(lambda: bool(failed))
    assert isinstance(failed[0], Cancelled)


def test_a_cancelled_network_job_stops_waiting_for_the_store_lane(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    store_busy = threading.Event()
    release = threading.Event()
    asked = threading.Event()
    step_ran: list[bool] = []
    failed: list[BaseException] = []

    def busy(job: Job) -> None:
        store_busy.set()
        release.wait(WAIT)

    def sync(job: Job) -> None:
        asked.set()
        job.on_store(lambda s: step_ran.append(True))

    runner.run(busy)
    assert store_busy.wait(WAIT)
    op = runner.network(sync).failure(failed.append)
    assert asked.wait(WAIT)
    op.cancel()
    qtbot.waitUntil(lambda: bool(failed))  # while the store lane is still busy
    assert isinstance(failed[0], Cancelled)
    assert not release.is_set()
    release.set()
    done: list[bool] = []
    runner.run(lambda job: True).success(done.append)
    qtbot.waitUntil(lambda: bool(done))
    assert step_ran == []  # the step it had queued never ran


def test_shutdown_with_a_running_network_job_returns(qtbot: QtBot, tmp_path: Path) -> None:
    runner = TaskRunner(stop_timeout=2.0)
    started = threading.Event()
    noticed = threading.Event()

    def upload(job: Job) -> None:
        started.set()
        if job.wait(WAIT):
            noticed.set()

    runner.network(upload)
    assert started.wait(WAIT)
    runner.shutdown()
    assert noticed.is_set()  # cancelled by the shutdown, before it returned


def test_shutdown_does_not_wait_for_ever_on_network_io_that_ignores_cancel(qtbot: QtBot) -> None:
    runner = TaskRunner(stop_timeout=0.2)
    started = threading.Event()
    release = threading.Event()
    runner.network(lambda job: (started.set(), release.wait(WAIT)))
    assert started.wait(WAIT)
    saved: list[bool] = []
    runner.run(lambda job: saved.append(True))
    runner.shutdown()  # returns after the bounded wait; the stuck thread is a daemon
    assert saved == [True]  # store work queued before the shutdown still ran
    release.set()


def test_nothing_starts_after_shutdown(qtbot: QtBot) -> None:
    runner = TaskRunner()
    runner.shutdown()
    ran: list[str] = []
    for start in (runner.run, runner.compute, runner.network):
        op: Op[None] = start(lambda job: ran.append("ran"))
        assert not op.done
    assert ran == []


def test_lock_cancels_network_work_and_closes_after_queued_saves(
    qtbot: QtBot, opened: TaskRunner
) -> None:
    started = threading.Event()
    failed: list[BaseException] = []

    def sync(job: Job) -> None:
        started.set()
        job.wait(WAIT)
        job.on_store(lambda s: None)  # cancelled: never reaches the vault again

    opened.network(sync).failure(failed.append)
    assert started.wait(WAIT)
    saved: list[str] = []
    opened.call(lambda s: s.reports.new_draft()).success(lambda r: saved.append(r.id))
    locked: list[bool] = []
    opened.lock().success(lambda _r: locked.append(True))
    qtbot.waitUntil(lambda: bool(failed) and bool(locked))
    assert isinstance(failed[0], Cancelled)
    assert len(saved) == 1  # the save queued before the lock ran first
