"""The report editor marks what sealing needs, hints never look like values, the seal dialog's
"still missing" list jumps to the field, and the date has a calendar."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from kpfield.gui.date_picker import DatePicker
from kpfield.gui.main_window import MainWindow
from kpfield.gui.seal_dialog import SealDialog
from tests.gui.conftest import idle, new_report

# What a placeholder must never look like: a country code, a number, a date or a position.
VALUE_LIKE = re.compile(r"^(?:[A-Z]{2}|\d[\d.,-]*|\d{4}-\d{2}-\d{2}|-?\d+\.\d+)$")


def _seal_dialog(qtbot: QtBot, window: MainWindow) -> SealDialog:
    window.seal_current()
    qtbot.waitUntil(
        lambda: window.workspace is not None
        and any(d.isVisible() for d in window.workspace.findChildren(SealDialog))
    )
    assert window.workspace is not None
    return next(d for d in window.workspace.findChildren(SealDialog) if d.isVisible())


def test_required_fields_are_marked_for_eyes_and_screen_readers(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    form = ws.editor.incident
    for field in (form.title, form.date, form.site, form.area, form.country, form.categories):
        assert field.accessibleName().endswith("(required)"), field.objectName()
    assert not form.perpetrators.accessibleName()  # optional, and not said to be required
    assert ws.editor.narrative.accessibleName() == "Narrative (required)"
    assert ws.editor.tabs.tabText(1) == "Narrative *"
    assert form.legend.text().startswith("* Needed before sealing")
    assert form.legend.isVisible()


def test_placeholders_never_look_like_values(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    for line in ws.editor.findChildren(QLineEdit):
        hint = line.placeholderText()
        if line.isVisible() and hint:
            assert not VALUE_LIKE.match(hint), (line.objectName(), hint)
            assert line.text() == ""  # a hint is never stored as text
    assert ws.editor.incident.country.placeholderText() == "2 letters"


def test_each_missing_line_goes_to_its_field(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    editor = ws.editor
    form = editor.incident
    expected = {
        "title": form.title,
        "incident.date": form.date,
        "incident.categories": form.categories,
        "place.country": form.country,
        "place.site": form.site,
        "narrative": editor.narrative,
    }
    dialog = _seal_dialog(qtbot, unlocked)
    paths = [
        dialog.missing.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.missing.count())
    ]
    assert paths == list(expected)
    for row, (path, widget) in enumerate(expected.items()):
        dialog = _seal_dialog(qtbot, unlocked)
        editor.tabs.setCurrentIndex(4)  # somewhere else: the jump must change the tab
        dialog.missing.setCurrentRow(row)
        item = dialog.missing.item(row)
        rect = dialog.missing.visualItemRect(item)
        qtbot.mouseClick(dialog.missing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda d=dialog: not d.isVisible())
        assert editor.tabs.currentWidget().isAncestorOf(widget) or (
            editor.tabs.currentWidget() is widget
        ), path
        assert editor.focusWidget() is widget, path

    # Enter on a line does the same as a click (keyboard only).
    dialog = _seal_dialog(qtbot, unlocked)
    dialog.missing.setCurrentRow(len(expected) - 1)
    qtbot.keyClick(dialog.missing, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert editor.focusWidget() is editor.narrative


def test_a_witness_line_goes_to_the_witnesses(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    widget = ws.editor.focus_field("witness 'W-1'")
    assert widget is ws.editor.witnesses.list
    assert ws.editor.tabs.currentWidget() is ws.editor.witnesses


def test_the_date_has_a_calendar(qtbot: QtBot, unlocked: MainWindow) -> None:
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    form = ws.editor.incident
    qtbot.mouseClick(form.calendar_button, Qt.MouseButton.LeftButton)
    picker = next(d for d in form.findChildren(DatePicker) if d.isVisible())
    picker.calendar.setSelectedDate(QDate(2026, 10, 3))
    picker.accept()
    qtbot.waitUntil(lambda: form.date.text() == "2026-10-03")
    qtbot.waitUntil(lambda: ws.editor.save_state == "saved", timeout=10_000)
    idle(qtbot, unlocked)
    assert ws.editor.report is not None and ws.editor.report.incident_date is not None
    assert ws.editor.report.incident_date.value == "2026-10-03"


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_hints_and_the_legend_fit_at_1366x728(
    qtbot: QtBot, unlocked: MainWindow, language: str
) -> None:
    """An empty draft at 1366×728: no hint is cut off, the legend shows without scrolling."""
    unlocked.resize(1366, 728)
    if language != "en":
        unlocked.switch_language(language)
        qtbot.waitUntil(lambda: unlocked.workspace is not None)
        idle(qtbot, unlocked)
    unlocked.new_report()
    qtbot.waitUntil(
        lambda: unlocked.workspace is not None and unlocked.workspace.editor.report is not None
    )
    idle(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.tabs.setCurrentIndex(0)
    qtbot.wait(0)  # let the layouts settle (no timing: one pass of the event loop)
    for line in ws.editor.incident.findChildren(QLineEdit):
        hint = line.placeholderText()
        if not (line.isVisible() and hint):
            continue
        room = line.contentsRect().width() - 8  # the line edit's own text margins
        assert line.fontMetrics().horizontalAdvance(hint) <= room, (language, hint)
    legend = ws.editor.incident.legend
    assert legend.visibleRegion().boundingRect() == legend.rect(), language
