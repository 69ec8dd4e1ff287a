"""F1 works inside modal dialogs (which block the main window's F1): the help opens on the
page about that dialog, above it, and can be used and closed while the dialog stays open."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from kpfield.gui.help_window import HelpWindow
from kpfield.gui.main_window import MainWindow
from kpfield.gui.wipe_dialog import WipeDialog
from tests.gui.conftest import new_report
from tests.gui.test_help import _read
from tests.gui.test_witness_escape import open_new_witness


def press_f1(qtbot: QtBot, dialog: QDialog, target: QWidget) -> HelpWindow:
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    target.setFocus()
    qtbot.waitUntil(target.hasFocus)
    assert QApplication.activeModalWidget() is dialog  # the main window's F1 cannot fire
    qtbot.keyClick(target, Qt.Key.Key_F1)
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, HelpWindow) and w.isVisible()]
    assert len(found) == 1
    return found[0]


def test_f1_in_the_witness_dialog_opens_witnesses_and_the_help_can_be_closed(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    new_report(qtbot, unlocked)
    dialog = open_new_witness(qtbot, unlocked)
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    help_window = press_f1(qtbot, dialog, dialog.pseudonym)
    assert help_window.page == "witnesses"
    assert _read("en", "witnesses").title.strip() in help_window.browser.toPlainText()
    # Not blocked by the dialog: its Close button answers a click given to its window (as
    # the window system would; a click sent to the widget itself would skip the modality).
    close = next(iter(help_window.findChildren(QPushButton)))
    handle = help_window.windowHandle()
    assert handle is not None
    QTest.mouseClick(
        handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
        close.mapTo(help_window, close.rect().center()),
    )  # fmt: skip
    qtbot.waitUntil(lambda: not help_window.isVisible())
    assert dialog.isVisible()  # the dialog is left as it was
    dialog.reject()


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_f1_in_the_wipe_dialog_opens_the_safety_page(
    qtbot: QtBot, unlocked: MainWindow, language: str
) -> None:
    if language != "en":
        unlocked.switch_language(language)
        qtbot.waitUntil(lambda: unlocked.workspace is not None)
    unlocked.ask_wipe()
    dialog = next(d for d in unlocked.findChildren(WipeDialog) if d.isVisible())
    help_window = press_f1(qtbot, dialog, dialog.cancel_button)
    assert help_window.page == "safety"
    assert _read(language, "safety").title.strip() in help_window.browser.toPlainText()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_f1_after_the_dialog_is_back_in_the_main_window(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    new_report(qtbot, unlocked)
    dialog = open_new_witness(qtbot, unlocked)
    press_f1(qtbot, dialog, dialog.pseudonym)
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.tabs.setCurrentIndex(0)
    unlocked.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is unlocked)
    ws.editor.incident.title.setFocus()
    qtbot.waitUntil(ws.editor.incident.title.hasFocus)
    qtbot.keyClick(ws.editor.incident.title, Qt.Key.Key_F1)  # the Help menu's own F1
    shown = [w for w in unlocked.findChildren(HelpWindow) if w.isVisible()]
    assert len(shown) == 1 and shown[0].page == "editor"
    assert shown[0].parentWidget() is unlocked
