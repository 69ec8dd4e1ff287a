"""Add or edit one witness: pseudonym and profile, identifying details apart, informed consent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.ids import WitnessId
from kpfield.domain.models import (
    AgeGroup,
    Attachment,
    AttachmentKind,
    Consent,
    ConsentMethod,
    ConsentScope,
    Gender,
    IdentifyingDetails,
    Witness,
    WitnessRole,
)
from kpfield.gui.consent_recording import RecordingChoice
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import AGE_GROUP, CONSENT_METHOD, GENDER, ROLE, SCOPE
from kpfield.gui.tasks import user_message
from kpfield.gui.withdraw_dialog import WithdrawConsentDialog

CONSENT_UNKNOWN, CONSENT_GIVEN, CONSENT_DECLINED = 0, 1, 2


class WitnessDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        witness: Witness | None = None,
        *,
        read_only: bool = False,
        recordings: Sequence[Attachment] = (),
        parent: QWidget | None = None,
    ) -> None:
        """``recordings``: the report's attachments; its audio ones can hold a spoken consent."""
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("witnessDialog")
        set_help_page(self, "witnesses")
        self.setWindowTitle(_("Witness"))
        self.original = witness
        self.read_only = read_only
        self.setMinimumWidth(980)
        grid = QGridLayout(self)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        profile = QGroupBox(_("Witness (pseudonymous)"))
        pf = QFormLayout(profile)
        self.pseudonym = QLineEdit()
        self.pseudonym.setObjectName("pseudonymEdit")
        self.pseudonym.setPlaceholderText(_("A code name, never the real name"))
        pf.addRow(_("Pseudonym"), self.pseudonym)
        self.age = self._combo(AGE_GROUP, "ageCombo")
        self.gender = self._combo(GENDER, "genderCombo")
        self.role = self._combo(ROLE, "roleCombo")
        pf.addRow(_("Age"), self.age)
        pf.addRow(_("Gender"), self.gender)
        pf.addRow(_("Role"), self.role)
        self.risk = QPlainTextEdit()
        self.risk.setObjectName("riskEdit")
        self.risk.setPlaceholderText(_("Risks to this person, and how to keep them safe"))
        self.risk.setMaximumHeight(90)
        self.risk.setMinimumHeight(70)
        pf.addRow(_("Risk notes"), self.risk)
        grid.addWidget(profile, 0, 0)

        ident = QGroupBox(_("Identifying details — sensitive"))
        ident.setObjectName("identifyingBox")
        # A box layout, not a form: form rows do not grow for word-wrapped labels (the French
        # text was cut off at 1366×768).
        ibox = QVBoxLayout(ident)
        idf = QFormLayout()
        idf.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # Each sentence here is checked against a decrypted bundle in tests/bundle and tests/gui.
        warning = QLabel(
            _(
                "Optional. Only fill these in if you must be able to find this person again. "
                "They are kept encrypted on this laptop. The sealed report never contains them: "
                "it holds only a code computed from them, which cannot be turned back into them."
            )
        )
        warning.setWordWrap(True)
        warning.setObjectName("identifyingWarning")
        ibox.addWidget(warning)
        ibox.addLayout(idf)
        self.full_name = QLineEdit()
        self.full_name.setObjectName("fullNameEdit")
        self.contact = QLineEdit()
        self.contact.setObjectName("contactEdit")
        self.address = QLineEdit()
        self.ident_notes = QLineEdit()
        idf.addRow(_("Full name"), self.full_name)
        idf.addRow(_("How to reach them"), self.contact)
        idf.addRow(_("Address"), self.address)
        idf.addRow(_("Notes"), self.ident_notes)
        self.send_identity = QCheckBox(_("Send these details to HQ"))
        self.send_identity.setObjectName("sendIdentity")

        self.identity_where = QLabel()
        self.identity_where.setObjectName("identityWhere")
        self.identity_where.setWordWrap(True)

        grid.addWidget(ident, 1, 0)

        consent = QGroupBox(_("Informed consent"))
        cv = QVBoxLayout(consent)
        self.consent_group = QButtonGroup(self)
        row = QHBoxLayout()
        for value, text, name in (
            (CONSENT_UNKNOWN, _("Not recorded yet"), "consentUnknown"),
            (CONSENT_GIVEN, _("Given"), "consentGiven"),
            (CONSENT_DECLINED, _("Declined"), "consentDeclined"),
        ):
            button = QRadioButton(text)
            button.setObjectName(name)
            self.consent_group.addButton(button, value)
            row.addWidget(button)
        cv.addLayout(row)
        cf = QFormLayout()
        self.method = self._combo(CONSENT_METHOD, "consentMethod")
        cf.addRow(_("How it was recorded"), self.method)
        self.consent_date = QLineEdit(date.today().isoformat())
        self.consent_date.setObjectName("consentDate")
        self.consent_date.setPlaceholderText("YYYY-MM-DD")
        cf.addRow(_("Date"), self.consent_date)
        cv.addLayout(cf)
        audio = [a for a in recordings if a.kind is AttachmentKind.AUDIO]
        stored = witness.consent.recording_sha256 if witness and witness.consent else ""
        self.recording = RecordingChoice(ctx, audio, stored)
        # Its own lines, not a form row: the long label widened the consent column and cut
        # off the French warning about identifying details.
        cv.addWidget(self.recording.label)
        cv.addWidget(self.recording.combo)
        cv.addWidget(self.recording.hint)
        self.method.currentIndexChanged.connect(lambda _i: self._update_consent_enabled())
        cv.addWidget(QLabel(_("The witness agrees that the coalition may:")))
        self.scope_coalition = QCheckBox(_("use this testimony in its own work"))
        self.scope_coalition.setObjectName("scopeCoalition")
        self.scope_kp = QCheckBox(_("share it with Kimberley Process bodies"))
        self.scope_kp.setObjectName("scopeKp")
        self.scope_publish = QCheckBox(_("publish it with names and places removed"))
        self.scope_publish.setObjectName("scopePublish")
        self.scope_recontact = QCheckBox(_("contact them again"))
        self.scope_recontact.setObjectName("scopeRecontact")
        self.scope_identity = QCheckBox(_(SCOPE["identity_to_hq"]))
        self.scope_identity.setObjectName("scopeIdentity")
        for box in self._scope_boxes():
            cv.addWidget(box)
            box.toggled.connect(lambda _c: self._update_consent_enabled())
        # Sending the identity sits under the permission that allows it, where both are seen.
        send_row = QVBoxLayout()
        send_row.setContentsMargins(24, 0, 0, 0)
        send_row.addWidget(self.send_identity)
        send_row.addWidget(self.identity_where)
        cv.addLayout(send_row)
        self.send_identity.toggled.connect(lambda _c: self._update_consent_enabled())
        self.withdraw_button = QPushButton(_("Withdraw consent…"))
        self.withdraw_button.setObjectName("withdrawConsent")
        self.withdraw_button.clicked.connect(self._withdraw)
        cv.addWidget(self.withdraw_button)
        self.consent_notes = QLineEdit()
        self.consent_notes.setPlaceholderText(_("Anything the witness asked for"))
        cv.addWidget(self.consent_notes)
        cv.addStretch(1)
        grid.addWidget(consent, 0, 1, 2, 1)
        self.consent_group.idToggled.connect(lambda _i, _c: self._update_consent_enabled())

        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        grid.addWidget(self.error, 2, 0, 1, 2)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Close
            if read_only
            else QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        grid.addWidget(buttons, 3, 0, 1, 2)
        self._load(witness)
        self._as_opened = self.witness()  # Escape asks before throwing away anything typed
        if read_only:
            for w in self.findChildren(QWidget):
                if isinstance(w, QLineEdit | QPlainTextEdit):
                    w.setReadOnly(True)
                elif isinstance(w, QCheckBox | QRadioButton | QComboBox):
                    w.setEnabled(False)
        self.pseudonym.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        self._fit_to_content()

    def adjustSize(self) -> None:  # noqa: N802 - Qt name
        super().adjustSize()
        self._fit_to_content()

    def _fit_to_content(self) -> None:
        """Grow to the height the wrapped sentences need at this width. Qt opens a window at
        most 2/3 of the screen high, which cut them off on a 1366×768 laptop; the screen's
        free height stays the limit."""
        layout = self.layout()
        if layout is None or not layout.hasHeightForWidth():
            return
        need = layout.totalHeightForWidth(self.width())
        screen = self.screen()
        if screen is not None:
            need = min(need, screen.availableGeometry().height())
        if self.height() < need:
            self.resize(self.width(), need)

    def _scope_boxes(self) -> tuple[QCheckBox, ...]:
        return (
            self.scope_coalition,
            self.scope_kp,
            self.scope_publish,
            self.scope_recontact,
            self.scope_identity,
        )

    def _combo(self, labels: Mapping[Any, str], name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for value, label in labels.items():
            combo.addItem(self.ctx.gettext(label), str(value))
        return combo

    @staticmethod
    def _pick(combo: QComboBox, value: str) -> None:
        combo.setCurrentIndex(max(combo.findData(value), 0))

    def _load(self, w: Witness | None) -> None:
        if w is None:
            self.consent_group.button(CONSENT_UNKNOWN).setChecked(True)
            self._update_consent_enabled()
            return
        self.pseudonym.setText(w.pseudonym)
        self._pick(self.age, w.age_group.value)
        self._pick(self.gender, w.gender.value)
        self._pick(self.role, w.role.value)
        self.risk.setPlainText(w.risk_notes)
        i = w.identifying or IdentifyingDetails()
        self.full_name.setText(i.full_name)
        self.contact.setText(i.contact)
        self.address.setText(i.address)
        self.ident_notes.setText(i.notes)
        c = w.consent
        if c is None:
            self.consent_group.button(CONSENT_UNKNOWN).setChecked(True)
        else:
            self.consent_group.button(CONSENT_GIVEN if c.given else CONSENT_DECLINED).setChecked(
                True
            )
            self._pick(self.method, c.method.value)
            self.consent_date.setText(c.recorded_on)
            self.scope_coalition.setChecked(c.scope.coalition_use)
            self.scope_kp.setChecked(c.scope.share_with_kp)
            self.scope_publish.setChecked(c.scope.publish_anonymised)
            self.scope_recontact.setChecked(c.scope.recontact)
            self.scope_identity.setChecked(c.scope.identity_to_hq)
            self.consent_notes.setText(c.notes)
        self.send_identity.setChecked(w.send_identity)
        self._update_consent_enabled()

    def _update_consent_enabled(self) -> None:
        given = self.consent_group.checkedId() == CONSENT_GIVEN
        recorded = self.consent_group.checkedId() != CONSENT_UNKNOWN
        for w in (self.method, self.consent_date, self.consent_notes):
            w.setEnabled(recorded)
        self.recording.show_for(
            recorded and self.method.currentData() == ConsentMethod.VERBAL_RECORDED.value,
            editable=not self.read_only,
        )
        if self.isVisible():
            self._fit_to_content()
        for box in self._scope_boxes():
            box.setEnabled(given and not self.read_only)
        allowed = given and self.scope_identity.isChecked()
        self.send_identity.setEnabled(allowed and not self.read_only)
        _ = self.ctx.gettext
        if allowed and self.send_identity.isChecked():
            where = _(
                "These details go to HQ inside the encrypted bundle, as a separate file HQ can "
                "delete, with the next export of a report sealed with them."
            )
        else:
            where = _("These details stay on this laptop only: no bundle carries them.")
        self.identity_where.setText(where)
        o = self.original
        # Also on a sealed report's (read-only) witness: withdrawal changes no seal.
        self.withdraw_button.setVisible(bool(o and o.id and o.consent and o.consent.given))

    def witness(self) -> Witness:
        """The witness as filled in (id blank for a new one; the service assigns it)."""
        choice = self.consent_group.checkedId()
        consent = None
        if choice != CONSENT_UNKNOWN:
            given = choice == CONSENT_GIVEN
            method = ConsentMethod(str(self.method.currentData()))
            consent = Consent(
                given=given,
                method=method,
                recorded_on=self.consent_date.text().strip(),
                scope=ConsentScope(
                    coalition_use=given and self.scope_coalition.isChecked(),
                    share_with_kp=given and self.scope_kp.isChecked(),
                    publish_anonymised=given and self.scope_publish.isChecked(),
                    recontact=given and self.scope_recontact.isChecked(),
                    identity_to_hq=given and self.scope_identity.isChecked(),
                ),
                notes=self.consent_notes.text().strip(),
                recording_sha256=self.recording.sha256()
                if method is ConsentMethod.VERBAL_RECORDED
                else "",
            )
        identifying = IdentifyingDetails(
            full_name=self.full_name.text().strip(),
            contact=self.contact.text().strip(),
            address=self.address.text().strip(),
            notes=self.ident_notes.text().strip(),
        )
        base = self.original or Witness(id=WitnessId(""), pseudonym="")
        return replace(
            base,
            pseudonym=self.pseudonym.text().strip(),
            age_group=AgeGroup(str(self.age.currentData())),
            gender=Gender(str(self.gender.currentData())),
            role=WitnessRole(str(self.role.currentData())),
            risk_notes=self.risk.toPlainText(),
            identifying=None if identifying.is_empty() else identifying,
            consent=consent,
            send_identity=self.send_identity.isEnabled() and self.send_identity.isChecked(),
        )

    def done(self, result: int) -> None:
        """Close, then forget what was shown: the dialog object may live on hidden, and it must
        not keep a witness's identity in memory (handlers of accepted() have read it by now)."""
        super().done(result)
        for edit in self.findChildren(QLineEdit):
            edit.clear()
        for text in self.findChildren(QPlainTextEdit):
            text.clear()

    def reject(self) -> None:
        """Escape, Cancel or the close box: ask first when something typed would be lost."""
        if self.read_only or not self.isVisible() or self.witness() == self._as_opened:
            super().reject()
            return
        _ = self.ctx.gettext
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Discard this witness?"),
            _("What you typed for this witness has not been saved. Throw it away?"),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("discardWitness")
        keep = box.addButton(_("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        discard = box.addButton(_("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)  # a second Escape keeps the witness, it never discards
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda b: self.discard() if b is discard else None)
        box.open()

    def discard(self) -> None:
        """Close without saving and without asking (panic wipe, or the monitor said so)."""
        super().reject()

    def keep_for_lock(self) -> None:
        """The vault is locking with this dialog open: save what was typed rather than lose it
        (a missing pseudonym gets a placeholder the monitor can change later)."""
        if self.read_only or not self._has_content():
            self.discard()
            return
        if not self.pseudonym.text().strip():
            self.pseudonym.setText(self.ctx.gettext("Unnamed witness (saved at lock)"))
        self.accept()

    def _has_content(self) -> bool:
        texts = (self.pseudonym, self.full_name, self.contact, self.address, self.ident_notes)
        return (
            any(t.text().strip() for t in texts)
            or bool(self.risk.toPlainText().strip())
            or self.consent_group.checkedId() != CONSENT_UNKNOWN
            or self.original is not None
        )

    def _withdraw(self) -> None:
        """Record the withdrawal through the service, then close without saving what is shown
        (saving would put back the identity the withdrawal erased)."""
        w = self.original
        if w is None:
            return
        dialog = WithdrawConsentDialog(self.ctx, w, parent=self)
        dialog.accepted.connect(lambda: self._record_withdrawal(w.id, dialog))
        dialog.open()  # window-modal, not a nested event loop: the GUI thread keeps painting

    def _record_withdrawal(self, wid: WitnessId, dialog: WithdrawConsentDialog) -> None:
        scopes, on = dialog.scopes(), dialog.withdrawn_on()
        self.withdraw_button.setEnabled(False)
        op = self.ctx.runner.call(
            lambda s: s.field().witnesses.withdraw_consent(wid, scopes, withdrawn_on=on)
        )
        op.success(lambda _r: self.reject())
        op.failure(self._withdraw_failed)

    def _withdraw_failed(self, exc: BaseException) -> None:
        self.withdraw_button.setEnabled(True)
        self.error.setText(user_message(exc, self.ctx.gettext))

    def _accept(self) -> None:
        _ = self.ctx.gettext
        if not self.pseudonym.text().strip():
            self.error.setText(_("Give the witness a pseudonym."))
            self.pseudonym.setFocus()
            return
        if self.consent_group.checkedId() != CONSENT_UNKNOWN:
            try:
                date.fromisoformat(self.consent_date.text().strip())
            except ValueError:
                self.error.setText(_("Write the date consent was given as YYYY-MM-DD."))
                self.consent_date.setFocus()
                return
        self.accept()
