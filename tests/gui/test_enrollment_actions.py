"""Field laptop, through the window: install HQ's profile after comparing its fingerprint, and
write an enrollment request that HQ accepts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.app import create_session, open_session
from kpfield.gui.main_window import MainWindow
from kpfield.protocol.enrollment import parse_request
from kpfield.protocol.profile import parse_profile
from kpfield.vault.keyslots import KdfParams
from tests.gui.conftest import PASSPHRASE, idle, unlock


def _box(window: MainWindow, name: str) -> QMessageBox:
    return next(
        b for b in window.findChildren(QMessageBox) if b.objectName() == name and b.isVisible()
    )


def test_install_profile_after_comparing_fingerprint_then_write_request(
    qtbot: QtBot, make_window: object, existing_vault: Path, tmp_path: Path
) -> None:
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    profile_file = tmp_path / "profile.json"
    profile_file.write_bytes(hq.hq().profile.export()[0])
    expected = parse_profile(profile_file.read_bytes()).fingerprint

    window = make_window(existing_vault)  # type: ignore[operator]
    unlock(qtbot, window)
    assert window.enrollment.profile_action.isVisible()
    window.enrollment.check_profile(profile_file)
    qtbot.waitUntil(
        lambda: any(
            b.objectName() == "profileFingerprint" for b in window.findChildren(QMessageBox)
        ),
        timeout=10_000,
    )
    box = _box(window, "profileFingerprint")
    assert expected in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: "installed" in window.enrollment.last_message, timeout=10_000)

    request = tmp_path / "stick" / "request.json"
    request.parent.mkdir()
    window.enrollment.save_request(request)
    qtbot.waitUntil(lambda: "fingerprint" in window.enrollment.last_message, timeout=10_000)
    idle(qtbot, window)
    window.close()

    req = parse_request(request.read_bytes())
    assert req.fingerprint in window.enrollment.last_message
    hq.hq().devices.approve(req)
    hq.close()
    field = open_session(existing_vault, PASSPHRASE)
    try:
        assert field.field().profile.installed() is not None
    finally:
        field.close()


def test_refusing_the_fingerprint_installs_nothing(
    qtbot: QtBot, make_window: object, existing_vault: Path, tmp_path: Path
) -> None:
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    profile_file = tmp_path / "profile.json"
    profile_file.write_bytes(hq.hq().profile.export()[0])
    hq.close()
    window = make_window(existing_vault)  # type: ignore[operator]
    unlock(qtbot, window)
    window.enrollment.check_profile(profile_file)
    qtbot.waitUntil(
        lambda: any(
            b.objectName() == "profileFingerprint" for b in window.findChildren(QMessageBox)
        ),
        timeout=10_000,
    )
    _box(window, "profileFingerprint").button(QMessageBox.StandardButton.No).click()
    idle(qtbot, window)
    window.close()
    field = open_session(existing_vault, PASSPHRASE)
    try:
        assert field.field().profile.installed() is None
    finally:
        field.close()


def test_a_tampered_profile_is_a_clear_error(
    qtbot: QtBot, make_window: object, existing_vault: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "profile.json"
    bad.write_bytes(b'{"profile": {}, "signature": "x"}')
    window = make_window(existing_vault)  # type: ignore[operator]
    unlock(qtbot, window)
    window.enrollment.check_profile(bad)
    qtbot.waitUntil(lambda: window.enrollment.last_message != "", timeout=10_000)
    assert "profile" in window.enrollment.last_message.lower()
