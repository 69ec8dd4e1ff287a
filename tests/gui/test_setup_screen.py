"""First run: language, passphrase twice with strength, optional duress, then the empty vault."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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


def _fake_system(root: Path) -> Path:
    """A laptop whose swap is a plain partition and whose hibernation goes to it (8:3)."""
    files = {
        "proc/swaps": "Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 100 0 -2\n",
        "sys/power/resume": "8:3\n",
        "sys/class/block/sda3/size": "1",
    }
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    link = root / "sys/dev/block/8:3"
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("../../devices/pci/block/sda/sda3", link)
    return root


def _setup_screen(qtbot: QtBot, tmp_path: Path, language: str, probe: object, platform: str):
    from kpfield.gui.context import AppContext
    from kpfield.gui.settings import GuiSettings
    from kpfield.gui.setup_screen import SetupScreen
    from kpfield.gui.tasks import TaskRunner
    from kpfield.i18n import I18n

    runner = TaskRunner()
    ctx = AppContext(
        data_dir=tmp_path / "vault",
        runner=runner,
        i18n=I18n(language),
        settings=GuiSettings(language=language),
        memory_probe=probe,  # type: ignore[arg-type]
        platform=platform,
    )
    screen = SetupScreen(ctx, start_page=3)
    qtbot.addWidget(screen)
    screen.show()
    return screen, runner


@pytest.mark.parametrize(
    "case",
    [
        ("en", "linux", "Swap space on this computer (/dev/sda3) is not encrypted", "LUKS"),
        ("en", "win32", "Swap space on this computer (/dev/sda3) is not encrypted", "BitLocker"),
        ("en", "darwin", "Swap space on this computer (/dev/sda3) is not encrypted", "FileVault"),
        ("fr", "linux", "(/dev/sda3) n'est pas chiffré", "LUKS"),
        ("pt", "win32", "(/dev/sda3) não está cifrado", "BitLocker"),
    ],
)
def test_setup_warns_when_swap_and_hibernation_are_not_encrypted(
    qtbot: QtBot, tmp_path: Path, case: tuple[str, str, str, str]
) -> None:
    """The warnings ``kpfield init`` prints, read from a fake /proc and /sys, with this OS's fix."""
    language, platform, swap, fix = case
    from kpfield.services.memory_exposure import LinuxProbe

    root = _fake_system(tmp_path / "root")
    probe = LinuxProbe(root, lambda path, kind: {"/dev/sda3": "8:3"}[path])
    screen, runner = _setup_screen(qtbot, tmp_path, language, probe.exposures, platform)
    try:
        qtbot.waitUntil(screen.memory_warning.isVisible, timeout=5000)
        text = screen.memory_warning.text()
        assert swap in text
        assert "8:3" in text  # the hibernation device, named
        assert fix in text
        others = {"LUKS", "BitLocker", "FileVault"} - {fix}
        assert not any(o in text for o in others)  # only this system's way to fix it
    finally:
        runner.shutdown()


def test_setup_says_nothing_when_swap_is_encrypted(qtbot: QtBot, tmp_path: Path) -> None:
    from kpfield.services.memory_exposure import LinuxProbe

    root = _fake_system(tmp_path / "root")
    (root / "sys/class/block/sda3/dm").mkdir()
    (root / "sys/class/block/sda3/dm/uuid").write_text("CRYPT-LUKS2-abc")
    probe = LinuxProbe(root, lambda path, kind: "8:3")
    seen: list[int] = []

    def counted() -> list[object]:
        seen.append(1)
        return probe.exposures()  # type: ignore[return-value]

    screen, runner = _setup_screen(qtbot, tmp_path, "en", counted, "linux")
    try:
        qtbot.waitUntil(lambda: bool(seen) and runner.pending == 0, timeout=5000)
        qtbot.wait(0)
        assert not screen.memory_warning.isVisible()
        assert screen.memory_warning.text() == ""
    finally:
        runner.shutdown()
