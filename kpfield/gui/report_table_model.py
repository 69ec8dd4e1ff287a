"""The report list as a Qt table model (rows from ``list_reports`` or ``search``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from kpfield.domain.models import Report
from kpfield.domain.taxonomy import Taxonomy
from kpfield.gui.labels import STATUS, Gettext
from kpfield.services.reports import ReportRow

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2

COLUMNS = ("title", "status", "date", "country", "categories", "updated")


class ReportTableModel(QAbstractTableModel):
    def __init__(self, gettext: Gettext, taxonomy: Taxonomy) -> None:
        super().__init__()
        self._ = gettext
        self.taxonomy = taxonomy
        self.rows: list[ReportRow] = []
        self._headers = [
            gettext("Title"),
            gettext("Status"),
            gettext("Date"),  # "Incident date" in French pushed the titles out of sight
            gettext("Country"),
            gettext("What happened"),
            gettext("Last change"),
        ]

    def set_rows(self, rows: list[ReportRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def row_of(self, report_id: str) -> int:
        for i, r in enumerate(self.rows):
            if r.id == report_id:
                return i
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.ToolTipRole
            and COLUMNS[section] == "date"
        ):
            return self._("Incident date")
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = COLUMNS[index.column()]
        if role == ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == SORT_ROLE:
            if col == "status":
                return list(STATUS).index(row.status)
            if col in ("title", "categories", "country"):
                return self._display(row, col).casefold()
            return self._display(row, col) if col != "updated" else row.updated_at
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(
                x for x in (self._display(row, "title"), self._display(row, "categories")) if x
            )
        return None

    def _display(self, row: ReportRow, col: str) -> str:
        _ = self._
        if col == "title":
            return row.title or _("(untitled)")
        if col == "status":
            # In its own column, not after the title, where eliding hid it.
            status = _(STATUS[row.status])
            return status if row.version == 1 else f"{status} · v{row.version}"
        if col == "date":
            return row.incident_date or ""
        if col == "country":
            return row.country
        if col == "categories":
            return ", ".join(_(self.taxonomy.label(c)) for c in row.categories)
        return row.updated_at[:16].replace("T", " ")

    def update_report(self, row: ReportRow) -> bool:
        """Refresh one row in place after an autosave; False if it is not listed."""
        i = self.row_of(row.id)
        if i < 0:
            return False
        self.rows[i] = row
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
        return True


def row_of_report(report: Report) -> ReportRow:
    return ReportRow(
        id=report.id,
        status=report.status,
        title=report.title,
        incident_date=report.incident_date.value if report.incident_date else None,
        country=report.place.country,
        categories=report.categories,
        updated_at=report.updated_at,
        version=report.version,
    )
