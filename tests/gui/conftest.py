"""Fixtures for GUI tests: a real main window on a fresh vault in tmp_path, cheap KDF, driven by keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kpfield.app import create_session
from kpfield.gui.main_window import MainWindow
from kpfield.vault.keyslots import KdfParams

PASSPHRASE = "river mango stone cloud seven"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def make_window(qtbot: QtBot, data_dir: Path) -> Iterator[object]:
    windows: list[MainWindow] = []

    def make(path: Path | None = None) -> MainWindow:
        w = MainWindow(path or data_dir, kdf_params=KdfParams.cheap_for_tests())
        qtbot.addWidget(w)
        w.show()
        w.activateWindow()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        close_for_good(w)


def close_for_good(window: MainWindow) -> None:
    """Close as the user would, answering "Close anyway" if the window asks (a test that leaves
    text that cannot be saved); a window left open keeps its store thread running."""
    from PySide6.QtWidgets import QMessageBox

    window.close()
    if not window.isVisible():
        return
    for box in window.findChildren(QMessageBox):
        if box.objectName() == "closeUnsaved" and box.isVisible():
            button = next(
                b for b in box.buttons()
                if box.buttonRole(b) is QMessageBox.ButtonRole.DestructiveRole
            )
            button.click()
    assert not window.isVisible(), "the window refused to close"


@pytest.fixture
def existing_vault(data_dir: Path) -> Path:
    """A vault made directly through the core (the setup screen has its own tests)."""
    create_session(data_dir, PASSPHRASE, params=KdfParams.cheap_for_tests()).close()
    return data_dir


def unlock(qtbot: QtBot, window: MainWindow, passphrase: str = PASSPHRASE) -> None:
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    # A field vault opens the workspace, an HQ vault the desk.
    qtbot.waitUntil(
        lambda: window.workspace is not None or window.desk is not None, timeout=10_000
    )
    idle(qtbot, window)


def idle(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the store thread has delivered everything queued so far."""
    qtbot.waitUntil(lambda: window.runner.pending == 0, timeout=10_000)


@pytest.fixture
def unlocked(make_window: object, existing_vault: Path, qtbot: QtBot) -> MainWindow:
    window = make_window()  # type: ignore[operator]
    assert isinstance(window, MainWindow)
    unlock(qtbot, window)
    return window


def new_report(qtbot: QtBot, window: MainWindow) -> str:
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.workspace is not None and window.workspace.editor.report
                    is not None, timeout=10_000)
    idle(qtbot, window)
    assert window.workspace is not None and window.workspace.editor.report is not None
    return window.workspace.editor.report.id


def app() -> QApplication:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    return instance


def check_item(qtbot: QtBot, lst: object, row: int) -> None:
    """Tick a checkable list row with the keyboard (Space), as a monitor would."""
    from PySide6.QtWidgets import QListWidget

    assert isinstance(lst, QListWidget)
    lst.setFocus()
    lst.setCurrentRow(row)
    qtbot.keyClick(lst, Qt.Key.Key_Space)


def fill_complete(qtbot: QtBot, window: MainWindow, narrative: str = "") -> None:
    """Type everything sealing needs into the open draft."""
    assert window.workspace is not None
    editor = window.workspace.editor
    form = editor.incident
    editor.tabs.setCurrentIndex(0)
    qtbot.keyClicks(form.title, "Beating at the Koidu river site")
    qtbot.keyClicks(form.date, "2026-10-03")
    check_item(qtbot, form.categories, 3)  # private security abuse
    check_item(qtbot, form.perpetrators, 3)
    qtbot.keyClicks(form.site, "Koidu river digging site")
    qtbot.keyClicks(form.country, "sl")
    editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(
        editor.narrative,
        narrative or "Four diggers were stopped by guards at dawn and beaten with batons.",
    )


def stick_chooser(qtbot: QtBot, window: MainWindow, *, anyway: bool = True) -> object:
    """After Export: the folder chooser, once the "not yet enrolled" question (if HQ has not
    confirmed this laptop) is answered "Export anyway"."""
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    def shown() -> object | None:
        for c in window.findChildren(QFileDialog):
            if c.isVisible():
                return c
        for b in window.findChildren(QMessageBox):
            if b.objectName() == "exportUnenrolled" and b.isVisible():
                return b
        return None

    qtbot.waitUntil(lambda: shown() is not None, timeout=10_000)
    found = shown()
    if isinstance(found, QMessageBox):
        assert anyway, "the export asked about enrollment"
        go = next(b for b in found.buttons() if b.text() == "Export anyway")
        go.click()
        qtbot.waitUntil(
            lambda: any(c.isVisible() for c in window.findChildren(QFileDialog)), timeout=10_000
        )
        found = next(c for c in window.findChildren(QFileDialog) if c.isVisible())
    return found
