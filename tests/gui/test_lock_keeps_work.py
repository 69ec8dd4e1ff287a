"""Nothing typed is lost around switching, failed saves, lock and wipe; nothing stays behind.

Regression tests for a review that proved each of these with the real window.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.transfer_dialog import TransferDialog
from kpfield.gui.witness_dialog import WitnessDialog
from kpfield.services.reports import ReportService
from tests.gui.conftest import idle, new_report, unlock


def stored(qtbot: QtBot, w: MainWindow, rid: str) -> Any:
    box: dict[str, Any] = {}
    w.runner.call(lambda s: s.reports.get(rid)).success(lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=5000)
    return box["r"]


def test_typing_while_the_next_report_loads_is_saved(qtbot: QtBot, unlocked: MainWindow) -> None:
    a = new_report(qtbot, unlocked)
    b = new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.open_report(a)
    idle(qtbot, unlocked)
    busy = threading.Event()
    unlocked.runner.run(lambda job: busy.wait(10))  # e.g. a photo import ahead in the queue
    ws.open_report(b)  # the editor still shows A, and the monitor keeps typing
    ws.editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(ws.editor.narrative, "typed while B was loading")
    busy.set()
    idle(qtbot, unlocked)
    assert ws.editor.report is not None
    assert ws.editor.report.id == b
    assert stored(qtbot, unlocked, a).narrative == "typed while B was loading"


def test_a_failed_save_keeps_the_text_on_screen_instead_of_switching(
    qtbot: QtBot, unlocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = new_report(qtbot, unlocked)
    b = new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.open_report(a)
    idle(qtbot, unlocked)

    def disk_full(self: ReportService, report: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ReportService, "save_draft", disk_full)
    ws.editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(ws.editor.narrative, "testimony that could not be saved")
    ws.open_report(b)
    idle(qtbot, unlocked)
    assert ws.editor.report is not None
    assert ws.editor.report.id == a  # not replaced by B
    assert ws.editor.save_state == "failed"
    assert ws.editor.narrative.toPlainText() == "testimony that could not be saved"
    monkeypatch.undo()
    ws.editor.flush()
    idle(qtbot, unlocked)
    assert stored(qtbot, unlocked, a).narrative == "testimony that could not be saved"


def test_a_save_failing_at_lock_is_told_to_the_monitor(
    qtbot: QtBot, unlocked: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None

    def disk_full(self: ReportService, report: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ReportService, "save_draft", disk_full)
    ws.editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(ws.editor.narrative, "lost at lock")
    unlocked.lock()
    idle(qtbot, unlocked)
    texts = [m.text() for m in unlocked.findChildren(QMessageBox) if m.isVisible()]
    assert any("could not be saved" in t for t in texts), texts


def test_idle_lock_saves_an_open_witness_dialog(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.tabs.setCurrentIndex(2)
    ws.editor.witnesses.new_witness()
    dialog = next(d for d in unlocked.findChildren(WitnessDialog) if d.isVisible())
    qtbot.keyClicks(dialog.risk, "Lives next to the guard post.")
    qtbot.keyClicks(dialog.full_name, "Real Name Here")
    unlocked.idle.set_interval_ms(100)
    unlocked.idle.start()
    qtbot.waitUntil(lambda: unlocked.unlock_screen is not None, timeout=5000)
    idle(qtbot, unlocked)
    import shiboken6

    # The dialog went with the workspace, or at least no longer holds the identity.
    assert not shiboken6.isValid(dialog) or dialog.full_name.text() == ""
    unlock(qtbot, unlocked)
    box: dict[str, Any] = {}
    unlocked.runner.call(lambda s: s.reports.list_witnesses()).success(
        lambda r: box.setdefault("w", r)
    )
    qtbot.waitUntil(lambda: "w" in box)
    [witness] = box["w"]
    assert witness.identifying is not None
    assert witness.identifying.full_name == "Real Name Here"
    assert "saved at lock" in witness.pseudonym


def test_panic_wipe_erases_the_keys_at_once_even_while_a_job_runs(
    qtbot: QtBot, unlocked: MainWindow, existing_vault: Path
) -> None:
    new_report(qtbot, unlocked)
    busy = threading.Event()
    unlocked.runner.run(lambda job: busy.wait(10))  # e.g. sealing large photos
    unlocked.wipe_now()
    assert not (existing_vault / "keyslots").exists()  # before the store thread is free
    busy.set()
    qtbot.waitUntil(lambda: unlocked.setup is not None, timeout=10_000)


def test_transfer_dialog_does_not_stay_over_the_lock_screen(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    release = threading.Event()
    dialog = TransferDialog(
        unlocked.runner,
        unlocked.ctx.gettext,
        "Import bundles",
        lambda s, job: release.wait(10),
        lambda r: "Bundle 7 from device kp-sl-04: 3 reports",
        parent=unlocked,
    )
    dialog.open()
    qtbot.waitExposed(dialog)
    unlocked.lock()
    assert not dialog.isVisible()
    release.set()
    idle(qtbot, unlocked)
    assert not dialog.isVisible()


def test_qt_file_dialogs_leave_no_settings_file(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    """Qt's file dialog saves recent folders through QSettings (QtProject.conf) when it closes."""
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "QtProject")
    assert settings.fileName().startswith(os.devnull)
    evidence = tmp_path / "Koidu_beating_witness_W17"
    evidence.mkdir()
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.tabs.setCurrentIndex(3)
    ws.editor.photos.choose_files()
    chooser = next(d for d in unlocked.findChildren(QFileDialog) if d.isVisible())
    chooser.setDirectory(str(evidence))
    chooser.reject()
    unlocked.lock()
    idle(qtbot, unlocked)
    settings.sync()
    assert settings.status() != QSettings.Status.NoError or not Path(settings.fileName()).exists()


def test_a_half_typed_date_survives_lock(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    qtbot.keyClicks(ws.editor.incident.date, "early Oct 2026")
    unlocked.lock()
    idle(qtbot, unlocked)
    unlock(qtbot, unlocked)
    date = stored(qtbot, unlocked, rid).incident_date
    assert date is not None
    assert date.value == "early Oct 2026"
