"""Settings: language switch (rebuilds in place, report kept), idle minutes, unlock limit,
duress passphrase, passphrase change."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from kpfield.app import open_session
from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import load_settings
from kpfield.gui.settings_dialog import SettingsDialog
from kpfield.vault import keyslots
from tests.gui.conftest import PASSPHRASE, idle, new_report


def open_settings(qtbot: QtBot, window: MainWindow) -> SettingsDialog:
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    idle(qtbot, window)
    return dialog


def click(qtbot: QtBot, dialog: SettingsDialog, name: str) -> None:
    qtbot.mouseClick(dialog.findChild(object, name), Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_language_and_idle_minutes(qtbot: QtBot, unlocked: MainWindow, data_dir: Path) -> None:
    rid = new_report(qtbot, unlocked)
    qtbot.keyClicks(unlocked.workspace.editor.incident.title, "kept across the switch")  # type: ignore[union-attr]
    dialog = open_settings(qtbot, unlocked)
    dialog.language.setCurrentIndex(dialog.language.findData("pt"))
    dialog.idle.selectAll()
    qtbot.keyClicks(dialog.idle, "12")
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert load_settings(data_dir).language == "pt"
    assert load_settings(data_dir).idle_minutes == 12
    assert unlocked.idle.timer.interval() == 12 * 60_000
    assert unlocked.ctx.i18n.language == "pt"
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.id == rid)
    idle(qtbot, unlocked)
    assert editor.incident.title.text() == "kept across the switch"
    text = (data_dir / "preferences.json").read_text()
    assert "kept" not in text  # only preferences, never content


def test_failed_unlock_limit_duress_and_passphrase_change(
    qtbot: QtBot, unlocked: MainWindow, existing_vault: Path
) -> None:
    dialog = open_settings(qtbot, unlocked)
    dialog.tabs.setCurrentIndex(1)
    dialog.limit.selectAll()
    qtbot.keyClicks(dialog.limit, "5")
    click(qtbot, dialog, "applyLimit")
    qtbot.waitUntil(lambda: "saved" in dialog.message.text())
    assert keyslots.read(existing_vault / "keyslots").max_failed == 5

    click(qtbot, dialog, "setDuress")
    assert "passphrase first" in dialog.message.text()
    qtbot.keyClicks(dialog.duress_current, PASSPHRASE)
    qtbot.keyClicks(dialog.duress_new, "lemon tree")
    qtbot.keyClicks(dialog.duress_again, "lemon tree")
    click(qtbot, dialog, "setDuress")
    qtbot.waitUntil(lambda: "was set" in dialog.message.text())
    assert dialog.duress_new.text() == ""

    dialog.tabs.setCurrentIndex(2)
    qtbot.keyClicks(dialog.old_pass, "wrong passphrase")
    qtbot.keyClicks(dialog.new_pass, "a brand new passphrase")
    qtbot.keyClicks(dialog.new_again, "a brand new passphrase")
    click(qtbot, dialog, "changePassphrase")
    qtbot.waitUntil(lambda: "not correct" in dialog.message.text())
    dialog.old_pass.clear()
    qtbot.keyClicks(dialog.old_pass, PASSPHRASE)
    click(qtbot, dialog, "changePassphrase")
    qtbot.waitUntil(lambda: "was changed" in dialog.message.text())
    dialog.reject()
    unlocked.lock_action.trigger()
    assert unlocked.unlock_screen is not None
    idle(qtbot, unlocked)
    open_session(existing_vault, "a brand new passphrase").close()
