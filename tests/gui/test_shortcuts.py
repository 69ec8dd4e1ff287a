"""Every keyboard shortcut still works after the language is changed in Settings (the panic keys
above all): a rebuild must not leave the old actions registered beside the new ones."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.seal_dialog import SealDialog
from kpfield.gui.settings_dialog import SettingsDialog
from kpfield.gui.wipe_dialog import WipeDialog
from tests.gui.conftest import idle, new_report, unlock

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def switch_language(qtbot: QtBot, window: MainWindow, language: str) -> None:
    qtbot.keyClick(window, Qt.Key.Key_Comma, CTRL)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    idle(qtbot, window)
    dialog.language.setCurrentIndex(dialog.language.findData(language))
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ctx.i18n.language == language)
    qtbot.waitUntil(lambda: window.workspace is not None)
    idle(qtbot, window)
    back_to(qtbot, window)


def back_to(qtbot: QtBot, window: MainWindow) -> None:
    # The offscreen platform does not hand activation back to the parent when a dialog closes
    # (a desktop window manager does); shortcuts are application-wide but need an active window.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def visible(window: MainWindow, kind: type[QWidget]) -> QWidget | None:
    for w in window.findChildren(kind):
        if w.isVisible():
            return w
    return None


def shortcut_keys(window: MainWindow) -> list[str]:
    return sorted(
        a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()
    )


@pytest.mark.parametrize("languages", [["fr"], ["pt", "en"]])
def test_every_shortcut_works_after_a_language_switch(
    qtbot: QtBot, unlocked: MainWindow, languages: list[str]
) -> None:
    window = unlocked
    before = shortcut_keys(window)
    for language in languages:
        switch_language(qtbot, window, language)
    assert shortcut_keys(window) == before  # one action per key, none left over

    rid = new_report(qtbot, window)  # Ctrl+N
    assert window.workspace is not None
    editor = window.workspace.editor
    qtbot.keyClicks(editor.incident.title, "typed after the switch")
    qtbot.keyClick(window, Qt.Key.Key_S, CTRL)  # Ctrl+S saves now
    qtbot.waitUntil(lambda: editor.save_state == "saved")
    idle(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_F, CTRL)  # Ctrl+F goes to the search box
    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.list.search.hasFocus())

    qtbot.keyClick(window, Qt.Key.Key_S, CTRL | SHIFT)  # Ctrl+Shift+S asks to seal
    qtbot.waitUntil(lambda: visible(window, SealDialog) is not None)
    seal = visible(window, SealDialog)
    assert seal is not None
    seal.close()
    back_to(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_E, CTRL)  # Ctrl+E asks for the stick
    qtbot.waitUntil(lambda: visible(window, QFileDialog) is not None)
    chooser = visible(window, QFileDialog)
    assert chooser is not None
    chooser.reject()
    back_to(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_Delete, CTRL | SHIFT)  # the panic key asks to erase
    qtbot.waitUntil(lambda: visible(window, WipeDialog) is not None)
    wipe = visible(window, WipeDialog)
    assert isinstance(wipe, WipeDialog)
    wipe.reject()
    back_to(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)  # Ctrl+L locks
    qtbot.waitUntil(lambda: window.unlock_screen is not None)
    assert window.workspace is None
    unlock(qtbot, window)
    window.workspace.list.reload(select=rid)  # type: ignore[union-attr]
    idle(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_Q, CTRL)  # Ctrl+Q quits (and saves)
    qtbot.waitUntil(lambda: not window.isVisible())
