"""Escape in the witness dialog never throws away a half-typed witness without asking."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.witness_dialog import WitnessDialog
from tests.gui.conftest import idle, new_report


def open_new_witness(qtbot: QtBot, window: MainWindow) -> WitnessDialog:
    panel = window.workspace.editor.witnesses  # type: ignore[union-attr]
    window.workspace.editor.tabs.setCurrentWidget(panel)  # type: ignore[union-attr]
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def question(dialog: WitnessDialog) -> QMessageBox | None:
    return next((b for b in dialog.findChildren(QMessageBox) if b.isVisible()), None)


def test_escape_on_an_untouched_witness_just_closes(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    dialog = open_new_witness(qtbot, unlocked)
    qtbot.keyClick(dialog.pseudonym, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_escape_asks_and_a_second_escape_keeps_the_witness(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    new_report(qtbot, unlocked)
    dialog = open_new_witness(qtbot, unlocked)
    qtbot.keyClicks(dialog.pseudonym, "W-Mango")
    qtbot.keyClicks(dialog.full_name, "Half typed name")
    qtbot.keyClick(dialog.full_name, Qt.Key.Key_Escape)
    box = question(dialog)
    assert box is not None and box.objectName() == "discardWitness"
    assert dialog.isVisible()
    qtbot.keyClick(box, Qt.Key.Key_Escape)  # the reflex second Escape keeps it
    qtbot.waitUntil(lambda: question(dialog) is None)
    assert dialog.isVisible()
    assert dialog.full_name.text() == "Half typed name"

    qtbot.keyClick(dialog.full_name, Qt.Key.Key_Escape)
    box = question(dialog)
    assert box is not None
    discard = next(b for b in box.buttons() if b.text() == "Discard")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    idle(qtbot, unlocked)
    assert dialog.full_name.text() == ""  # forgotten, and nothing saved
    panel = unlocked.workspace.editor.witnesses  # type: ignore[union-attr]
    assert panel.list.count() == 0


def test_wipe_never_waits_on_the_question(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    dialog = open_new_witness(qtbot, unlocked)
    qtbot.keyClicks(dialog.full_name, "Real name")
    unlocked.wipe_now()
    qtbot.waitUntil(lambda: unlocked.setup is not None, timeout=10_000)
    assert not any(b.isVisible() for b in unlocked.findChildren(QMessageBox))
