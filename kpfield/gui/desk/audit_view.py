"""The HQ audit log: every analyst action, and whether its hash chain is intact."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.context import AppContext
from kpfield.gui.desk.audit_words import action_in_words, details_in_words
from kpfield.gui.help_page import set_help_page
from kpfield.services.desk import AuditEntry


class AuditView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditView")
        set_help_page(self, "desk")
        self.ctx = ctx
        _ = ctx.gettext
        self.state = QLabel()
        self.state.setObjectName("auditState")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("auditTable")
        self.table.setHorizontalHeaderLabels(
            [_("#"), _("When"), _("Action"), _("Report"), _("Details")]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.table)

    def reload(self) -> None:
        def work(s):  # type: ignore[no-untyped-def]
            cases = s.hq().cases
            return cases.audit_log(), cases.verify_audit()

        self.ctx.runner.call(work).success(self._show).failure(lambda _e: None)

    def _show(self, value: tuple[list[AuditEntry], list[object]]) -> None:
        _ = self.ctx.gettext
        entries, problems = value
        self.state.setText(
            _("The audit chain is intact ({n} entries).").format(n=len(entries))
            if not problems
            else _("The audit chain is broken: {n} problem(s). Run `kpfield verify`.").format(
                n=len(problems)
            )
        )
        self.table.setRowCount(len(entries))
        for i, e in enumerate(reversed(entries)):
            values = (
                str(e.seq), e.at[:19].replace("T", " "), action_in_words(e.action, _),
                (e.report_id or "")[:8], details_in_words(e.action, e.details, _),
            )  # fmt: skip
            for col, text in enumerate(values):
                self.table.setItem(i, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def clear(self) -> None:
        self.table.setRowCount(0)
