"""Seal: missing list or plain-words confirmation; sealed reports read-only; Amend; custody trail."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.domain.models import ReportStatus
from kpfield.gui.custody_dialog import CustodyDialog
from kpfield.gui.main_window import MainWindow
from kpfield.gui.seal_dialog import SealDialog
from tests.gui.conftest import fill_complete, idle, new_report


def open_seal(qtbot: QtBot, window: MainWindow) -> SealDialog:
    qtbot.keyClick(window, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.workspace is not None
                    and window.workspace.findChild(SealDialog) is not None)
    dialog = window.workspace.findChild(SealDialog)  # type: ignore[union-attr]
    assert dialog is not None
    return dialog


def test_an_incomplete_report_shows_what_is_missing(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    dialog = open_seal(qtbot, unlocked)
    lines = [dialog.missing.item(i).text() for i in range(dialog.missing.count())]
    assert "Title: is required" in lines
    assert "What happened (categories): choose at least one category" in lines
    assert dialog.seal_button is None
    dialog.reject()


def test_seal_then_read_only_then_amend_and_trail(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    fill_complete(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    dialog = open_seal(qtbot, unlocked)
    assert "can never be changed" in dialog.findChildren(type(editor.heading))[0].text()
    assert dialog.seal_button is not None
    qtbot.mouseClick(dialog.seal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.status
                    is ReportStatus.SEALED, timeout=10_000)
    idle(qtbot, unlocked)
    assert editor.narrative.isReadOnly() and editor.incident.title.isReadOnly()
    assert editor.banner.isVisible() and "Amend" in editor.banner.text()
    assert not editor.seal_button.isVisible() and editor.amend_button.isVisible()
    assert not editor.witnesses.add_button.isEnabled()
    assert not editor.photos.import_button.isEnabled()
    assert unlocked.pending_label.text() == "1 sealed report not yet exported or sent"
    # typing into a sealed report changes nothing
    qtbot.keyClicks(editor.narrative, "tamper")
    assert "tamper" not in editor.narrative.toPlainText()

    qtbot.mouseClick(editor.trail_button, Qt.MouseButton.LeftButton)
    trail = unlocked.workspace.findChild(CustodyDialog)  # type: ignore[union-attr]
    assert trail is not None
    qtbot.waitUntil(lambda: trail.table.rowCount() == 2)
    assert trail.table.item(0, 1).text() == "Created · v1"
    assert trail.table.item(1, 1).text() == "Sealed · v1"
    assert len(trail.table.item(1, 3).text()) == 64
    trail.reject()

    qtbot.mouseClick(editor.amend_button, Qt.MouseButton.LeftButton)
    ask = next(b for b in unlocked.findChildren(QMessageBox) if b.isVisible())
    assert ask.objectName() == "confirmAmend" and "version 2" in ask.text()
    qtbot.mouseClick(
        next(b for b in ask.buttons() if b.text() == "Make version 2"), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.id != rid
                    and editor.report.is_draft, timeout=10_000)
    idle(qtbot, unlocked)
    assert editor.report is not None and editor.report.version == 2
    assert editor.report.amends == rid
    assert not editor.narrative.isReadOnly()
    assert "corrects an earlier sealed version" in editor.banner.text()
    assert unlocked.workspace.list.model.rowCount() == 2  # type: ignore[union-attr]
    statuses = sorted(r.status.value for r in unlocked.workspace.list.model.rows)  # type: ignore[union-attr]
    assert statuses == ["draft", "sealed"]
    shown = {unlocked.workspace.list.model.index(i, 1).data() for i in range(2)}  # type: ignore[union-attr]
    assert shown == {"Draft · v2", "Sealed"}  # the list shows versions


def test_rule_problems_from_sealing_are_in_the_users_language() -> None:
    from kpfield.gui.labels import problem_text
    from kpfield.i18n import I18n

    fr = I18n("fr")
    line = problem_text(
        "place.country", "must be a two-letter ISO 3166 code in capitals, like SL or CD", fr.gettext
    )
    assert line == "Pays : doit être un code pays de deux lettres, comme SL ou CD"
    line = problem_text("incident.date.date", "is in the future", fr.gettext)
    assert "futur" in line
    assert "Date" in line
