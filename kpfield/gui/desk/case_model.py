"""The cases list as an Anki-style table model: SQL gives ids, rows are fetched a page at a time.

``set_ids`` replaces the id list (one query on the store lane); ``data`` for a row not in the
cache shows a placeholder and asks the store lane for that row's page, so scrolling through
50,000 cases never loads them all and never blocks the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from kpfield.domain.desk import REVIEW_LABELS, VERIFICATION_LABELS, ReviewState, VerificationState
from kpfield.gui.context import AppContext
from kpfield.services.desk import CaseRow

Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 2
SNIPPET_ROLE = Qt.ItemDataRole.UserRole + 3
PAGE = 100
CACHE_PAGES = 20

COLUMNS = ("title", "date", "place", "device", "verification", "review")


class CaseTableModel(QAbstractTableModel):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        _ = ctx.gettext
        self._headers = [
            _("Title"), _("Date"), _("Place"), _("Device"), _("Verification"),
            _("Review"),
        ]  # fmt: skip
        self.ids: list[str] = []
        self.highlight = ""
        self._cache: dict[str, CaseRow] = {}
        self._pages_wanted: set[int] = set()
        self._generation = 0

    def set_ids(self, ids: list[str], highlight: str = "") -> None:
        self.beginResetModel()
        self.ids = ids
        self.highlight = highlight
        self._cache.clear()
        self._pages_wanted.clear()
        self._generation += 1
        self.endResetModel()

    def clear(self) -> None:
        self.set_ids([])

    def refresh_rows(self) -> None:
        """Forget cached rows (a review changed) and fetch the visible ones again."""
        self._cache.clear()
        self._pages_wanted.clear()
        self._generation += 1
        if self.ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.ids) - 1, len(COLUMNS) - 1))

    def row_at(self, row: int) -> CaseRow | None:
        if not 0 <= row < len(self.ids):
            return None
        return self._cache.get(self.ids[row])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.ids):
            return None
        rid = self.ids[index.row()]
        if role == ID_ROLE:
            return rid
        row = self._cache.get(rid)
        if row is None:
            if role == Qt.ItemDataRole.DisplayRole:
                self._fetch(index.row() // PAGE)
                return "…" if index.column() == 0 else ""
            return None
        if role == SNIPPET_ROLE:
            return row.snippet_html()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, COLUMNS[index.column()])
        if role == Qt.ItemDataRole.ToolTipRole:
            # Narrow columns elide; the tooltip says it all (with the search snippet).
            text = self._text(row, COLUMNS[index.column()])
            if index.column() == 0 and row.snippet:
                return f"{text}\n{row.snippet_text()}"
            return text
        return None

    def _text(self, row: CaseRow, column: str) -> str:
        _ = self.ctx.gettext
        if column == "title":
            return row.title or _("(untitled)")
        if column == "date":
            return row.incident_date
        if column == "place":
            return " · ".join(x for x in (row.country, row.site) if x)
        if column == "device":
            return row.device_name or row.device_id
        if column == "verification":
            try:
                return _(VERIFICATION_LABELS[VerificationState(row.verification)])
            except ValueError:
                return row.verification
        try:
            return _(REVIEW_LABELS[ReviewState(row.review_state)])
        except ValueError:
            return row.review_state

    def _fetch(self, page: int) -> None:
        if page in self._pages_wanted:
            return
        self._pages_wanted.add(page)
        ids = self.ids[page * PAGE : (page + 1) * PAGE]
        generation, text = self._generation, self.highlight

        def got(rows: list[CaseRow]) -> None:
            if generation != self._generation:
                return  # the list changed meanwhile
            if len(self._cache) > PAGE * CACHE_PAGES:
                self._cache.clear()
                self._pages_wanted = {page}
            for r in rows:
                self._cache[r.report_id] = r
            first, last = page * PAGE, min(len(self.ids), (page + 1) * PAGE) - 1
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

        op = self.ctx.runner.call(lambda s: s.hq().cases.rows(ids, highlight=text))
        op.success(got).failure(lambda _e: None)
