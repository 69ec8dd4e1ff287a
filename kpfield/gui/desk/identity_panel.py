"""The open case's witnesses and the identifying details HQ holds for them.

Shown by default: only whether HQ holds details, never the details. "Show identifying details"
goes through ``CaseService.reveal``, which logs the reveal; "Delete identifying details…" asks
for a reason and goes through the identity service, which logs the deletion. The sealed report
holds only a salted hash of the details, so deleting them leaves the seal verifying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.jobs import Changes
from kpfield.errors import N_
from kpfield.gui.context import AppContext
from kpfield.gui.desk.delete_identity_dialog import DeleteIdentityDialog
from kpfield.gui.help_page import set_help_page
from kpfield.gui.tasks import user_message
from kpfield.services.desk import CaseView, WitnessView
from kpfield.services.hq_identities import HeldIdentity

DETAIL_LABELS = {
    "full_name": N_("Full name"),
    "contact": N_("How to reach them"),
    "address": N_("Address"),
    "notes": N_("Notes"),
}
"""The witness dialog's own words for each identifying detail, in its order."""


@dataclass
class _Row:
    witness: WitnessView
    state: QLabel
    show: QPushButton
    delete: QPushButton
    details: QLabel
    shown: dict[str, str] = field(default_factory=dict)


class IdentityPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityPanel")
        set_help_page(self, "identities")
        self.ctx = ctx
        self.view: CaseView | None = None
        self.rows: dict[str, _Row] = {}
        self.dialog: DeleteIdentityDialog | None = None
        self.grid_host = QWidget()
        self.grid = QVBoxLayout(self.grid_host)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.none = QLabel(ctx.gettext("No witnesses."))
        scroll = QScrollArea()
        scroll.setWidget(self.grid_host)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.error = QLabel()
        self.error.setObjectName("identityError")
        self.error.setStyleSheet("color: #a32020;")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.none)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)

    def show_case(self, v: CaseView | None) -> None:
        """Rebuild the rows; details already shown stay shown while the same case is open."""
        kept = (
            {wid: r.shown for wid, r in self.rows.items() if r.shown}
            if v is not None and self.view is not None and v.report_id == self.view.report_id
            else {}
        )
        self.view = v
        self.error.clear()
        self._clear_rows()
        self.none.setVisible(v is not None and not v.witnesses)
        for w in v.witnesses if v is not None else ():
            row = self._add_row(w)
            if w.has_identity and kept.get(w.witness_id):
                self._show_details(row, kept[w.witness_id])
        self.grid.addStretch(1)

    def held_count(self) -> int:
        return sum(r.witness.has_identity for r in self.rows.values())

    def _clear_rows(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.hide()  # out of the layout now; drawn where it was until deleted
                widget.deleteLater()
        self.rows = {}

    def _add_row(self, w: WitnessView) -> _Row:
        _ = self.ctx.gettext
        state = QLabel(self._state_text(w))
        state.setObjectName("identityState")
        state.setTextFormat(Qt.TextFormat.PlainText)
        state.setWordWrap(True)
        show = QPushButton(_("Show identifying details"))
        show.setObjectName("identityShow")
        show.setEnabled(w.has_identity and bool(w.consent.get("coalition_use")))
        delete = QPushButton(_("Delete identifying details…"))
        delete.setObjectName("identityDelete")
        delete.setEnabled(w.identity_apart)
        details = QLabel()
        details.setObjectName("identityDetails")
        details.setTextFormat(Qt.TextFormat.PlainText)  # what a monitor typed is never markup
        details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        details.setWordWrap(True)
        details.hide()
        row = _Row(w, state, show, delete, details)
        show.clicked.connect(lambda: self.toggle(w.witness_id))
        delete.clicked.connect(lambda: self.ask_delete(w.witness_id))
        # One block a witness: who, what HQ holds, the two actions, the details once shown.
        block = QWidget()
        block.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lines = QVBoxLayout(block)
        lines.setContentsMargins(0, 0, 0, 6)
        name = QLabel(f"<b>{escape(w.pseudonym or '—')}</b>")
        name.setTextFormat(Qt.TextFormat.RichText)
        actions = QHBoxLayout()
        actions.addWidget(show)
        actions.addWidget(delete)
        actions.addStretch(1)
        for widget in (name, state):
            lines.addWidget(widget)
        lines.addLayout(actions)
        lines.addWidget(details)
        self.grid.addWidget(block)
        block.show()  # now, not at the next turn of the event loop (the old rows are hidden)
        self.rows[w.witness_id] = row
        return row

    def _state_text(self, w: WitnessView) -> str:
        _ = self.ctx.gettext
        if not w.has_identity:
            return _("HQ holds no identifying details.")
        if w.identity_apart:
            text = _("HQ holds identifying details, apart from the sealed report.")
        else:
            text = _(
                "The identifying details are inside the sealed report (sent before bundle"
                " format 2): they cannot be deleted there."
            )
        if not w.consent.get("coalition_use"):
            text += " " + _("The witness's consent does not allow showing them.")
        return text

    # ---------------------------------------------------------------- show (logged)
    def toggle(self, witness_id: str) -> None:
        row = self.rows.get(witness_id)
        if row is None or self.view is None:
            return
        if row.shown:
            self._hide_details(row)
            return
        rid = self.view.report_id
        self.error.clear()

        def shown(details: dict[str, str]) -> None:
            current = self.rows.get(witness_id)
            if self.view is None or self.view.report_id != rid or current is None:
                return  # another case was opened meanwhile: show nothing
            if not details:
                _ = self.ctx.gettext
                self.error.setText(_("There is nothing HQ may show for this witness."))
                return
            self._show_details(current, details)

        # The reveal is in the case's audit log: announce it so the log on screen shows it.
        op = self.ctx.runner.call(lambda s: s.hq().cases.reveal(rid, witness_id))
        op.announces(lambda _d: Changes(reports=frozenset({rid}), cases=True))
        op.success(shown).failure(self._failed)

    def _show_details(self, row: _Row, details: dict[str, str]) -> None:
        row.shown = dict(details)
        _ = self.ctx.gettext
        known = [k for k in DETAIL_LABELS if k in details]
        lines = [f"{_(DETAIL_LABELS[k])}: {details[k]}" for k in known]
        lines += [f"{k}: {details[k]}" for k in sorted(set(details) - DETAIL_LABELS.keys())]
        row.details.setText("\n".join(lines))
        row.details.show()
        row.show.setText(self.ctx.gettext("Hide identifying details"))

    def _hide_details(self, row: _Row) -> None:
        row.shown = {}
        row.details.clear()
        row.details.hide()
        row.show.setText(self.ctx.gettext("Show identifying details"))

    # ---------------------------------------------------------------- delete (logged)
    def ask_delete(self, witness_id: str) -> DeleteIdentityDialog | None:
        row = self.rows.get(witness_id)
        if row is None or not row.witness.identity_apart:
            return None
        dialog = DeleteIdentityDialog(row.witness.pseudonym, witness_id, self.ctx.gettext, self)
        dialog.finished.connect(lambda result: self._decided(dialog, witness_id, result))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _decided(self, dialog: DeleteIdentityDialog, witness_id: str, result: int) -> None:
        reason = dialog.reason_text()
        dialog.deleteLater()
        self.dialog = None
        if result != QDialog.DialogCode.Accepted or self.view is None:
            return
        rid = self.view.report_id
        if (row := self.rows.get(witness_id)) is not None:
            self._hide_details(row)
        self.error.clear()

        def changes(gone: HeldIdentity) -> Changes:
            return Changes(reports=frozenset({rid, *gone.reports}), cases=True)

        op = self.ctx.runner.call(lambda s: s.hq().identities.delete(witness_id, reason))
        op.announces(changes).failure(self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(user_message(exc, self.ctx.gettext))
