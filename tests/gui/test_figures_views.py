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
