"""The desk's Charts and Map screens: they follow the cases filter, are redrawn off the GUI
thread (counts and points on the store lane, labels and shapes on the compute lane), and a click
on a bar or a cluster asks the desk to open those cases (:attr:`casesChosen`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.desk import CaseFilter, CountBy
from kpfield.figures.geo import Country, MapPoint
from kpfield.gui.charts_view import ChartsView
from kpfield.gui.context import AppContext
from kpfield.gui.map_view import MapView


class _FollowsFilter(QWidget):
    """Redrawn when the filter or the cases change, but only while shown (else on showing)."""

    casesChosen = Signal(list, str)  # noqa: N815 - Qt signal naming
    """(report ids, what was clicked in words)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.filter = CaseFilter()
        self.words = ""
        self._stale = True
        self._generation = 0
        self.about = QLabel()
        self.about.setObjectName("figuresFilter")
        self.about.setWordWrap(True)

    def set_filter(self, f: CaseFilter, words: str) -> None:
        self.filter, self.words = f, words
        self.mark_stale()

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self._generation += 1
        gen, f = self._generation, self.filter
        self.about.setText(self.words)
        self._start(f, lambda value: self._done(gen, value))

    def _done(self, gen: int, value: object) -> None:
        if gen == self._generation:  # an older redraw finishing late is dropped
            self._show(value)

    def _start(self, f: CaseFilter, deliver) -> None:  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _show(self, value: object) -> None:
        raise NotImplementedError


class ChartsTab(_FollowsFilter):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("chartsTab")
        _ = ctx.gettext
        self.charts = ChartsView(_)
        self.charts.barChosen.connect(self._bar_chosen)
        self.save_button = QPushButton(_("Save a chart…"))
        self.save_button.setObjectName("saveChart")
        self.save_button.clicked.connect(self._save_menu)
        top = QHBoxLayout()
        top.addWidget(self.about, 1)
        top.addWidget(self.save_button)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.hint = QLabel(_("Click a bar to open its cases in the list (from the keyboard: Tab"
                             " to a chart, the arrow keys to a bar, then Enter)."))  # fmt: skip
        self.hint.setObjectName("chartsHint")
        layout.addWidget(self.hint)

    def _start(self, f: CaseFilter, deliver) -> None:  # type: ignore[no-untyped-def]
        gettext, language = self.ctx.gettext, self.ctx.i18n.language

        def work(job):  # type: ignore[no-untyped-def]
            figures, counts = job.on_store(
                lambda s: (s.hq().figures, s.hq().figures.counts(f))
            )  # fmt: skip
            return figures.specs(counts, gettext=gettext, language=language)

        self.ctx.runner.compute(work).success(deliver).failure(lambda _e: None)

    def _show(self, value: object) -> None:
        self.charts.show_charts(value)  # type: ignore[arg-type]

    def _bar_chosen(self, key: str, keys: list[str]) -> None:
        f, by = self.filter, CountBy(key)
        spec = self.charts.specs[key]
        label = next((b.label for b in spec.bars if tuple(keys) == b.keys), spec.other_label)
        words = f"{spec.title}: {label}"

        def work(s):  # type: ignore[no-untyped-def]
            return s.hq().figures.bar_cases(by, keys, f)

        self.ctx.runner.call(work).success(lambda ids: self.casesChosen.emit(ids, words)).failure(
            lambda _e: None
        )

    def _save_menu(self) -> None:
        _ = self.ctx.gettext
        menu = QMenu(self)
        for key in self.charts.views:
            sub = menu.addMenu(self.charts.specs[key].title)
            png, svg = sub.addAction(_("PNG image…")), sub.addAction(_("SVG drawing…"))
            png.triggered.connect(self._saver(key, png=True))
            svg.triggered.connect(self._saver(key, png=False))
        self.menu = menu
        menu.popup(self.save_button.mapToGlobal(self.save_button.rect().bottomLeft()))

    def _saver(self, key: str, *, png: bool) -> Callable[[], None]:
        def save() -> None:
            self.save(key, png=png)

        return save

    def save(self, key: str, *, png: bool, path: Path | None = None) -> Path | None:
        """Save one chart (asks where unless ``path`` is given), drawn at a fixed size."""
        _ = self.ctx.gettext
        if path is None:
            pattern = _("PNG image (*.png)") if png else _("SVG drawing (*.svg)")
            name, _f = QFileDialog.getSaveFileName(self, _("Save the chart"), key, pattern)
            if not name:
                return None
            path = Path(name)
        target = path.with_suffix(".png" if png else ".svg")
        view = self.charts.views[key]
        (view.save_png if png else view.save_svg)(target)
        return target


class MapTab(_FollowsFilter):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setObjectName("mapTab")
        _ = ctx.gettext
        self.map = MapView(_)
        self.map.casesChosen.connect(self._cluster_chosen)
        self.missing = QLabel()
        self.missing.setObjectName("mapMissing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.about)
        layout.addWidget(self.map, 1)
        layout.addWidget(self.missing)

    def _start(self, f: CaseFilter, deliver) -> None:  # type: ignore[no-untyped-def]
        def work(job):  # type: ignore[no-untyped-def]
            figures, points, total = job.on_store(
                lambda s: (s.hq().figures, s.hq().figures.map_points(f), len(s.hq().cases.ids(f)))
            )  # fmt: skip
            return figures.countries, points, total  # shapes are read here, off the GUI thread

        self.ctx.runner.compute(work).success(deliver).failure(lambda _e: None)

    def _show(self, value: object) -> None:
        countries, points, total = cast(tuple[Sequence[Country], Sequence[MapPoint], int], value)
        _ = self.ctx.gettext
        self.map.show_points(countries, points, self.ctx.i18n.language)
        without = total - len(points)
        self.missing.setText(
            _("Click a point or a cluster (or Tab to the map, arrow keys, Enter) to open its "
              "cases. {n} case(s) have no position and are not on the map.").format(n=without)
            if without
            else _("Click a point or a cluster (or Tab to the map, arrow keys, Enter) to open its"
                   " cases.")
        )  # fmt: skip

    def _cluster_chosen(self, ids: list[str]) -> None:
        _ = self.ctx.gettext
        self.casesChosen.emit(ids, _("a point or cluster on the map"))
