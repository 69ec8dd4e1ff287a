"""The report editor: every field, autosave after a pause and on navigation, saved indicator."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kpfield.domain.models import CoordinateSource, DatePrecision
from kpfield.gui.incident_form import format_degrees, parse_date, parse_degrees
from kpfield.gui.main_window import MainWindow
from tests.gui.conftest import check_item, idle, new_report


def stored(qtbot: QtBot, window: MainWindow, rid: str) -> object:
    box: list[object] = []
    window.runner.call(lambda s: s.reports.get(rid)).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    return box[0]


def test_typing_autosaves_two_seconds_after_typing_stops(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    rid = new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    editor.tabs.setCurrentIndex(1)
    qtbot.keyClicks(editor.narrative, "At dawn the guards came.")
    assert editor.save_state == "dirty"
    assert editor.indicator.text() == "Unsaved changes…"
    assert editor.timer.isActive() and editor.timer.interval() == 2000
    qtbot.waitUntil(lambda: editor.save_state == "saved", timeout=5000)
    assert editor.indicator.text().startswith("Saved at ")
    assert stored(qtbot, unlocked, rid).narrative == "At dawn the guards came."  # type: ignore[attr-defined]


def test_switching_reports_saves_the_one_being_edited(qtbot: QtBot, unlocked: MainWindow) -> None:
    first = new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    qtbot.keyClicks(editor.incident.title, "First report")
    second = new_report(qtbot, unlocked)  # navigation: no waiting for the timer
    assert second != first
    assert stored(qtbot, unlocked, first).title == "First report"  # type: ignore[attr-defined]
    table = unlocked.workspace.list  # type: ignore[union-attr]
    table.select(first)
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.id == first)
    idle(qtbot, unlocked)
    assert editor.incident.title.text() == "First report"


def test_every_incident_and_place_field_round_trips(qtbot: QtBot, unlocked: MainWindow) -> None:
    rid = new_report(qtbot, unlocked)
    form = unlocked.workspace.editor.incident  # type: ignore[union-attr]
    qtbot.keyClicks(form.title, "Eviction at Tongo")
    qtbot.keyClicks(form.date, "2026-09")
    assert "month only" in form.date_hint.text()
    form.approximate.setFocus()
    qtbot.keyClick(form.approximate, Qt.Key.Key_Space)
    form.people.setFocus()
    form.people.selectAll()
    qtbot.keyClicks(form.people, "12")
    check_item(qtbot, form.categories, 9)
    check_item(qtbot, form.perpetrators, 0)
    qtbot.keyClicks(form.site, "Tongo field")
    qtbot.keyClicks(form.area, "Kenema District")
    qtbot.keyClicks(form.country, "sl")
    assert form.country.text() == "SL"
    form.has_position.setFocus()
    qtbot.keyClick(form.has_position, Qt.Key.Key_Space)
    qtbot.keyClicks(form.lat, "8,05")
    qtbot.keyClicks(form.lon, "-11.1234567")
    form.source.setCurrentIndex(form.source.findData("map"))
    unlocked.workspace.editor.tabs.setCurrentIndex(4)  # type: ignore[union-attr]
    qtbot.keyClicks(unlocked.workspace.editor.notes, "Chief confirmed.")  # type: ignore[union-attr]
    qtbot.keyClick(form.title, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: unlocked.workspace.editor.save_state == "saved")  # type: ignore[union-attr]
    r = stored(qtbot, unlocked, rid)
    assert r.title == "Eviction at Tongo"  # type: ignore[attr-defined]
    assert r.incident_date.value == "2026-09"  # type: ignore[attr-defined]
    assert r.incident_date.precision is DatePrecision.MONTH  # type: ignore[attr-defined]
    assert r.incident_date.approximate  # type: ignore[attr-defined]
    assert r.people_affected == 12  # type: ignore[attr-defined]
    assert r.categories == ("forced_displacement",)  # type: ignore[attr-defined]
    assert r.perpetrators == ("army",)  # type: ignore[attr-defined]
    assert r.place.area == "Kenema District" and r.place.country == "SL"  # type: ignore[attr-defined]
    assert r.place.coordinates.lat_micro == 8_050_000  # type: ignore[attr-defined]
    assert r.place.coordinates.lon_micro == -11_123_457  # type: ignore[attr-defined]
    assert r.place.coordinates.source is CoordinateSource.MAP  # type: ignore[attr-defined]
    assert r.monitor_notes == "Chief confirmed."  # type: ignore[attr-defined]


def test_the_list_shows_the_saved_title_without_a_reload(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    editor = unlocked.workspace.editor  # type: ignore[union-attr]
    qtbot.keyClicks(editor.incident.title, "Shown in the list")
    editor.flush()
    qtbot.waitUntil(lambda: unlocked.workspace.list.model.rows[0].title == "Shown in the list")  # type: ignore[union-attr]


def test_date_and_position_parsing() -> None:
    assert parse_date("2026-02-30", False) is None
    assert parse_date("2026", True).precision is DatePrecision.YEAR  # type: ignore[union-attr]
    assert parse_degrees("91", 90) is None
    assert parse_degrees("abc", 90) is None
    assert format_degrees(-10_971_230) == "-10.971230"


def test_a_position_not_understood_is_flagged_at_once(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    form = unlocked.workspace.editor.incident  # type: ignore[union-attr]
    form.has_position.setChecked(True)
    qtbot.keyClicks(form.lat, "8 38 35 X")
    assert "Not understood" in form.position_hint.text()
    form.lat.clear()
    qtbot.keyClicks(form.lat, "8.643210")
    assert "Not understood" not in form.position_hint.text()
