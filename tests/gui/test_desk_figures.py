"""The desk's Charts and Map screens on a real HQ vault: they follow the cases filter, a click on
a bar or a cluster opens those cases in the list, and a chart saves as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kpfield.figures.drawing import BAR, Rect
from kpfield.gui.main_window import MainWindow
from tests.gui.test_desk import desk_of, desk_world, hq_window  # noqa: F401 - fixtures


def _bar_centre(view, index: int) -> QPoint:  # type: ignore[no-untyped-def]
    rects = [it for it in view.drawing().items if isinstance(it, Rect) and it.fill == BAR]
    r = rects[index]
    return QPoint(round(r.x + max(r.w, 2) / 2), round(r.y + r.h / 2))


def test_charts_follow_the_filter_and_a_bar_opens_its_cases(
    hq_window: MainWindow, qtbot: QtBot, tmp_path: Path  # noqa: F811
) -> None:
    desk = desk_of(hq_window)
    cases = desk.cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    desk.setCurrentWidget(desk.charts)
    charts = desk.charts.charts
    qtbot.waitUntil(lambda: len(charts.views) == 5)
    country = charts.specs["country"]
    assert {b.keys: b.value for b in country.bars} == {("AO",): 2, ("SL",): 1}
    assert "All cases" in desk.charts.about.text()
    view = charts.views["country"]
    qtbot.waitExposed(view)
    ao = next(i for i, b in enumerate(country.bars) if b.keys == ("AO",))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=_bar_centre(view, ao))
    qtbot.waitUntil(lambda: desk.currentWidget() is cases)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    assert cases.chosen_box.isVisible()
    assert "Incidents by country" in cases.chosen.text()
    assert len(cases.filter.cases) == 2
    cases.show_all.click()
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    assert not cases.chosen_box.isVisible()
    # The charts follow a filter set in the bar; redrawn when shown again.
    cases.bar.country.setCurrentIndex(cases.bar.country.findData("SL"))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 1)
    desk.setCurrentWidget(desk.charts)
    qtbot.waitUntil(lambda: {b.keys for b in charts.specs["country"].bars} == {("SL",)})
    assert "Following the cases filter" in desk.charts.about.text()
    png = desk.charts.save("country", png=True, path=tmp_path / "by-country")
    svg = desk.charts.save("country", png=False, path=tmp_path / "by-country")
    assert png is not None and QImage(str(png)).width() == 2400
    assert svg is not None and b"Incidents by country" in svg.read_bytes()


def test_a_map_cluster_opens_its_cases(hq_window: MainWindow, qtbot: QtBot) -> None:  # noqa: F811
    desk = desk_of(hq_window)
    qtbot.waitUntil(lambda: desk.cases.model.rowCount() == 3)
    desk.setCurrentWidget(desk.map)
    tab = desk.map
    qtbot.waitUntil(lambda: tab.map._points != ())
    qtbot.waitExposed(tab.map)
    assert "2 case(s) have no position" in tab.missing.text()  # the Angola reports
    [one] = tab.map.figure().clusters
    with qtbot.waitSignal(tab.casesChosen):
        qtbot.mouseClick(tab.map, Qt.MouseButton.LeftButton, pos=QPoint(round(one.x), round(one.y)))
    qtbot.waitUntil(lambda: desk.currentWidget() is desk.cases)
    qtbot.waitUntil(lambda: desk.cases.model.rowCount() == 1)
    assert desk.cases.filter.cases == one.report_ids


def _tab_to(qtbot: QtBot, start, target) -> None:  # type: ignore[no-untyped-def]
    """Press Tab from ``start`` until ``target`` has the focus (at most twelve presses)."""
    window = start.window()
    window.raise_()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(start.hasFocus)
    seen = []
    for _ in range(12):
        if target.hasFocus():
            return
        now = QApplication.focusWidget()
        seen.append(now.objectName() if now is not None else None)
        qtbot.keyClick(now or window, Qt.Key.Key_Tab)
    assert target.hasFocus(), seen


def test_a_chart_bar_opens_its_cases_from_the_keyboard(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    desk = desk_of(hq_window)
    cases = desk.cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    desk.setCurrentWidget(desk.charts)
    charts = desk.charts.charts
    qtbot.waitUntil(lambda: len(charts.views) == 5)
    view = charts.views["country"]
    qtbot.waitExposed(view)
    # Every chart is a Tab stop after the save button, the country chart among them.
    _tab_to(qtbot, desk.charts.save_button, view)
    bars = charts.specs["country"].bars
    first = f"{bars[0].label}: {bars[0].value} incident(s)"
    assert view.accessibleName() == f"Incidents by country: {first}"
    for _ in bars:
        if "Angola" in view.accessibleName():
            break
        qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.accessibleName() == "Incidents by country: Angola: 2 incident(s)"
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.currentWidget() is cases)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    assert "Incidents by country: Angola" in cases.chosen.text()
    assert len(cases.filter.cases) == 2


def test_a_map_cluster_opens_its_cases_from_the_keyboard(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    desk = desk_of(hq_window)
    qtbot.waitUntil(lambda: desk.cases.model.rowCount() == 3)
    desk.setCurrentWidget(desk.map)
    tab = desk.map
    qtbot.waitUntil(lambda: tab.map._points != ())
    qtbot.waitExposed(tab.map)
    _tab_to(qtbot, desk.tabBar(), tab.map)
    [one] = tab.map.figure().clusters
    assert tab.map.accessibleName() == "Incidents on the map: Sierra Leone: 1 incident(s)"
    qtbot.keyClick(tab.map, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: desk.currentWidget() is desk.cases)
    qtbot.waitUntil(lambda: desk.cases.model.rowCount() == 1)
    assert desk.cases.filter.cases == one.report_ids
