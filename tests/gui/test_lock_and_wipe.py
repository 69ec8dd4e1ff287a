"""Lock (toolbar, Ctrl+L, idle) hides all content and keeps text; panic wipe with one confirmation."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolBar
from pytestqt.qtbot import QtBot

from kpfield.app import open_session
from kpfield.gui.main_window import MainWindow
from kpfield.gui.photo_panel import PhotoPanel
from kpfield.gui.report_editor import ReportEditor
from kpfield.gui.wipe_dialog import WipeDialog
from tests.gui.conftest import PASSPHRASE, idle, new_report, unlock


def test_ctrl_l_saves_then_locks_and_nothing_of_the_report_remains(
    qtbot: QtBot, unlocked: MainWindow, existing_vault: Path
) -> None:
    rid = new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(editor.narrative, "typed just before locking")
    editor.narrative.selectAll()
    editor.narrative.copy()
    assert QGuiApplication.clipboard().text() == "typed just before locking"
    qtbot.keyClick(editor.narrative, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert unlocked.workspace is None and unlocked.unlock_screen is not None
    assert unlocked.lock_label.text() == "Locked"
    assert QGuiApplication.clipboard().text() == ""
    assert unlocked.findChildren(ReportEditor) == [] or all(
        not e.isVisible() for e in unlocked.findChildren(ReportEditor)
    )
    assert not unlocked.new_action.isEnabled()
    idle(qtbot, unlocked)
    qtbot.waitUntil(lambda: unlocked.findChildren(PhotoPanel) == [])  # deleted, not hidden
    s = open_session(existing_vault, PASSPHRASE)  # the vault really is closed: we can open it
    assert s.reports.get(rid).narrative == "typed just before locking"
    s.close()
    unlock(qtbot, unlocked)
    assert unlocked.workspace is not None
    assert unlocked.workspace.list.model.rowCount() == 1


def test_toolbar_lock_button(qtbot: QtBot, unlocked: MainWindow) -> None:
    toolbar = unlocked.findChild(QToolBar, "mainToolbar")
    button = toolbar.widgetForAction(unlocked.lock_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert unlocked.unlock_screen is not None


def test_idle_time_locks(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    qtbot.keyClicks(editor.incident.title, "left open")
    assert unlocked.idle.timer.isActive()
    assert unlocked.idle.timer.interval() == 5 * 60_000
    unlocked.idle.set_interval_ms(300)  # the real setting is in minutes
    qtbot.waitUntil(lambda: unlocked.unlock_screen is not None, timeout=5000)
    idle(qtbot, unlocked)
    unlock(qtbot, unlocked)
    assert unlocked.workspace.list.model.rows[0].title == "left open"  # type: ignore[union-attr]


def test_panic_wipe_needs_one_deliberate_confirmation(
    qtbot: QtBot, unlocked: MainWindow, existing_vault: Path
) -> None:
    new_report(qtbot, unlocked)
    shortcut = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(unlocked, Qt.Key.Key_Delete, shortcut)
    dialog = unlocked.findChild(WipeDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.cancel_button.isDefault() and not dialog.erase_button.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter alone cancels
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert (existing_vault / "keyslots").exists()
    qtbot.keyClick(unlocked, Qt.Key.Key_Delete, shortcut)
    dialog = [d for d in unlocked.findChildren(WipeDialog) if d.isVisible()][0]
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: unlocked.setup is not None, timeout=10_000)
    assert not (existing_vault / "keyslots").exists()
    assert not (existing_vault / "vault.db").exists()
    assert unlocked.workspace is None


def test_wipe_from_the_lock_screen(qtbot: QtBot, unlocked: MainWindow, existing_vault: Path) -> None:
    qtbot.keyClick(unlocked, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    unlocked.wipe_action.trigger()
    dialog = [d for d in unlocked.findChildren(WipeDialog) if d.isVisible()][0]
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: unlocked.setup is not None, timeout=10_000)
    assert not (existing_vault / "keyslots").exists()


def test_closing_the_window_keeps_what_was_typed(
    qtbot: QtBot, unlocked: MainWindow, existing_vault: Path
) -> None:
    rid = new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(editor.narrative, "typed a moment before closing")
    assert editor.timer.isActive()  # the autosave pause has not even elapsed
    unlocked.close()  # waits for the store thread: the save is queued before the vault closes
    s = open_session(existing_vault, PASSPHRASE)
    try:
        assert s.reports.get(rid).narrative == "typed a moment before closing"
    finally:
        s.close()


def test_coalition_policy_can_only_shorten_the_idle_lock() -> None:
    from kpfield.gui.idle_watch import IdleWatch

    watch = IdleWatch(30)
    assert watch.effective_minutes == 30
    watch.set_ceiling(10)
    assert watch.effective_minutes == 10
    assert watch.timer.interval() == 10 * 60_000
    watch.set_minutes(5)
    assert watch.effective_minutes == 5
    watch.set_ceiling(None)
    watch.set_minutes(45)
    assert watch.effective_minutes == 45
