"""The custody trail of one report: every logged event with its chained hash."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.models import CustodyEntry
from kpfield.gui.context import AppContext
from kpfield.gui.labels import CUSTODY_EVENT


class CustodyDialog(QDialog):
    def __init__(self, ctx: AppContext, report_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("custodyDialog")
        self.setWindowTitle(_("Custody trail"))
        self.resize(900, 360)
        v = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Each event is chained to the one before it by its hash, so any change or "
                "removal is detected at headquarters."
            )
        )
        intro.setWordWrap(True)
        v.addWidget(intro)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("custodyTable")
        self.table.setHorizontalHeaderLabels(
            [_("No."), _("Event"), _("When (UTC)"), _("Entry hash")]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        v.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        ctx.runner.call(lambda s: s.reports.custody_trail(report_id)).success(self._show)

    def _show(self, entries: list[CustodyEntry]) -> None:
        _ = self.ctx.gettext
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            event = _(CUSTODY_EVENT.get(e.event, e.event))
            version = e.details.get("version")
            if version:
                event = f"{event} · v{version}"
            values = [str(e.seq), event, e.at[:19].replace("T", " "), e.entry_hash]
            for col, value in enumerate(values):
                self.table.setItem(row, col, QTableWidgetItem(value))
