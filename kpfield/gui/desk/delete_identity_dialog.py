"""Delete a witness's identifying details held at HQ: Cancel first, a reason required.

The deletion itself is the identity service's (the one ``kpfield cases identities delete``
uses): it writes the reason to the HQ audit log and leaves every seal as it was.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import Gettext

WIDTH = 600


class DeleteIdentityDialog(QDialog):
    def __init__(
        self, pseudonym: str, witness_id: str, _: Gettext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ = _
        self.setObjectName("deleteIdentityDialog")
        set_help_page(self, "identities")
        self.setWindowTitle(_("Delete identifying details"))
        warning = QLabel(
            _(
                "Delete the identifying details of {name} (witness {id}) that HQ holds? They"
                " cannot be recovered at HQ. The deletion and your reason are written to the HQ"
                " audit log; the sealed reports citing this witness are not changed and still"
                " verify."
            ).format(name=pseudonym or "—", id=witness_id[:8])
        )
        warning.setObjectName("deleteIdentityWarning")
        warning.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("deleteIdentityReason")
        self.reason.setPlaceholderText(_("For example: the witness asked for it"))
        self.error = QLabel()
        self.error.setObjectName("deleteIdentityError")
        self.error.setStyleSheet("color: #a32020;")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.delete_button = self.buttons.addButton(
            _("Delete"), QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.delete_button.setObjectName("deleteIdentityConfirm")
        self.delete_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        cancel.setFocus()
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        ask = QLabel(_("Why they are deleted (required, kept in the audit log)"))
        ask.setWordWrap(True)
        layout.addWidget(ask)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update)
        self._update()
        # Wrapped labels need the height for the dialog's width, or the warning is cut short.
        self.setMinimumSize(WIDTH, layout.heightForWidth(WIDTH))

    def reason_text(self) -> str:
        return self.reason.text().strip()

    def _update(self) -> None:
        self.delete_button.setEnabled(bool(self.reason_text()))
        if self.reason_text():
            self.error.clear()

    def accept(self) -> None:
        # The button is disabled without a reason; refuse one however accept() is reached.
        if not self.reason_text():
            self.error.setText(self._("Say why the details are deleted."))
            return
        super().accept()
