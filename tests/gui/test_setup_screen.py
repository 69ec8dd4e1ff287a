"""First run: language, passphrase twice with strength, optional duress, then the empty vault."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kpfield.app import open_session
from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import load_settings
from kpfield.gui.setup_screen import strength
from tests.gui.conftest import PASSPHRASE, idle


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def test_first_run_creates_an_empty_vault_with_a_duress_passphrase(
    qtbot: QtBot, make_window: object, data_dir: Path
) -> None:
    window: MainWindow = make_window()  # type: ignore[operator]
    setup = window.setup
    assert setup is not None and window.unlock_screen is None
    assert not window.new_action.isEnabled()  # nothing to act on before a vault exists
    click(qtbot, setup.next)  # English stays
    assert setup.pages.currentIndex() == 1
    assert not setup.next.isEnabled()
    qtbot.keyClicks(setup.pass1, "short")
    assert setup.meter.value() == 0
    assert "Too short" in setup.meter_label.text()
    setup.pass1.clear()
    qtbot.keyClicks(setup.pass1, PASSPHRASE)
    assert setup.meter.value() >= 3
    qtbot.keyClicks(setup.pass2, PASSPHRASE[:-1] + "X")
    assert "not the same" in setup.match_label.text()
    assert not setup.next.isEnabled()
    qtbot.keyClick(setup.pass2, Qt.Key.Key_Backspace)
    qtbot.keyClicks(setup.pass2, PASSPHRASE[-1])
    assert setup.next.isEnabled()
    click(qtbot, setup.next)
    assert setup.pages.currentIndex() == 2
    assert setup.next.isEnabled()  # duress is optional
    setup.use_duress.setFocus()
    qtbot.keyClick(setup.use_duress, Qt.Key.Key_Space)
    assert setup.use_duress.isChecked()
    qtbot.keyClicks(setup.duress1, PASSPHRASE)
    assert "different" in setup.duress_label.text()
    setup.duress1.clear()
    qtbot.keyClicks(setup.duress1, "banana blue")
    qtbot.keyClicks(setup.duress2, "banana blue")
    assert setup.next.isEnabled()
    click(qtbot, setup.next)
    # The laptop is named before it is created: HQ tells laptops apart by it when enrolling.
    assert not setup.create_button.isEnabled()
    assert setup.focusWidget() is setup.device_name
    qtbot.keyClicks(setup.device_name, "   ")
    assert not setup.create_button.isEnabled()  # spaces are not a name
    setup.device_name.clear()
    qtbot.keyClicks(setup.device_name, " Team 2 laptop ")
    assert setup.create_button.isEnabled()
    click(qtbot, setup.create_button)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10_000)
    idle(qtbot, window)
    assert window.lock_label.text() == "Unlocked"
    assert window.workspace is not None
    assert window.workspace.list.model.rowCount() == 0
    window.close()
    # the real passphrase opens it; the duress passphrase erases it and opens an empty one
    session = open_session(data_dir, PASSPHRASE)
    try:
        assert session.identity.device_name() == "Team 2 laptop"
    finally:
        session.close()


def test_choosing_french_rebuilds_the_wizard_in_french_and_remembers_it(
    qtbot: QtBot, make_window: object, data_dir: Path
) -> None:
    window: MainWindow = make_window()  # type: ignore[operator]
    setup = window.setup
    assert setup is not None
    setup.language.setFocus()
    setup.language.setCurrentIndex(setup.language.findData("fr"))
    click(qtbot, setup.next)
    assert window.setup is not setup and window.setup is not None
    assert window.setup.pages.currentIndex() == 1
    assert window.setup.next.text() == "Suivant"
    assert load_settings(data_dir).language == "fr"


def test_strength_rewards_several_words() -> None:
    assert strength("abc") == 0
    assert strength("aaaaaaaaaaaa") <= 1
    assert strength("correct horse battery staple river") >= 3
