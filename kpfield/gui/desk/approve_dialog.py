"""Approve an enrollment request: the fingerprint to compare, "It does not match" chosen first."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import Gettext


class ApproveDialog(QDialog):
    def __init__(
        self, name: str, device_id: str, fingerprint: str, _: Gettext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("approveDialog")
        set_help_page(self, "intake")
        self.setWindowTitle(_("Approve a device"))
        intro = QLabel(
            _(
                "Ask the monitor to read the fingerprint shown on their laptop, by phone or in"
                " person, and compare every group of digits with this one."
            )
        )
        intro.setWordWrap(True)
        who = QLabel(_("Device {name} ({id})").format(name=name or "—", id=device_id))
        self.fingerprint = QLabel(fingerprint)
        self.fingerprint.setObjectName("approveFingerprint")
        self.fingerprint.setStyleSheet("font-family: monospace; font-size: 18pt;")
        self.no = QRadioButton(_("It does not match"))
        self.no.setObjectName("approveNoMatch")
        self.yes = QRadioButton(_("It matches, digit for digit"))
        self.yes.setObjectName("approveMatch")
        self.no.setChecked(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (intro, who, self.fingerprint, self.no, self.yes, buttons):
            layout.addWidget(w)

    def matches(self) -> bool:
        return self.result() == QDialog.DialogCode.Accepted and self.yes.isChecked()
