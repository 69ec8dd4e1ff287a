"""ChartsView and MapView offscreen: they paint, export PNG/SVG, and a click names the cases."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from kpfield.figures.charts import Bar, ChartSpec
from kpfield.figures.geo import MapPoint, load_countries
from kpfield.gui.charts_view import ChartsView
from kpfield.gui.map_view import MapView

MAPS = Path(__file__).resolve().parents[2] / "resources" / "maps" / "countries.geojson"
SPECS = (
    ChartSpec("category", "Incidents by category", (Bar("Torture", 3), Bar("Eviction", 5))),
    ChartSpec("month", "Incidents by month", (Bar("2026-09", 2), Bar("2026-10", 6)),
              columns=True),
)  # fmt: skip


def _english(s: str) -> str:
    return s


def test_charts_view_paints_and_saves_png_and_svg(qtbot: QtBot, tmp_path: Path) -> None:
    view = ChartsView(_english)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show_charts(SPECS)
    view.show()
    qtbot.waitExposed(view)
    shot = view.grab().toImage()
    assert shot.width() >= 1000
    blue = QColor("#2f6690").rgb()
    assert any(shot.pixel(x, y) == blue for x in range(0, shot.width(), 4)
               for y in range(0, shot.height(), 4))  # fmt: skip
    cat = view.views["category"]
    cat.save_png(tmp_path / "c.png")
    cat.save_svg(tmp_path / "c.svg")
    assert QImage(str(tmp_path / "c.png")).width() == 2400
    assert b">Torture</text>" in (tmp_path / "c.svg").read_bytes()
    view.show_charts((ChartSpec("category", "Incidents by category", (Bar("Other", 1),)),))
    assert len(view.views) == 2  # the same views, new data


def test_map_view_click_on_a_cluster_emits_its_report_ids(qtbot: QtBot) -> None:
    view = MapView(_english)
    qtbot.addWidget(view)
    view.resize(900, 600)
    pts = [MapPoint("r1", 8_643_210, -10_971_230), MapPoint("r2", 8_650_000, -10_960_000),
           MapPoint("r3", -6_200_000, 20_900_000)]  # fmt: skip
    view.show_points(load_countries(MAPS), pts)
    view.show()
    qtbot.waitExposed(view)
    fig = view.figure()
    two = next(c for c in fig.clusters if c.count == 2)
    with qtbot.waitSignal(view.casesChosen) as signal:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(two.x), round(two.y)))
    assert signal.args == [["r1", "r2"]]
    with qtbot.assertNotEmitted(view.casesChosen):
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(5, 590))


def _focus(qtbot: QtBot, widget) -> None:  # type: ignore[no-untyped-def]
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)


def test_chart_bars_are_walked_and_opened_from_the_keyboard(qtbot: QtBot) -> None:
    view = ChartsView(_english)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    bars = (Bar("Torture", 3, ("t",)), Bar("Eviction", 5, ("e",)), Bar("Nothing", 0, ("n",)))
    view.show_charts((ChartSpec("category", "Incidents by category", bars), SPECS[1]))
    view.show()
    qtbot.waitExposed(view)
    cat, month = view.views["category"], view.views["month"]
    assert cat.accessibleName() == "Incidents by category"
    assert "Arrow keys" in cat.accessibleDescription()
    before = cat.grab().toImage()
    _focus(qtbot, cat)
    # Taking the focus puts the cursor on the first bar, says it, and draws the focus marks.
    assert cat.accessibleName() == "Incidents by category: Torture: 3 incident(s)"
    assert cat.accessibleDescription().startswith("1/3.")
    assert cat.grab().toImage() != before
    with qtbot.waitSignal(view.barChosen) as signal:
        qtbot.keyClick(cat, Qt.Key.Key_Return)
    assert signal.args == ["category", ["t"]]
    qtbot.keyClick(cat, Qt.Key.Key_Down)
    assert cat.accessibleName().endswith("Eviction: 5 incident(s)")
    with qtbot.waitSignal(view.barChosen) as signal:
        qtbot.keyClick(cat, Qt.Key.Key_Space)
    assert signal.args == ["category", ["e"]]
    qtbot.keyClick(cat, Qt.Key.Key_End)
    assert cat.accessibleName().endswith("Nothing: 0 incident(s)")
    with qtbot.assertNotEmitted(view.barChosen):
        qtbot.keyClick(cat, Qt.Key.Key_Return)  # a bar of nothing opens nothing
    qtbot.keyClick(cat, Qt.Key.Key_Right)  # past the last bar the cursor stays
    assert cat.accessibleDescription().startswith("3/3.")
    qtbot.keyClick(cat, Qt.Key.Key_Home)
    assert cat.accessibleDescription().startswith("1/3.")
    # Tab leaves the chart for the next one, whose columns walk left to right.
    qtbot.keyClick(cat, Qt.Key.Key_Tab)
    qtbot.waitUntil(month.hasFocus)
    assert month.accessibleName().endswith("2026-09: 2 incident(s)")
    qtbot.keyClick(month, Qt.Key.Key_Right)
    assert month.accessibleName().endswith("2026-10: 6 incident(s)")
    # New data puts the cursor back on the first bar.
    view.show_charts((ChartSpec("category", "By category", (Bar("Other", 1, ("o",)),)),))
    assert cat.accessibleName() == "By category"


def test_map_clusters_are_walked_and_opened_from_the_keyboard(qtbot: QtBot) -> None:
    view = MapView(_english)
    qtbot.addWidget(view)
    view.resize(900, 600)
    pts = [MapPoint("r1", 8_643_210, -10_971_230), MapPoint("r2", 8_650_000, -10_960_000),
           MapPoint("r3", -6_200_000, 20_900_000)]  # fmt: skip
    view.show_points(load_countries(MAPS), pts)
    view.show()
    qtbot.waitExposed(view)
    assert [c.report_ids for c in view.walk()] == [("r1", "r2"), ("r3",)]  # west to east
    before = view.grab().toImage()
    _focus(qtbot, view)
    assert view.accessibleName() == "Incidents on the map: Sierra Leone: 2 incident(s)"
    assert view.grab().toImage() != before  # the focus marks
    with qtbot.waitSignal(view.casesChosen) as signal:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert signal.args == [["r1", "r2"]]
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.accessibleName() == "Incidents on the map: Congo - Kinshasa: 1 incident(s)"
    with qtbot.waitSignal(view.casesChosen) as signal:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert signal.args == [["r3"]]
    view.show_points(load_countries(MAPS), [])
    with qtbot.assertNotEmitted(view.casesChosen):
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert view.accessibleName() == "Incidents on the map"
