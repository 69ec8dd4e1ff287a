"""The HQ desk: what an HQ vault opens instead of the monitor's editor."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from kpfield.domain.desk import CaseFilter
from kpfield.domain.jobs import Changes
from kpfield.gui.context import AppContext
from kpfield.gui.desk.audit_view import AuditView
from kpfield.gui.desk.cases_view import CasesView
from kpfield.gui.desk.devices_view import DevicesView
from kpfield.gui.desk.figures_tabs import ChartsTab, MapTab
from kpfield.gui.desk.inbox_view import InboxView
from kpfield.gui.help_page import set_help_page


class Desk(QTabWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hqDesk")
        set_help_page(self, "desk")
        self.ctx = ctx
        _ = ctx.gettext
        self.cases = CasesView(ctx)
        self.charts = ChartsTab(ctx)
        self.map = MapTab(ctx)
        self.inbox = InboxView(ctx)
        self.devices = DevicesView(ctx)
        self.audit = AuditView(ctx)
        self.addTab(self.cases, _("Cases"))
        self.addTab(self.charts, _("Charts"))
        self.addTab(self.map, _("Map"))
        self.addTab(self.inbox, _("Inbox"))
        self.addTab(self.devices, _("Devices"))
        self.addTab(self.audit, _("Audit log"))
        self.cases.filterChanged.connect(self._filter_changed)
        self.charts.casesChosen.connect(self.open_chosen)
        self.map.casesChosen.connect(self.open_chosen)
        ctx.runner.changed.connect(self.changed)

    def start(self) -> None:
        self.cases.reload()
        words = self.cases.describe()
        self.charts.set_filter(self.cases.filter, words)
        self.map.set_filter(self.cases.filter, words)
        self.inbox.reload()
        self.devices.reload()
        self.audit.reload()

    def _filter_changed(self, f: CaseFilter, words: str) -> None:
        self.charts.set_filter(f, words)
        self.map.set_filter(f, words)

    def open_chosen(self, ids: list[str], words: str) -> None:
        """The cases under a chart bar or a map cluster, in the cases list."""
        self.cases.show_chosen(ids, words)
        self.setCurrentWidget(self.cases)

    def changed(self, changes: Changes) -> None:
        self.cases.changed(changes)
        if changes.cases:
            self.charts.mark_stale()
            self.map.mark_stale()
        if changes.inbox or changes.transfers:
            self.inbox.reload()
        if changes.devices or changes.inbox:
            self.devices.reload()
        if changes.cases or changes.devices or changes.transfers:
            self.audit.reload()

    def clear(self) -> None:
        for view in (self.cases, self.inbox, self.devices, self.audit):
            view.clear()
