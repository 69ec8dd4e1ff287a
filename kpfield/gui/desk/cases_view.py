"""Cases: the filter bar, the paged table of every imported report, and the open case."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.desk import CaseFilter, CaseSort
from kpfield.domain.jobs import Changes
from kpfield.gui.context import AppContext
from kpfield.gui.desk.case_model import COLUMNS, ID_ROLE, CaseTableModel
from kpfield.gui.desk.export_dialog import ExportDialog
from kpfield.gui.desk.filter_bar import FilterBar
from kpfield.gui.desk.report_view import ReportView
from kpfield.gui.help_page import set_help_page
from kpfield.services.desk import CaseView

_SORT_OF_COLUMN = {
    "title": CaseSort.TITLE,
    "date": CaseSort.INCIDENT_DATE,
    "place": CaseSort.COUNTRY,
    "device": CaseSort.DEVICE,
    "verification": CaseSort.INCIDENT_DATE,
    "review": CaseSort.REVIEW,
}
ROW_HEIGHT = 24
WIDTHS = {"place": 120, "device": 120, "verification": 110, "review": 110}


class CasesView(QWidget):
    filterChanged = Signal(object, str)  # noqa: N815 - Qt signal naming
    """(CaseFilter, the filter in words): the charts, the map and exports follow it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("casesView")
        set_help_page(self, "desk")
        self.ctx = ctx
        _ = ctx.gettext
        self.filter = CaseFilter()
        self.chosen_words = ""
        self.sort = CaseSort.INCIDENT_DATE
        self.descending = True
        self.bar = FilterBar(ctx)
        self.bar.changed.connect(self.set_filter)
        self.model = CaseTableModel(ctx)
        self.table = QTableView()
        self.table.setObjectName("casesTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # fixed row height, as Anki
        vh.setDefaultSectionSize(ROW_HEIGHT)
        vh.hide()
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        date = COLUMNS.index("date")  # dates are short: header and all, in full
        hh.setSectionResizeMode(date, QHeaderView.ResizeMode.ResizeToContents)
        self._widths_fitted = False
        hh.setSortIndicatorShown(True)
        hh.setSectionsClickable(True)
        hh.sortIndicatorChanged.connect(self._sort_changed)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.count = QLabel()
        self.count.setObjectName("casesCount")
        self.export_button = QPushButton(_("Export these cases…"))
        self.export_button.setObjectName("casesExport")
        self.export_button.clicked.connect(self.open_export)
        count_row = QHBoxLayout()
        count_row.setContentsMargins(0, 0, 0, 0)
        count_row.addWidget(self.count, 1)
        count_row.addWidget(self.export_button)
        self.chosen = QLabel()
        self.chosen.setObjectName("casesChosen")
        self.chosen.setWordWrap(True)
        self.show_all = QPushButton(_("Show every case again"))
        self.show_all.setObjectName("casesShowAll")
        self.show_all.clicked.connect(self.clear_chosen)
        chosen_row = QHBoxLayout()
        chosen_row.setContentsMargins(0, 0, 0, 0)
        chosen_row.addWidget(self.chosen, 1)
        chosen_row.addWidget(self.show_all)
        self.chosen_box = QWidget()
        self.chosen_box.setLayout(chosen_row)
        self.chosen_box.hide()
        self.snippet = QLabel()
        self.snippet.setObjectName("caseSnippet")
        self.snippet.setTextFormat(Qt.TextFormat.RichText)
        self.snippet.setWordWrap(True)
        self.report = ReportView(ctx)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.bar)
        lv.addWidget(self.chosen_box)
        lv.addLayout(count_row)
        lv.addWidget(self.table, 1)
        lv.addWidget(self.snippet)
        split = self.split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.report)
        split.setSizes([760, 580])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.open_id: str | None = None

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if not self._widths_fitted:  # once the fonts are final; then the analyst's widths
            self._widths_fitted = True
            self._fit_columns()

    def _fit_columns(self) -> None:
        """The title keeps the most room; the other columns are narrow but never narrower than
        their header ("Verificação" with the sort arrow was cut in Portuguese)."""
        hh = self.table.horizontalHeader()
        for name, width in WIDTHS.items():
            i = COLUMNS.index(name)
            hh.resizeSection(i, max(width, hh.sectionSizeHint(i)))

    # ---------------------------------------------------------------- list
    def reload(self) -> None:
        f, sort, desc = self.filter, self.sort, self.descending
        if f.text and sort is CaseSort.INCIDENT_DATE:
            sort = CaseSort.RELEVANCE

        def work(s):  # type: ignore[no-untyped-def]
            cases = s.hq().cases
            devices = [(d.device_id, d.name) for d in s.hq().inbox.devices()]
            return cases.ids(f, sort, descending=desc), cases.total(), (
                cases.choices("country"), cases.choices("site"), devices
            )  # fmt: skip

        def show(value) -> None:  # type: ignore[no-untyped-def]
            ids, total, choices = value
            self.bar.set_choices(*choices)
            self.model.set_ids(ids, highlight=f.text)
            _ = self.ctx.gettext
            self.count.setText(_("{shown} of {total} cases").format(shown=len(ids), total=total))
            if self.open_id in ids:
                row = ids.index(self.open_id)
                self.table.selectRow(row)

        self.ctx.runner.call(work).success(show).failure(lambda _e: None)

    def set_filter(self, f: CaseFilter) -> None:
        """From the filter bar: cases chosen on a chart or the map stay chosen until cleared."""
        self._apply(f.with_(cases=self.filter.cases))

    def show_chosen(self, ids: list[str], words: str) -> None:
        """Narrow the list to these cases (under a chart bar or a map cluster)."""
        self.chosen_words = words
        self._apply(self.filter.with_(cases=tuple(ids)))

    def clear_chosen(self) -> None:
        self.chosen_words = ""
        self._apply(self.filter.with_(cases=()))

    def describe(self) -> str:
        """The current filter in words, for the charts, the map and the export dialog."""
        _ = self.ctx.gettext
        parts = [p for p in (self.bar.describe(), self.chosen_words if self.filter.cases else "")
                 if p]  # fmt: skip
        if not parts:
            return _("All cases (no filter).")
        return _("Following the cases filter: {filter}").format(filter=" · ".join(parts))

    def open_export(self) -> ExportDialog:
        """The export dialog for the cases the list shows now."""
        dialog = ExportDialog(self.ctx, self.filter, self.describe(), self)
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _apply(self, f: CaseFilter) -> None:
        self.filter = f
        _ = self.ctx.gettext
        self.chosen_box.setVisible(bool(f.cases))
        if f.cases:
            self.chosen.setText(
                _("Only the {n} case(s) chosen: {what}").format(n=len(f.cases),
                                                                what=self.chosen_words)
            )  # fmt: skip
        self.reload()
        self.filterChanged.emit(f, self.describe())

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        self.sort = _SORT_OF_COLUMN[COLUMNS[column]]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # ---------------------------------------------------------------- one case
    def _selected(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        rid = self.model.data(rows[0], ID_ROLE)
        row = self.model.row_at(rows[0].row())
        self.snippet.setText(row.snippet_html() if row is not None else "")
        self.open_case(str(rid))

    def open_case(self, report_id: str) -> None:
        self.open_id = report_id
        self.ctx.runner.call(lambda s: s.hq().cases.report(report_id)).success(self._show).failure(
            lambda _e: None
        )

    def _show(self, v: CaseView) -> None:
        if v.report_id == self.open_id:
            self.report.show_case(v)

    def changed(self, changes: Changes) -> None:
        if changes.cases:
            self.model.refresh_rows()
            if changes.report_list or not changes.reports:
                self.reload()
            if self.open_id in changes.reports:
                self.open_case(self.open_id)

    def clear(self) -> None:
        self.model.clear()
        self.report.clear()
        self.snippet.clear()
        self.open_id = None
