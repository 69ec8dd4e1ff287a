"""Positions typed as monitors write them are saved; anything that cannot be saved keeps the editor
unsaved (never "Saved" and then gone) and is said at lock and at close."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from tests.gui.conftest import idle, new_report, unlock


def stored(qtbot: QtBot, w: MainWindow, rid: str) -> Any:
    box: dict[str, Any] = {}
    w.runner.call(lambda s: s.reports.get(rid)).success(lambda r: box.setdefault("r", r))
    qtbot.waitUntil(lambda: "r" in box, timeout=5000)
    return box["r"]


def save_now(qtbot: QtBot, w: MainWindow) -> None:
    qtbot.keyClick(w, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    idle(qtbot, w)


def position_on(qtbot: QtBot, w: MainWindow) -> Any:
    assert w.workspace is not None
    form = w.workspace.editor.incident
    form.has_position.setFocus()
    qtbot.keyClick(form.has_position, Qt.Key.Key_Space)
    return form


def test_degrees_minutes_seconds_are_saved_and_survive_a_lock(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    rid = new_report(qtbot, unlocked)
    form = position_on(qtbot, unlocked)
    qtbot.keyClicks(form.lat, "8°38'35\"N")
    qtbot.keyClicks(form.lon, "10°58'16\"W")
    assert "8.643056, -10.971111" in form.position_hint.text()
    save_now(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    assert editor.save_state == "saved"
    coords = stored(qtbot, unlocked, rid).place.coordinates
    assert (coords.lat_micro, coords.lon_micro) == (8_643_056, -10_971_111)
    qtbot.keyClick(unlocked, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: unlocked.unlock_screen is not None)
    assert unlocked.unlock_screen.message.text() == ""  # type: ignore[union-attr]
    unlock(qtbot, unlocked)
    coords = stored(qtbot, unlocked, rid).place.coordinates
    assert (coords.lat_micro, coords.lon_micro) == (8_643_056, -10_971_111)


def test_a_pair_pasted_into_latitude_fills_both(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    form = position_on(qtbot, unlocked)
    form.lat.setFocus()
    qtbot.keyClicks(form.lat, "8.6432 N, 10.9712 W")
    qtbot.keyClick(form.lat, Qt.Key.Key_Tab)
    assert (form.lat.text(), form.lon.text()) == ("8.643200", "-10.971200")
    save_now(qtbot, unlocked)
    coords = stored(qtbot, unlocked, rid).place.coordinates
    assert (coords.lat_micro, coords.lon_micro) == (8_643_200, -10_971_200)


def test_a_position_that_cannot_be_saved_is_never_shown_as_saved(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    rid = new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    form = position_on(qtbot, unlocked)
    qtbot.keyClicks(form.title, "Kept")
    qtbot.keyClicks(form.lat, "by the big mango tree")
    qtbot.keyClicks(form.lon, "-10.971230")
    assert "Not understood" in form.position_hint.text()
    save_now(qtbot, unlocked)
    assert editor.save_state == "unstorable"
    assert editor.indicator.text().startswith("Not saved: the position is not understood")
    assert editor.has_unsaved()
    assert stored(qtbot, unlocked, rid).title == "Kept"  # the rest is saved
    # Lock at once (a panic key never asks), and say on the lock screen what was not kept.
    qtbot.keyClick(unlocked, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: unlocked.unlock_screen is not None)
    message = unlocked.unlock_screen.message.text()  # type: ignore[union-attr]
    assert "could not be saved" in message and "position" in message
    assert "mango" not in message  # no content on the lock screen


def test_closing_with_a_position_that_cannot_be_saved_asks(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    new_report(qtbot, unlocked)
    form = position_on(qtbot, unlocked)
    qtbot.keyClicks(form.lat, "8.6432")  # no longitude: a position needs both
    save_now(qtbot, unlocked)
    unlocked.close()
    box = next(b for b in unlocked.findChildren(QMessageBox) if b.isVisible())
    assert box.objectName() == "closeUnsaved"
    assert "both latitude and longitude" in box.text()
    keep = next(b for b in box.buttons() if b.text() == "Keep editing")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert unlocked.isVisible() and unlocked.workspace is not None
    unlocked.close()
    box = next(b for b in unlocked.findChildren(QMessageBox) if b.isVisible())
    close = next(b for b in box.buttons() if b.text() == "Close anyway")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not unlocked.isVisible())
