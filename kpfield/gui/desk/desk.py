"""The HQ desk: what an HQ vault opens instead of the monitor's editor."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

from kpfield.domain.jobs import Changes
from kpfield.gui.context import AppContext
from kpfield.gui.desk.audit_view import AuditView
from kpfield.gui.desk.cases_view import CasesView
from kpfield.gui.desk.devices_view import DevicesView
from kpfield.gui.desk.inbox_view import InboxView


class Desk(QTabWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hqDesk")
        self.ctx = ctx
        _ = ctx.gettext
        self.cases = CasesView(ctx)
        self.inbox = InboxView(ctx)
        self.devices = DevicesView(ctx)
        self.audit = AuditView(ctx)
        self.addTab(self.cases, _("Cases"))
        self.addTab(self.inbox, _("Inbox"))
        self.addTab(self.devices, _("Devices"))
        self.addTab(self.audit, _("Audit log"))
        ctx.runner.changed.connect(self.changed)

    def start(self) -> None:
        self.cases.reload()
        self.inbox.reload()
        self.devices.reload()
        self.audit.reload()

    def changed(self, changes: Changes) -> None:
        self.cases.changed(changes)
        if changes.inbox or changes.transfers:
            self.inbox.reload()
        if changes.devices or changes.inbox:
            self.devices.reload()
        if changes.cases or changes.devices:
            self.audit.reload()

    def clear(self) -> None:
        for view in (self.cases, self.inbox, self.devices, self.audit):
            view.clear()
