"""Ops announce the Changes they made; the runner broadcasts them once; screens refresh themselves."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from kpfield.app import create_session
from kpfield.domain.jobs import NO_CHANGES, Changes
from kpfield.domain.models import ReportStatus
from kpfield.gui.changes import report_changed
from kpfield.gui.main_window import MainWindow
from kpfield.gui.tasks import Job, TaskRunner
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import PASSPHRASE as FIELD_PASSPHRASE
from tests.bundle.world import new_field, seal_report
from tests.gui.conftest import PASSPHRASE, fill_complete, idle, new_report, stick_chooser, unlock

WAIT = 10.0


@dataclass(frozen=True)
class Receipt:
    count: int
    changes: Changes


def test_changed_is_emitted_once_per_op_with_its_changes_and_never_for_none(
    qtbot: QtBot,
) -> None:
    runner = TaskRunner()
    seen: list[Changes] = []
    runner.changed.connect(seen.append)
    sealed = Changes.for_reports(["r1"])
    carried = Changes(transfers=True)
    described = Changes(profile=True)
    results: list[object] = []
    runner.run(lambda job: sealed).success(results.append)
    runner.run(lambda job: NO_CHANGES).success(results.append)
    runner.run(lambda job: Changes()).success(results.append)
    runner.compute(lambda job: Receipt(2, carried)).success(results.append)
    runner.run(lambda job: 7).announces(lambda _n: described).success(results.append)
    runner.run(lambda job: 8).announces(lambda _n: NO_CHANGES).success(results.append)
    runner.run(lambda job: "plain").success(results.append)
    failed: list[BaseException] = []

    def boom(job: Job) -> Changes:
        raise ValueError

    runner.run(boom).announces(lambda _c: described).failure(failed.append)
    qtbot.waitUntil(lambda: runner.pending == 0 and len(results) == 7 and bool(failed))
    # Once each (the pool delivers in its own time); nothing for empty results or failures.
    assert sorted(seen, key=repr) == sorted([sealed, carried, described], key=repr)
    assert Receipt(2, carried) in results  # callbacks still get the whole result
    runner.shutdown()


def test_the_list_editor_and_status_bar_refresh_after_a_seal_made_through_the_runner(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    rid = new_report(qtbot, unlocked)
    fill_complete(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.flush()
    idle(qtbot, unlocked)
    assert ws.list.model.rows[0].status is ReportStatus.DRAFT
    # Seal without going through any screen and without calling any reload.
    unlocked.runner.job(lambda s, job: s.reports.seal(rid, cancel=job.cancelled)).announces(
        report_changed
    )
    qtbot.waitUntil(lambda: ws.list.model.rows[0].status is ReportStatus.SEALED)
    qtbot.waitUntil(lambda: ws.editor.report is not None and not ws.editor.report.is_draft)
    assert ws.editor.amend_button.isVisibleTo(ws.editor)
    qtbot.waitUntil(
        lambda: unlocked.pending_label.text() == "1 sealed report not yet exported or sent"
    )
    assert ws.list.current_id() == rid


def test_an_unannounced_op_refreshes_nothing(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    assert ws.list.model.rowCount() == 1
    made: list[str] = []
    unlocked.runner.call(lambda s: s.reports.new_draft()).success(lambda r: made.append(r.id))
    qtbot.waitUntil(lambda: bool(made))
    idle(qtbot, unlocked)
    assert ws.list.model.rowCount() == 1  # no broadcast, no reload: the contract is explicit
    unlocked.runner.announce(Changes(report_list=True))
    qtbot.waitUntil(lambda: ws.list.model.rowCount() == 2)


def test_autosave_lands_while_a_network_job_is_in_io(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    in_io = threading.Event()
    release = threading.Event()
    sent: list[int] = []

    def sync(job: Job) -> int:
        count = job.on_store(lambda s: len(s.reports.list_reports()))
        in_io.set()
        release.wait(WAIT)  # the upload: no store-lane time is held here
        return count

    unlocked.runner.network(sync).success(sent.append)
    assert in_io.wait(WAIT)
    qtbot.keyClicks(ws.editor.narrative, "Guards took the gravel at night.")
    ws.editor.flush()  # what the autosave timer does
    qtbot.waitUntil(lambda: ws.editor.save_state == "saved")
    assert not sent and not release.is_set()  # saved while the upload is still running
    release.set()
    qtbot.waitUntil(lambda: sent == [1])


def test_an_export_refreshes_the_list_editor_and_status_bar_while_its_dialog_is_open(
    qtbot: QtBot, make_window: Any, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    params = KdfParams.cheap_for_tests()
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=params)
    laptop = new_field(tmp_path / "laptop", params, hq)
    rid = seal_report(laptop, example_doc)
    laptop.close()
    hq.close()
    window = make_window(tmp_path / "laptop")
    unlock(qtbot, window, FIELD_PASSPHRASE)
    ws = window.workspace
    assert ws is not None
    qtbot.waitUntil(lambda: ws.list.model.rowCount() == 1)
    ws.list.select(rid)
    qtbot.waitUntil(lambda: ws.editor.report is not None and ws.editor.report.id == rid)
    qtbot.waitUntil(lambda: window.pending_label.text() == "1 sealed report not yet exported or sent")
    stick = tmp_path / "stick"
    stick.mkdir()
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    chooser = stick_chooser(qtbot, window)
    assert isinstance(chooser, QFileDialog)
    chooser.fileSelected.emit(str(stick))
    chooser.reject()
    dialog = next(d for d in window.findChildren(QDialog) if d.objectName() == "transferDialog")
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=20_000)  # type: ignore[attr-defined]
    assert dialog.error is None  # type: ignore[attr-defined]
    assert dialog.isVisible()  # nobody closed it: the broadcast did the refreshing
    qtbot.waitUntil(lambda: ws.list.model.rows[0].status is ReportStatus.EXPORTED)
    qtbot.waitUntil(
        lambda: ws.editor.report is not None and ws.editor.report.status is ReportStatus.EXPORTED
    )
    qtbot.waitUntil(
        lambda: window.pending_label.text()
        == "0 sealed reports not yet exported or sent · 1 exported or sent, not yet acknowledged by HQ"
        and window.sync_label.text() != "Last export or sync: never"
    )
    dialog.reject()
