"""The witnesses a report cites: add new, cite an existing one, edit, remove from this report."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.domain.ids import ReportId, WitnessId
from kpfield.domain.models import Attachment, Report, Witness
from kpfield.gui.context import AppContext
from kpfield.gui.labels import ROLE
from kpfield.gui.tasks import user_message
from kpfield.gui.witness_dialog import WitnessDialog


class WitnessPanel(QWidget):
    report_changed = Signal(object)  # the Report after its witness list changed

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.report_id: ReportId | None = None
        self.cited: list[Witness] = []
        self.read_only = False
        # The open report's attachments as the editor holds them now (its audio files can hold
        # a witness's spoken consent); set by the report editor.
        self.attachments: Callable[[], list[Attachment]] = list
        v = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Witnesses are recorded under a pseudonym. Their consent must be recorded "
                "before the report can be sealed."
            )
        )
        intro.setWordWrap(True)  # unwrapped, French and Portuguese made the window too wide
        v.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("witnessList")
        v.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("New witness…"))
        self.add_button.setObjectName("newWitness")
        self.edit_button = QPushButton(_("Open…"))
        self.edit_button.setObjectName("editWitness")
        self.remove_button = QPushButton(_("Remove from this report"))
        self.remove_button.setObjectName("removeWitness")
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        v.addLayout(row)
        row2 = QHBoxLayout()
        self.existing_label = QLabel(_("Or cite a witness already in the vault:"))
        row2.addWidget(self.existing_label)
        self.existing = QComboBox()
        self.existing.setObjectName("existingWitness")
        self.existing.setMinimumContentsLength(16)
        # Sized to its longest pseudonym it pushed the window wider than a 1366 screen.
        self.existing.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        row2.addWidget(self.existing, 1)
        self.cite_button = QPushButton(_("Cite"))
        self.cite_button.setObjectName("citeWitness")
        row2.addWidget(self.cite_button)
        v.addLayout(row2)
        self.add_button.clicked.connect(self.new_witness)
        self.edit_button.clicked.connect(self.open_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.cite_button.clicked.connect(self.cite_existing)
        self.list.itemActivated.connect(lambda _i: self.open_selected())
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        self._update_buttons()

    def load(self, report: Report, witnesses: list[Witness]) -> None:
        self.report_id = report.id
        self.read_only = not report.is_draft
        self.cited = list(witnesses)
        self.list.clear()
        for w in witnesses:
            item = QListWidgetItem(self._describe(w))
            item.setData(Qt.ItemDataRole.UserRole, w.id)
            self.list.addItem(item)
        self._refresh_existing()
        self._update_buttons()

    def clear(self) -> None:
        self.report_id = None
        self.cited = []
        self.list.clear()
        self.existing.clear()

    def _describe(self, w: Witness) -> str:
        _ = self.ctx.gettext
        if w.consent is None:
            consent = _("consent not recorded")
        elif w.consent.given:
            consent = _("consent given")
        else:
            consent = _("consent declined")
        return f"{w.pseudonym} — {_(ROLE[w.role])} — {consent}"

    def _refresh_existing(self) -> None:
        cited = {w.id for w in self.cited}

        def show(all_witnesses: list[Witness]) -> None:
            self.existing.clear()
            for w in all_witnesses:
                if w.id not in cited:
                    self.existing.addItem(w.pseudonym, w.id)
            self._update_buttons()

        self.ctx.runner.call(lambda s: s.reports.list_witnesses()).success(show)

    def _update_buttons(self) -> None:
        editable = self.report_id is not None and not self.read_only
        selected = self.list.currentRow() >= 0
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(editable and selected)
        self.edit_button.setEnabled(selected)
        self.cite_button.setEnabled(editable and self.existing.count() > 0)
        self.existing.setEnabled(editable)

    def _selected(self) -> Witness | None:
        row = self.list.currentRow()
        return self.cited[row] if 0 <= row < len(self.cited) else None

    # ---------------------------------------------------------------- actions
    def new_witness(self) -> None:
        dialog = WitnessDialog(self.ctx, recordings=self.attachments(), parent=self)
        dialog.accepted.connect(lambda: self._save(dialog.witness(), add=True))
        dialog.open()

    def open_selected(self) -> None:
        w = self._selected()
        if w is None:
            return
        dialog = WitnessDialog(
            self.ctx, w, read_only=self.read_only, recordings=self.attachments(), parent=self
        )
        if not self.read_only:
            dialog.accepted.connect(lambda: self._save(dialog.witness(), add=False))
        dialog.open()

    def _save(self, witness: Witness, add: bool) -> None:
        rid = self.report_id
        if rid is None:
            return
        ids = [w.id for w in self.cited]

        def work(s: Session) -> tuple[Report, list[Witness]]:
            saved = s.reports.save_witness(witness)
            wanted = [*ids, saved.id] if add else ids
            report = s.reports.set_witnesses(rid, wanted)
            return report, s.reports.view(rid).witnesses

        self.ctx.runner.call(work).success(self._changed).failure(self._error)

    def cite_existing(self) -> None:
        wid = self.existing.currentData()
        if not wid or self.report_id is None:
            return
        self._set([*(w.id for w in self.cited), WitnessId(str(wid))])

    def remove_selected(self) -> None:
        w = self._selected()
        if w is None:
            return
        self._set([x.id for x in self.cited if x.id != w.id])

    def _set(self, wids: list[WitnessId]) -> None:
        rid = self.report_id
        if rid is None:
            return

        def work(s: Session) -> tuple[Report, list[Witness]]:
            report = s.reports.set_witnesses(rid, wids)
            return report, s.reports.view(rid).witnesses

        self.ctx.runner.call(work).success(self._changed).failure(self._error)

    def _changed(self, result: tuple[Report, list[Witness]]) -> None:
        report, witnesses = result
        if report.id != self.report_id:
            return
        self.load(report, witnesses)
        self.report_changed.emit(report)

    def _error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, self.ctx.gettext("Witness"), user_message(exc, self.ctx.gettext))
