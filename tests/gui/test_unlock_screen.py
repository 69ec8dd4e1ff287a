"""The unlock screen: calm wrong-passphrase message, visible failed-unlock policy, erasure."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kpfield.app import open_session
from kpfield.gui.main_window import MainWindow
from tests.gui.conftest import PASSPHRASE, idle, unlock


def type_and_enter(qtbot: QtBot, window: MainWindow, text: str) -> None:
    screen = window.unlock_screen
    assert screen is not None
    screen.passphrase.clear()
    qtbot.keyClicks(screen.passphrase, text)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    idle(qtbot, window)


def test_wrong_passphrase_is_handled_calmly_then_the_right_one_unlocks(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    window: MainWindow = make_window()  # type: ignore[operator]
    assert window.setup is None and window.unlock_screen is not None
    assert window.lock_label.text() == "Locked"
    type_and_enter(qtbot, window, "not it")
    screen = window.unlock_screen
    assert screen is not None
    assert "does not open this vault" in screen.message.text()
    assert "Caps Lock" in screen.message.text()
    assert screen.policy.text() == ""  # no limit set
    assert screen.passphrase.isEnabled()
    unlock(qtbot, window)
    assert window.lock_label.text() == "Unlocked"


def test_failed_unlock_policy_is_shown_and_the_limit_erases(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    s = open_session(existing_vault, PASSPHRASE)
    s.vault.set_failed_unlock_limit(2)
    s.close()
    window: MainWindow = make_window()  # type: ignore[operator]
    screen = window.unlock_screen
    assert screen is not None
    qtbot.waitUntil(lambda: "Attempts left: 2" in screen.policy.text())
    type_and_enter(qtbot, window, "wrong one")
    qtbot.waitUntil(lambda: "Attempts left: 1" in screen.policy.text())
    type_and_enter(qtbot, window, "wrong two")
    qtbot.waitUntil(lambda: window.setup is not None)  # erased: the app is empty again
    assert not (existing_vault / "keyslots").exists()


def test_duress_passphrase_silently_opens_an_empty_vault(
    qtbot: QtBot, make_window: object, existing_vault: Path
) -> None:
    from kpfield.domain.document import ReportFields

    s = open_session(existing_vault, PASSPHRASE)
    s.reports.new_draft(ReportFields(title="must disappear"))
    s.vault.set_duress_passphrase(PASSPHRASE, "lemon tree")
    s.close()
    window: MainWindow = make_window()  # type: ignore[operator]
    unlock(qtbot, window, "lemon tree")
    assert window.workspace is not None
    assert window.workspace.list.model.rowCount() == 0
    assert window.unlock_screen is None  # no message, no hint: it looks like a normal unlock
