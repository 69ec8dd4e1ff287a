"""Inbox: every bundle intake saw, its result in plain words, and each check in detail."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.desk import BUNDLE_CHECK_LABELS, CHECK_RESULT_LABELS
from kpfield.errors import N_
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import Gettext
from kpfield.services.inbox import InboxEntry

_LABELS = (
    N_("File"),
    N_("From"),
    N_("Seen"),
)
"""Labels used inside f-strings (marked here so that extraction finds them)."""


def result_in_words(e: InboxEntry, _: Gettext) -> str:
    if e.status == "imported":
        return _("Imported: {n} new report(s)").format(n=e.new_reports)
    if e.status == "already imported":
        return _("Already imported (a second copy; nothing changed)")
    return _("Rejected: {reason}").format(reason=e.reason(_))


def device_in_words(e: InboxEntry, _: Gettext) -> str:
    if e.device_name:
        return f"{e.device_name} ({e.fingerprint})"
    return _("unknown device (the bundle could not be opened far enough to tell)")


def detail_html(e: InboxEntry, _: Gettext) -> str:
    t = {k: _(k) for k in _LABELS}
    marks = {"passed": "✔", "failed": "✘", "not reached": "·"}
    rows = "".join(
        f"<tr><td>{marks.get(result, '')}</td><td>{escape(_(BUNDLE_CHECK_LABELS[c]))}</td>"
        f"<td>{escape(_(CHECK_RESULT_LABELS[result]))}</td></tr>"
        for c, result in e.checks
    )
    seq = "" if e.sequence is None else _("bundle {n}").format(n=e.sequence)
    return (
        f"<h3>{escape(result_in_words(e, _))}</h3>"
        f"<p><b>{escape(t['From'])}:</b> {escape(device_in_words(e, _))} {escape(seq)}<br>"
        f"<b>{escape(t['File'])}:</b> {escape(e.source)}<br>"
        f"<b>{escape(t['Seen'])}:</b> {escape(e.seen_at[:19].replace('T', ' '))}<br>"
        f"<b>SHA-256:</b> {escape(e.manifest_sha256 or '—')}</p>"
        f"<table cellpadding='4'>{rows}</table>"
    )


class InboxView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inboxView")
        set_help_page(self, "intake")
        self.ctx = ctx
        _ = ctx.gettext
        self.entries: list[InboxEntry] = []
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("inboxTable")
        self.table.setHorizontalHeaderLabels([_("Seen"), _("From"), _("Result")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selected)
        self.detail = QTextBrowser()
        self.detail.setObjectName("inboxDetail")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setSizes([400, 260])
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def reload(self) -> None:
        self.ctx.runner.call(lambda s: s.hq().inbox.entries()).success(self._show).failure(
            lambda _e: None
        )

    def _show(self, entries: list[InboxEntry]) -> None:
        _ = self.ctx.gettext
        self.entries = entries
        self.table.setRowCount(len(entries))
        for i, e in enumerate(entries):
            for col, text in enumerate(
                (e.seen_at[:16].replace("T", " "), device_in_words(e, _), result_in_words(e, _))
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if e.status == "rejected":
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, col, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)  # the device's name and whole fingerprint
        self.table.setColumnWidth(1, min(self.table.columnWidth(1), 620))
        if entries and not self.table.selectedItems():
            self.table.selectRow(0)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.entries):
            self.detail.setHtml(detail_html(self.entries[rows[0].row()], self.ctx.gettext))

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.detail.clear()
        self.entries = []
