"""First run: language, passphrase (twice, with strength and advice), optional duress, then the
laptop's name (HQ sees it when enrolling the laptop) and create."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kpfield.gui.context import AppContext
from kpfield.gui.fields import paragraph, secret_field
from kpfield.gui.tasks import user_message
from kpfield.i18n import LANGUAGES
from kpfield.services.memory_exposure import Exposure, how_to_fix, warnings

MIN_LENGTH = 10
MAX_DEVICE_NAME = 64


def strength(passphrase: str) -> int:
    """0 (too short) to 4 (strong): a rough estimate that rewards length and several words."""
    if len(passphrase) < MIN_LENGTH:
        return 0
    words = [w for w in passphrase.split() if w]
    pool = 0
    pool += 26 if any(c.islower() for c in passphrase) else 0
    pool += 26 if any(c.isupper() for c in passphrase) else 0
    pool += 10 if any(c.isdigit() for c in passphrase) else 0
    pool += 32 if any(not c.isalnum() for c in passphrase) else 0
    bits = len(passphrase) * math.log2(max(pool, 2)) * 0.5  # people choose far from random
    if len(words) >= 4:
        bits = max(bits, len(words) * 12.0)
    if len(set(passphrase)) < 5:
        bits = min(bits, 20.0)
    return 1 if bits < 40 else 2 if bits < 55 else 3 if bits < 70 else 4


class SetupScreen(QWidget):
    """Four steps in one screen; ``language_chosen`` lets the window rebuild in that language."""

    language_chosen = Signal(str)
    created = Signal()

    def __init__(self, ctx: AppContext, start_page: int = 0, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("setupScreen")
        centre = QHBoxLayout(self)
        column = QWidget()
        column.setMaximumWidth(820)
        centre.addStretch(1)
        centre.addWidget(column, 6)
        centre.addStretch(1)
        outer = QVBoxLayout(column)
        outer.setContentsMargins(20, 30, 20, 30)
        heading = QLabel(_("Welcome to KP Field"))
        heading.setObjectName("heading")
        outer.addWidget(heading)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)

        # 1. language
        page = QWidget()
        form = QVBoxLayout(page)
        form.addWidget(paragraph(_("Choose the language of the app. You can change it later.")))
        self.language = QComboBox()
        self.language.setObjectName("setupLanguage")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(self.language.findData(ctx.i18n.language), 0))
        form.addWidget(self.language)
        form.addStretch(1)
        self.pages.addWidget(page)

        # 2. passphrase
        page = QWidget()
        form2 = QFormLayout(page)
        form2.addRow(
            paragraph(
                _(
                    "Everything you record is encrypted with a passphrase only you know. "
                    "Use five or more ordinary words that have nothing to do with each other, "
                    "for example four rivers and a fruit. Do not write it on or near the laptop. "
                    "If you forget it, nobody can open the vault — not even the coalition."
                )
            )
        )
        self.pass1 = secret_field("setupPassphrase")
        self.pass2 = secret_field("setupPassphraseAgain")
        form2.addRow(_("Passphrase"), self.pass1)
        form2.addRow(_("Type it again"), self.pass2)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.meter, 1)
        row.addWidget(self.meter_label, 1)
        form2.addRow(_("Strength"), row)
        self.match_label = QLabel()
        form2.addRow("", self.match_label)
        self.pages.addWidget(page)
        for field in (self.pass1, self.pass2):
            field.textChanged.connect(self._update_strength)

        # 3. duress
        page = QWidget()
        form3 = QFormLayout(page)
        form3.addRow(
            paragraph(
                _(
                    "Optional. A duress passphrase is a second passphrase for when someone forces "
                    "you to open the laptop. Typing it instead of your real passphrase silently "
                    "erases everything in the vault and opens an empty one. What is erased cannot "
                    "be recovered. Only set one if you understand this."
                )
            )
        )
        self.use_duress = QCheckBox(_("Set a duress passphrase"))
        self.use_duress.setObjectName("setupUseDuress")
        form3.addRow(self.use_duress)
        self.duress1 = secret_field("setupDuress")
        self.duress2 = secret_field("setupDuressAgain")
        form3.addRow(_("Duress passphrase"), self.duress1)
        form3.addRow(_("Type it again"), self.duress2)
        self.duress_label = QLabel()
        form3.addRow("", self.duress_label)
        self.pages.addWidget(page)
        for w in (self.duress1, self.duress2):
            w.textChanged.connect(self._update_buttons)
        self.use_duress.toggled.connect(self._update_buttons)

        # 4. the laptop's name, then create
        page = QWidget()
        v4 = QVBoxLayout(page)
        self.memory_warning = paragraph("")
        self.memory_warning.setObjectName("memoryWarning")
        self.memory_warning.hide()
        v4.addWidget(self.memory_warning)
        v4.addWidget(
            paragraph(
                _(
                    "Give this laptop a name, so that HQ can tell it apart when it enrolls it, "
                    "for example \"Team 2 laptop\". HQ sees the name with every report the laptop "
                    "sends. It is also written, unencrypted, in the enrollment request file you "
                    "give HQ: do not use your own name or the place where you work."
                )
            )
        )
        name_row = QFormLayout()
        self.device_name = QLineEdit()
        self.device_name.setObjectName("setupDeviceName")
        self.device_name.setMaxLength(MAX_DEVICE_NAME)
        self.device_name.setAccessibleName(_("Name of this laptop (required)"))
        self.device_name.textChanged.connect(self._update_buttons)
        self.device_name.returnPressed.connect(self._create)
        name_row.addRow(_("Name of this laptop") + " *", self.device_name)
        v4.addLayout(name_row)
        v4.addWidget(
            paragraph(
                _(
                    "Creating the vault takes a few seconds: the passphrase is made slow to "
                    "guess on purpose. This laptop is not enrolled at HQ yet; after creating "
                    "the vault, install the coalition profile and write the enrollment request "
                    "(Vault menu)."
                )
            )
        )
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        v4.addWidget(self.progress)
        self.create_error = QLabel()
        self.create_error.setObjectName("errorLabel")
        self.create_error.setWordWrap(True)
        v4.addWidget(self.create_error)
        v4.addStretch(1)
        self.pages.addWidget(page)

        buttons = QHBoxLayout()
        self.back = QPushButton(_("Back"))
        self.back.setObjectName("setupBack")
        self.next = QPushButton(_("Next"))
        self.next.setObjectName("setupNext")
        self.next.setDefault(True)
        self.create_button = QPushButton(_("Create the vault"))
        self.create_button.setObjectName("setupCreate")
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.next)
        buttons.addWidget(self.create_button)
        outer.addLayout(buttons)
        self.back.clicked.connect(lambda: self._go(self.pages.currentIndex() - 1))
        self.next.clicked.connect(self._next)
        self.create_button.clicked.connect(self._create)
        for field in (self.pass1, self.pass2, self.duress1, self.duress2):
            field.returnPressed.connect(self._next)  # Enter moves on, as in a wizard
        self._go(start_page)
        probe = ctx.memory_probe
        ctx.runner.compute(lambda _job: probe()).success(self._show_memory_warning)

    # ---------------------------------------------------------------- helpers

    def _show_memory_warning(self, exposures: list[Exposure]) -> None:
        """The same warnings ``kpfield init`` prints, and how to fix them on this system."""
        _ = self.ctx.gettext
        found = warnings(exposures)
        if not found:
            self.memory_warning.hide()
            return
        parts = [_(template).format(where=where) for template, where in found]
        parts.append(_(how_to_fix(self.ctx.platform)))
        self.memory_warning.setText("\n\n".join(parts))
        self.memory_warning.show()

    def _go(self, index: int) -> None:
        self.pages.setCurrentIndex(max(0, min(index, self.pages.count() - 1)))
        page = self.pages.currentIndex()
        if page == 1:
            self.pass1.setFocus()
        elif page == self.pages.count() - 1:
            self.device_name.setFocus()
        self._update_buttons()

    def _next(self) -> None:
        if self.pages.currentIndex() == 0:
            code = str(self.language.currentData())
            if code != self.ctx.i18n.language:
                self.language_chosen.emit(code)  # the window rebuilds us in that language
                return
        if self.next.isEnabled():
            self._go(self.pages.currentIndex() + 1)

    def _update_strength(self) -> None:
        _ = self.ctx.gettext
        score = strength(self.pass1.text())
        self.meter.setValue(score)
        words = [_("Too short"), _("Weak"), _("Fair"), _("Good"), _("Strong")]
        self.meter_label.setText(words[score])
        if score == 0:
            self.meter_label.setText(_("Too short: at least {n} characters").format(n=MIN_LENGTH))
        a, b = self.pass1.text(), self.pass2.text()
        if b and a != b:
            self.match_label.setText(_("The two passphrases are not the same."))
        elif b:
            self.match_label.setText(_("The two passphrases match."))
        else:
            self.match_label.setText("")
        self._update_buttons()

    def _passphrase_ok(self) -> bool:
        a = self.pass1.text()
        return len(a) >= MIN_LENGTH and a == self.pass2.text()

    def _duress_ok(self) -> bool:
        _ = self.ctx.gettext
        if not self.use_duress.isChecked():
            self.duress_label.setText("")
            return True
        a, b = self.duress1.text(), self.duress2.text()
        if a and a == self.pass1.text():
            self.duress_label.setText(_("It must be different from your real passphrase."))
            return False
        if b and a != b:
            self.duress_label.setText(_("The two passphrases are not the same."))
            return False
        self.duress_label.setText("")
        return len(a) >= 4 and a == b

    def _update_buttons(self) -> None:
        page = self.pages.currentIndex()
        last = self.pages.count() - 1
        self.back.setVisible(page > 0)
        self.next.setVisible(page < last)
        self.create_button.setVisible(page == last)
        for w in (self.duress1, self.duress2):
            w.setEnabled(self.use_duress.isChecked())
        ok = True
        if page == 1:
            ok = self._passphrase_ok()
        elif page == 2:
            ok = self._duress_ok()
        self.next.setEnabled(ok)
        self.create_button.setEnabled(bool(self.device_name_text()))

    def device_name_text(self) -> str:
        """The name typed, without outer spaces or characters a vault refuses."""
        return "".join(c for c in self.device_name.text().strip() if c.isprintable())

    def _create(self) -> None:
        if not self._passphrase_ok():
            self._go(1)
            return
        name = self.device_name_text()
        if not name:
            self.device_name.setFocus()
            return
        duress = self.duress1.text() if self.use_duress.isChecked() and self._duress_ok() else None
        self.create_button.setEnabled(False)
        self.back.setEnabled(False)
        self.progress.show()
        self.create_error.setText("")
        (
            self.ctx.runner.create(
                self.ctx.data_dir, self.pass1.text(), self.ctx.kdf_params, duress, name
            )
            .success(lambda _r: self._created())
            .failure(self._failed)
        )

    def _created(self) -> None:
        for field in (self.pass1, self.pass2, self.duress1, self.duress2):
            field.clear()
        self.progress.hide()
        self.created.emit()

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.create_button.setEnabled(True)
        self.back.setEnabled(True)
        self.create_error.setText(user_message(exc, self.ctx.gettext))
