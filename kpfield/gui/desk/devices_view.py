"""Devices: name, fingerprint, enrolled and last seen, bundles received, gaps, revoked; approve
an enrollment request after comparing fingerprints, revoke a device."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.jobs import Changes
from kpfield.domain.sequences import format_ranges
from kpfield.gui.context import AppContext
from kpfield.gui.desk.approve_dialog import ApproveDialog
from kpfield.gui.help_page import set_help_page
from kpfield.gui.tasks import user_message
from kpfield.services.inbox import DeviceSummary

DEVICE_CHANGES = Changes(devices=True, inbox=True)


class DevicesView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("devicesView")
        set_help_page(self, "intake")
        self.ctx = ctx
        _ = ctx.gettext
        self.devices: list[DeviceSummary] = []
        self.table = QTableWidget(0, 7)
        self.table.setObjectName("devicesTable")
        self.table.setHorizontalHeaderLabels(
            [_("Name"), _("Fingerprint"), _("Enrolled"), _("Last seen"), _("Bundles"),
             _("Missing bundles"), _("State")]
        )  # fmt: skip
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.approve_button = QPushButton(_("Approve an enrollment request…"))
        self.approve_button.setObjectName("approveRequest")
        self.approve_button.clicked.connect(self.choose_request)
        self.revoke_button = QPushButton(_("Revoke the selected device…"))
        self.revoke_button.setObjectName("revokeDevice")
        self.revoke_button.clicked.connect(self.ask_revoke)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)

    def reload(self) -> None:
        self.ctx.runner.call(lambda s: s.hq().inbox.devices()).success(self._show).failure(
            lambda _e: None
        )

    def _show(self, devices: list[DeviceSummary]) -> None:
        _ = self.ctx.gettext
        self.devices = devices
        self.table.setRowCount(len(devices))
        for i, d in enumerate(devices):
            state = (
                _("Revoked {when}").format(when=d.revoked_at[:10]) if d.revoked_at else _("Active")
            )
            values = (
                d.name, d.fingerprint, d.enrolled_at[:10],
                (d.last_seen or "")[:16].replace("T", " ") or _("never"),
                str(d.bundles) + (_(" ({n} rejected)").format(n=d.rejected) if d.rejected else ""),
                format_ranges(list(d.gaps)) if d.gaps else _("none"),
                state,
            )  # fmt: skip
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if (col == 5 and d.gaps) or (col == 6 and d.revoked_at):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()

    # ---------------------------------------------------------------- approve
    def choose_request(self) -> None:
        _ = self.ctx.gettext
        path, _f = QFileDialog.getOpenFileName(self, _("Open an enrollment request"))
        if path:
            self.review_request(Path(path))

    def review_request(self, path: Path) -> None:
        """Read a request, then ask the analyst to compare its fingerprint."""
        _ = self.ctx.gettext
        try:
            data = path.read_bytes()
        except OSError as exc:
            QMessageBox.warning(self, _("Approve a device"), str(exc.strerror))
            return

        def ask(req) -> None:  # type: ignore[no-untyped-def]
            dialog = ApproveDialog(req.name, req.device_id, req.fingerprint, _, self)
            dialog.finished.connect(lambda _r: self._decided(dialog, req))
            self.dialog = dialog
            dialog.open()

        self.ctx.runner.call(lambda s: s.hq().devices.parse_request(data)).success(ask).failure(
            self._failed
        )

    def _decided(self, dialog: ApproveDialog, req) -> None:  # type: ignore[no-untyped-def]
        _ = self.ctx.gettext
        if not dialog.matches():
            return
        op = self.ctx.runner.call(lambda s: s.hq().devices.approve(req))
        op.announces(lambda _d: DEVICE_CHANGES).failure(self._failed)

    def _failed(self, exc: BaseException) -> None:
        _ = self.ctx.gettext
        QMessageBox.warning(self, _("Approve a device"), user_message(exc, _))

    # ---------------------------------------------------------------- revoke
    def selected(self) -> DeviceSummary | None:
        rows = self.table.selectionModel().selectedRows()
        return self.devices[rows[0].row()] if rows else None

    def ask_revoke(self) -> None:
        _ = self.ctx.gettext
        d = self.selected()
        if d is None or d.revoked_at:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Revoke a device"),
            _(
                "Revoke {name} ({fingerprint})? Every bundle from it will be refused from now on."
            ).format(name=d.name, fingerprint=d.fingerprint),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda r: self._revoke_answer(r, d))
        self.confirm = box
        box.open()

    def _revoke_answer(self, answer: int, d: DeviceSummary) -> None:
        if answer == QMessageBox.StandardButton.Yes:
            self.revoke(d)

    def revoke(self, d: DeviceSummary) -> None:
        self.ctx.runner.call(lambda s: s.hq().devices.revoke(d.device_id)).announces(
            lambda _d: DEVICE_CHANGES
        ).failure(lambda _e: None)

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.devices = []
