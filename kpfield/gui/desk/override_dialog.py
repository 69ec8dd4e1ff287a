"""Include reports in a KP brief although a witness did not consent to sharing with KP bodies.

Nothing is ticked at first; OK stays disabled until at least one report is ticked and a reason
is written. Every report included this way is named in the signed manifest and logged, with the
reason, in the HQ audit log.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import Gettext
from kpfield.services.exports.service import PlannedCase


class OverrideDialog(QDialog):
    def __init__(
        self,
        left_out: Sequence[PlannedCase],
        chosen: Sequence[str],
        reason: str,
        _: Gettext,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("overrideDialog")
        set_help_page(self, "desk")
        self.setWindowTitle(_("Include reports without consent"))
        self.setMinimumWidth(640)
        warning = QLabel(
            _(
                "A witness in each of these reports did not consent to sharing with Kimberley"
                " Process bodies. Include one only if you have a reason that outweighs it: the"
                " brief marks it as included without consent, and your reason is written to the"
                " signed manifest and the HQ audit log."
            )
        )
        warning.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("overrideList")
        for p in left_out:
            item = QListWidgetItem(
                f"{p.incident_date or '—'}  {p.title or _('(untitled)')}  ({p.report_id[:8]})"
            )
            item.setData(Qt.ItemDataRole.UserRole, p.report_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if p.report_id in chosen else Qt.CheckState.Unchecked
            )
            self.list.addItem(item)
        self.reason = QLineEdit(reason)
        self.reason.setObjectName("overrideReason")
        self.reason.setPlaceholderText(_("Why these reports must be in the brief (required)"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(self.list, 1)
        layout.addWidget(QLabel(_("Reason")))
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.list.itemChanged.connect(lambda _i: self._update())
        self.reason.textChanged.connect(lambda _t: self._update())
        self._update()

    def chosen(self) -> list[str]:
        return [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        # Untick everything to withdraw an override; ticking needs a reason.
        ok.setEnabled(not self.chosen() or bool(self.reason.text().strip()))
