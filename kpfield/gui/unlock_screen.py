"""The lock screen: nothing of the vault shows; a passphrase field, calm errors, the policy."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.errors import WrongPassphrase
from kpfield.gui.context import AppContext
from kpfield.gui.tasks import Job, user_message
from kpfield.services.vaults import VaultLocation


class UnlockScreen(QWidget):
    unlocked = Signal()
    vault_gone = Signal()  # erased after too many failures: the window shows first-run setup

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("unlockScreen")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QWidget()
        box.setMaximumWidth(520)
        v = QVBoxLayout(box)
        title = QLabel(_("KP Field is locked"))
        title.setObjectName("heading")
        v.addWidget(title)
        v.addWidget(QLabel(_("Enter your passphrase to open the vault.")))
        row = QHBoxLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("unlockPassphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.button = QPushButton(_("Unlock"))
        self.button.setObjectName("unlockButton")
        self.button.setDefault(True)
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.button)
        v.addLayout(row)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        v.addWidget(self.busy)
        self.message = QLabel()
        self.message.setObjectName("unlockMessage")
        self.message.setWordWrap(True)
        v.addWidget(self.message)
        self.policy = QLabel()
        self.policy.setObjectName("unlockPolicy")
        self.policy.setWordWrap(True)
        v.addWidget(self.policy)
        hbox = QHBoxLayout()
        hbox.addStretch(1)
        hbox.addWidget(box, 3)
        hbox.addStretch(1)
        outer.addLayout(hbox)
        outer.addStretch(3)
        self.button.clicked.connect(self.unlock)
        self.passphrase.returnPressed.connect(self.unlock)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt name
        self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason)
        self.refresh_policy()

    def refresh_policy(self) -> None:
        location = VaultLocation(self.ctx.data_dir)

        def read(job: Job) -> tuple[int, int | None] | None:
            return location.unlock_policy()

        self.ctx.runner.run(read).success(self._show_policy).failure(lambda _e: None)

    def _show_policy(self, value: tuple[int, int | None] | None) -> None:
        _ = self.ctx.gettext
        if value is None or not value[0]:
            self.policy.setText("")
            return
        limit, left = value
        self.policy.setText(
            _(
                "For safety, this vault erases itself after {limit} wrong passphrases in a row. "
                "Attempts left: {left}."
            ).format(limit=limit, left=left)
        )

    def unlock(self) -> None:
        text = self.passphrase.text()
        if not text or not self.button.isEnabled():
            return
        self._busy(True)
        self.message.setText("")
        root = self.ctx.data_dir
        runner = self.ctx.runner
        runner.unlock(root, text).success(lambda _r: self._done()).failure(self._failed)

    def _busy(self, busy: bool) -> None:
        self.button.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        self.busy.setVisible(busy)

    def _done(self) -> None:
        self._busy(False)
        self.passphrase.clear()
        self.message.setText("")
        self.unlocked.emit()

    def _failed(self, exc: BaseException) -> None:
        _ = self.ctx.gettext
        self._busy(False)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        if isinstance(exc, WrongPassphrase):
            self.message.setText(
                _(
                    "That passphrase does not open this vault. Check Caps Lock and the keyboard "
                    "language, then try again."
                )
            )
            if not VaultLocation(self.ctx.data_dir).exists():
                self.passphrase.clear()
                self.vault_gone.emit()
                return
        else:
            self.message.setText(user_message(exc, _))
        self.refresh_policy()
