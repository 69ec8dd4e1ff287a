"""Settings: language, idle lock, failed-unlock limit, duress passphrase, passphrase change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.gui.context import AppContext
from kpfield.gui.fields import paragraph, secret_field
from kpfield.gui.help_page import set_help_page
from kpfield.gui.settings import MAX_IDLE_MINUTES
from kpfield.gui.setup_screen import MIN_LENGTH
from kpfield.gui.tasks import user_message
from kpfield.i18n import LANGUAGES


class SettingsDialog(QDialog):
    preferences_changed = Signal(object)  # GuiSettings

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("settingsDialog")
        set_help_page(self, "safety")
        self.setWindowTitle(_("Settings"))
        self.setMinimumWidth(600)
        v = QVBoxLayout(self)
        self.tabs = QTabWidget()
        v.addWidget(self.tabs)

        general = QWidget()
        gf = QFormLayout(general)
        self.language = QComboBox()
        self.language.setObjectName("languageCombo")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(ctx.settings.language), 0))
        gf.addRow(_("Language"), self.language)
        self.idle = QSpinBox()
        self.idle.setObjectName("idleMinutes")
        self.idle.setRange(1, MAX_IDLE_MINUTES)
        self.idle.setValue(ctx.settings.idle_minutes)
        self.idle.setSuffix(" " + _("min"))
        gf.addRow(_("Lock after this long without use"), self.idle)
        self.tabs.addTab(general, _("General"))

        unlocking = QWidget()
        uf = QFormLayout(unlocking)
        uf.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        uf.addRow(
            paragraph(
                _(
                    "Erase the vault after this many wrong passphrases in a row. 0 turns this off. "
                    "The unlock screen shows how many attempts are left."
                )
            )
        )
        self.limit = QSpinBox()
        self.limit.setObjectName("failedLimit")
        self.limit.setRange(0, 100)
        self.limit.setSpecialValueText(_("Off"))
        apply_limit = QPushButton(_("Apply"))
        apply_limit.setObjectName("applyLimit")
        row = QHBoxLayout()
        row.addWidget(self.limit)
        row.addWidget(apply_limit)
        row.addStretch(1)
        uf.addRow(_("Failed unlock limit"), row)
        uf.addRow(
            paragraph(
                _(
                    "A duress passphrase silently erases everything and opens an empty vault "
                    "when typed instead of your real passphrase. Use it only if you are forced "
                    "to unlock."
                )
            )
        )
        self.duress_current = secret_field("duressCurrent")
        self.duress_new = secret_field("duressNew")
        self.duress_again = secret_field("duressAgain")
        uf.addRow(_("Your passphrase"), self.duress_current)
        uf.addRow(_("Duress passphrase"), self.duress_new)
        uf.addRow(_("Type it again"), self.duress_again)
        set_duress = QPushButton(_("Set duress passphrase"))
        set_duress.setObjectName("setDuress")
        remove_duress = QPushButton(_("Remove duress passphrase"))
        remove_duress.setObjectName("removeDuress")
        row2 = QHBoxLayout()
        row2.addWidget(set_duress)
        row2.addWidget(remove_duress)
        row2.addStretch(1)
        uf.addRow(row2)
        self.tabs.addTab(unlocking, _("Unlocking"))

        change = QWidget()
        cf = QFormLayout(change)
        self.old_pass = secret_field("oldPassphrase")
        self.new_pass = secret_field("newPassphrase")
        self.new_again = secret_field("newPassphraseAgain")
        cf.addRow(_("Current passphrase"), self.old_pass)
        cf.addRow(_("New passphrase"), self.new_pass)
        cf.addRow(_("Type it again"), self.new_again)
        change_button = QPushButton(_("Change passphrase"))
        change_button.setObjectName("changePassphrase")
        cf.addRow("", change_button)
        self.tabs.addTab(change, _("Passphrase"))

        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        v.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)

        apply_limit.clicked.connect(self._apply_limit)
        set_duress.clicked.connect(lambda: self._duress(remove=False))
        remove_duress.clicked.connect(lambda: self._duress(remove=True))
        change_button.clicked.connect(self._change)
        ctx.runner.call(lambda s: s.passphrases.failed_unlock_limit()).success(
            self.limit.setValue
        )

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _run(self, fn: Callable[[Session], object], done: str, clear: list[QLineEdit]) -> None:
        def ok(_r: object) -> None:
            for f in clear:
                f.clear()
            self._say(done)

        self._say(self.ctx.gettext("Working…"))
        self.ctx.runner.call(fn).success(ok).failure(
            lambda exc: self._say(user_message(exc, self.ctx.gettext))
        )

    def _apply_limit(self) -> None:
        n = self.limit.value()
        self._run(
            lambda s: s.passphrases.set_failed_unlock_limit(n),
            self.ctx.gettext("The failed-unlock limit was saved."),
            [],
        )

    def _duress(self, remove: bool) -> None:
        _ = self.ctx.gettext
        current = self.duress_current.text()
        duress = self.duress_new.text()
        if not current:
            self._say(_("Type your passphrase first."))
            return
        if not remove and (len(duress) < 4 or duress != self.duress_again.text()):
            self._say(_("Type the same duress passphrase twice (at least 4 characters)."))
            return
        fields = [self.duress_current, self.duress_new, self.duress_again]
        if remove:
            self._run(
                lambda s: s.passphrases.set_duress(current, None),
                _("The duress passphrase was removed."),
                fields,
            )
        else:
            self._run(
                lambda s: s.passphrases.set_duress(current, duress),
                _("The duress passphrase was set."),
                fields,
            )

    def _change(self) -> None:
        _ = self.ctx.gettext
        old, new = self.old_pass.text(), self.new_pass.text()
        if len(new) < MIN_LENGTH or new != self.new_again.text():
            self._say(
                _("Type the same new passphrase twice (at least {n} characters).").format(
                    n=MIN_LENGTH
                )
            )
            return
        self._run(
            lambda s: s.passphrases.change(old, new),
            _("The passphrase was changed. Use the new one from now on."),
            [self.old_pass, self.new_pass, self.new_again],
        )

    def _save(self) -> None:
        self.preferences_changed.emit(
            replace(
                self.ctx.settings,
                language=str(self.language.currentData()),
                idle_minutes=self.idle.value(),
            )
        )
        self.accept()
