"""Record that a witness withdrew consent: when, and which permissions (all by default)."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.models import SCOPE_NAMES, Witness
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import SCOPE


class WithdrawConsentDialog(QDialog):
    def __init__(self, ctx: AppContext, witness: Witness, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("withdrawConsentDialog")
        set_help_page(self, "witnesses")
        self.setWindowTitle(_("Withdraw consent"))
        v = QVBoxLayout(self)
        text = QLabel(
            _(
                "{pseudonym} no longer agrees to what you tick below. When you confirm, their "
                "identifying details are erased from this laptop, and a notice signed by this "
                "laptop goes to HQ with the next export or sync; HQ then deletes any identity it "
                "holds and marks their reports. Sealed reports cannot change. If nothing is "
                "left, they are also removed from your drafts."
            ).format(pseudonym=witness.pseudonym)
        )
        text.setWordWrap(True)
        v.addWidget(text)
        form = QFormLayout()
        self.when = QLineEdit(date.today().isoformat())
        self.when.setObjectName("withdrawnOn")
        form.addRow(_("Date withdrawn"), self.when)
        v.addLayout(form)
        self.boxes: dict[str, QCheckBox] = {}
        for name in SCOPE_NAMES:
            box = QCheckBox(_(SCOPE[name]))
            box.setObjectName(f"withdraw_{name}")
            box.setChecked(True)
            self.boxes[name] = box
            v.addWidget(box)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        v.addWidget(self.error)
        buttons = QDialogButtonBox()
        ok = buttons.addButton(_("Withdraw consent"), QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("confirmWithdraw")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)

    def scopes(self) -> frozenset[str] | None:
        """What is withdrawn (None: everything)."""
        chosen = frozenset(n for n, b in self.boxes.items() if b.isChecked())
        return None if chosen == frozenset(SCOPE_NAMES) else chosen

    def withdrawn_on(self) -> str:
        return self.when.text().strip()

    def _accept(self) -> None:
        _ = self.ctx.gettext
        try:
            date.fromisoformat(self.withdrawn_on())
        except ValueError:
            self.error.setText(_("Write the date consent was withdrawn as YYYY-MM-DD."))
            return
        if not any(b.isChecked() for b in self.boxes.values()):
            self.error.setText(_("Tick at least one permission the witness withdraws."))
            return
        self.accept()
