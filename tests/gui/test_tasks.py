"""The task runner: work on one store thread, results and progress back on the GUI thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from kpfield.errors import N_, Cancelled, UsageError, VaultError
from kpfield.gui.tasks import Job, TaskRunner, user_message


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    r = TaskRunner()
    yield r
    r.shutdown()


def test_work_runs_on_one_store_thread_and_results_come_back_on_the_gui_thread(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    workers: list[str] = []
    delivered: list[tuple[int, bool]] = []
    gui = QThread.currentThread()
    for i in range(5):
        runner.run(lambda job, i=i: (workers.append(threading.current_thread().name), i)[1]).success(
            lambda v: delivered.append((v, QThread.currentThread() is gui))
        )
    qtbot.waitUntil(lambda: len(delivered) == 5)
    assert delivered == [(i, True) for i in range(5)]  # in order, on the GUI thread
    assert len(set(workers)) == 1
    assert workers[0] != threading.main_thread().name


def test_failure_goes_to_the_failure_callback_or_the_error_signal(
    qtbot: QtBot, runner: TaskRunner
) -> None:
    caught: list[BaseException] = []

    def boom(job: Job) -> None:
        raise UsageError(N_("{name} is not a file."), name="x.jpg")

    runner.run(boom).failure(caught.append)
    qtbot.waitUntil(lambda: len(caught) == 1)
    assert user_message(caught[0], lambda s: s) == "x.jpg is not a file."
    with qtbot.waitSignal(runner.error) as blocker:
        runner.run(boom)
    assert isinstance(blocker.args[0], UsageError)


def test_calls_without_an_open_vault_fail_cleanly(qtbot: QtBot, runner: TaskRunner) -> None:
    caught: list[BaseException] = []
    runner.call(lambda s: s.reports.counts()).failure(caught.append)
    qtbot.waitUntil(lambda: bool(caught))
    assert isinstance(caught[0], VaultError)


def test_progress_is_reported_and_cancel_is_honoured(qtbot: QtBot, runner: TaskRunner) -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[tuple[int, int]] = []
    failed: list[BaseException] = []

    def long_job(job: Job) -> int:
        job.progress(1, 10)
        started.set()
        release.wait(5)
        job.check()
        return 1

    op = runner.run(long_job).progress(lambda d, t: seen.append((d, t))).failure(failed.append)
    qtbot.waitUntil(lambda: seen == [(1, 10)])
    op.cancel()
    release.set()
    qtbot.waitUntil(lambda: bool(failed))
    assert isinstance(failed[0], Cancelled)


def test_unexpected_errors_are_shown_without_detail() -> None:
    text = user_message(RuntimeError("secret narrative text"), lambda s: s)
    assert "secret" not in text
    assert "RuntimeError" in text


def test_a_runner_destroyed_without_shutdown_runs_what_was_queued_then_its_threads_stop(
    qtbot: QtBot,
) -> None:
    # A window deleted while its close was refused never reaches shutdown(). The store thread is
    # not a daemon: left waiting for work it would keep the process from exiting.
    from PySide6.QtCore import QCoreApplication, QEvent

    runner = TaskRunner()
    threads = [t for lane in runner._lanes.values() for t in lane._threads]
    started = threading.Event()
    release = threading.Event()
    ran: list[str] = []

    def slow_save(job: Job) -> None:
        started.set()
        release.wait()
        ran.append("save")

    runner.run(slow_save)
    runner.run(lambda job: ran.append("queued after"))
    assert started.wait(10)
    runner.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    release.set()
    for t in threads:
        t.join(10)
    assert [t.name for t in threads if t.is_alive()] == []
    assert ran == ["save", "queued after"]  # nothing queued was dropped
