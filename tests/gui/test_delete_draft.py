"""Drafts can be deleted, after a question; the custody log records it; sealed reports cannot."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.gui.changes import report_changed
from kpfield.gui.main_window import MainWindow
from tests.gui.conftest import fill_complete, idle, new_report


def ask(window: MainWindow) -> QMessageBox:
    return next(b for b in window.findChildren(QMessageBox) if b.isVisible())


def click(qtbot: QtBot, box: QMessageBox, text: str) -> None:
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == text), Qt.MouseButton.LeftButton)


def entries(qtbot: QtBot, window: MainWindow) -> Any:
    box: list[Any] = []
    window.runner.call(lambda s: s.reports.custody.entries()).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    return box[0]


def test_delete_a_draft_after_confirming(qtbot: QtBot, unlocked: MainWindow) -> None:
    keep = new_report(qtbot, unlocked)
    rid = new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    qtbot.keyClicks(ws.editor.incident.title, "A draft started by mistake")
    assert ws.editor.delete_button.isVisible()
    qtbot.mouseClick(ws.editor.delete_button, Qt.MouseButton.LeftButton)
    box = ask(unlocked)
    assert box.objectName() == "confirmDelete"
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # Escape is the safe answer
    idle(qtbot, unlocked)
    assert {r.id for r in ws.list.model.rows} == {keep, rid}

    qtbot.mouseClick(ws.editor.delete_button, Qt.MouseButton.LeftButton)
    click(qtbot, ask(unlocked), "Delete draft")
    qtbot.waitUntil(lambda: [r.id for r in ws.list.model.rows] == [keep])
    idle(qtbot, unlocked)
    assert ws.editor.report is None or ws.editor.report.id != rid
    last = entries(qtbot, unlocked)[-1]
    assert (last.event, last.report_id) == ("deleted", rid)
    assert "mistake" not in str(last.details)


def test_sealed_reports_offer_no_delete(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    fill_complete(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.flush()
    idle(qtbot, unlocked)
    unlocked.runner.call(lambda s: s.reports.seal(rid)).announces(report_changed)
    qtbot.waitUntil(lambda: ws.editor.report is not None and not ws.editor.report.is_draft)
    assert not ws.editor.delete_button.isVisible()
    assert ws.editor.amend_button.isVisible()
