"""Vault → Export to USB: folder chosen in Qt's own dialog, work on the store thread, result shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from tests.gui.conftest import stick_chooser


def test_export_without_a_coalition_profile_says_so(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    qtbot.keyClick(unlocked, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    chooser = stick_chooser(qtbot, unlocked, anyway=False)  # no profile: no question first
    assert isinstance(chooser, QFileDialog) and chooser.testOption(QFileDialog.Option.DontUseNativeDialog)
    chooser.fileSelected.emit(str(stick))
    chooser.reject()
    dialog = next(d for d in unlocked.findChildren(QDialog) if d.objectName() == "transferDialog")
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=10_000)  # type: ignore[attr-defined]
    assert dialog.error is not None  # type: ignore[attr-defined]
    assert list(stick.iterdir()) == []  # nothing half-written
    dialog.reject()
