"""The one deliberate confirmation before a panic wipe."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page


class WipeDialog(QDialog):
    """Cancel is the default button: Enter alone never erases."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _ = ctx.gettext
        self.setObjectName("wipeDialog")
        set_help_page(self, "safety")
        self.setWindowTitle(_("Erase everything"))
        self.setMinimumWidth(520)
        v = QVBoxLayout(self)
        heading = QLabel(_("Erase everything in this vault now?"))
        heading.setObjectName("heading")
        v.addWidget(heading)
        text = QLabel(
            _(
                "Every report, witness and photo on this laptop is destroyed at once, sealed or "
                "not. Reports already delivered to headquarters are safe there. This cannot be "
                "undone."
            )
        )
        text.setWordWrap(True)
        v.addWidget(text)
        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = QPushButton(_("Erase everything"))
        self.erase_button.setObjectName("confirmWipe")
        self.erase_button.setAutoDefault(False)
        buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        self.erase_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
