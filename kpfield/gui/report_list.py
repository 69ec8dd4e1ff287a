"""Left pane: search box (full-text), status and category filters, the sortable report table."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.domain.jobs import Changes
from kpfield.domain.models import ReportStatus
from kpfield.gui.context import AppContext
from kpfield.gui.labels import STATUS
from kpfield.gui.report_table_model import ID_ROLE, SORT_ROLE, ReportTableModel
from kpfield.services.reports import ReportRow

SEARCH_DELAY_MS = 300
SEARCH_LIMIT = 500
"""Most results a search lists (as many as the ranked search showed before paging)."""


class ReportList(QWidget):
    report_activated = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("reportList")
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText(_("Search words in reports…"))
        self.search.setClearButtonEnabled(True)
        v.addWidget(self.search)
        row = QHBoxLayout()
        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        self.status.addItem(_("All statuses"), None)
        for st, label in STATUS.items():
            self.status.addItem(_(label), st.value)
        self.category = QComboBox()
        self.category.setObjectName("categoryFilter")
        self.category.addItem(_("All categories"), None)
        for term in ctx.terms().categories:
            self.category.addItem(_(term.label), term.id)
        self.category.setMinimumContentsLength(12)
        self.category.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        row.addWidget(self.status, 1)
        row.addWidget(self.category, 2)
        v.addLayout(row)

        self.model = ReportTableModel(_, ctx.terms())
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("reportTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col, width in ((3, 60), (4, 150), (5, 125)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)
        for col in (3, 4, 5):  # country, categories, last change: in the tooltip and filters
            self.table.hideColumn(col)
        v.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("listCount")
        v.addWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.reload)
        self.status.currentIndexChanged.connect(lambda _i: self.reload())
        self.category.currentIndexChanged.connect(lambda _i: self.reload())
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._want: str | None = None
        self._generation = 0
        self._cleared = False
        ctx.runner.changed.connect(self._changes)

    # ---------------------------------------------------------------- loading
    def reload(self, select: str | None = None) -> None:
        """Fetch rows on the store thread; ``select`` a report id once they arrive."""
        self._search_timer.stop()
        self._cleared = False
        if select is not None:
            self._want = select
        query = self.search.text().strip()
        status_value = self.status.currentData()
        status = ReportStatus(status_value) if status_value else None
        category = self.category.currentData()
        self._generation += 1
        generation = self._generation

        def keep(rows: list[ReportRow]) -> list[ReportRow]:
            return [
                r
                for r in rows
                if (status is None or r.status is status)
                and (not category or category in r.categories)
            ]

        def fetch(s: Session) -> tuple[list[ReportRow], int | None]:
            if not query:
                return s.reports.list_reports(status=status, category=category), None
            page = s.reports.search_page(query)
            return keep(page.rows), page.next

        def fetch_rest(s: Session, cursor: int | None) -> list[ReportRow]:
            # The first page is on screen; the rest (up to SEARCH_LIMIT) follows in one call.
            rows: list[ReportRow] = []
            while cursor is not None and len(rows) < SEARCH_LIMIT:
                page = s.reports.search_page(query, after=cursor)
                rows.extend(keep(page.rows))
                cursor = page.next
            return rows

        def show(result: tuple[list[ReportRow], int | None]) -> None:
            first, cursor = result
            if generation != self._generation:
                return
            self._show(first)
            if cursor is not None:
                self.ctx.runner.call(lambda s: fetch_rest(s, cursor)).success(
                    lambda rest: show_rest(first, rest)
                )

        def show_rest(first: list[ReportRow], rest: list[ReportRow]) -> None:
            if generation == self._generation and rest:
                seen = {r.id for r in first}
                self._show(first + [r for r in rest if r.id not in seen])

        self.ctx.runner.call(fetch).success(show)

    def expect(self, report_id: str) -> None:
        """Select ``report_id`` when the rows next arrive (a broadcast reload brings it)."""
        self._want = report_id

    def _changes(self, changes: Changes) -> None:
        """Broadcast from the runner: reload when rows or a listed status may have changed."""
        if self._cleared:
            return  # locked: nothing is shown, and the vault is closing
        if changes.report_list or any(self.model.row_of(r) >= 0 for r in changes.reports):
            self.reload()

    def _show(self, rows: list[ReportRow]) -> None:
        _ = self.ctx.gettext
        current = self.current_id()
        blocker = self.table.selectionModel().blockSignals(True)
        self.model.set_rows(rows)
        self.table.selectionModel().blockSignals(blocker)
        self.count_label.setText(
            self.ctx.i18n.ngettext("{n} report", "{n} reports", len(rows)).format(n=len(rows))
        )
        want = self._want or current
        self._want = None
        if want:
            self.select(want, emit=False)

    def clear(self) -> None:
        self._cleared = True
        self._generation += 1  # rows still on their way are not shown
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.model.clear()
        self.count_label.setText("")

    # ---------------------------------------------------------------- selection
    def current_id(self) -> str | None:
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        value = idx.data(ID_ROLE)
        return str(value) if value else None

    def select(self, report_id: str, emit: bool = True) -> None:
        row = self.model.row_of(report_id)
        if row < 0:
            return
        idx = self.proxy.mapFromSource(self.model.index(row, 0))
        model = self.table.selectionModel()
        blocked = model.blockSignals(not emit)
        self.table.setCurrentIndex(idx)
        self.table.selectRow(idx.row())
        model.blockSignals(blocked)
        self.table.scrollTo(idx)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.report_activated.emit(str(current.data(ID_ROLE)))
