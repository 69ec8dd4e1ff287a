"""Review of one case: state with a reason, a link to another report, and analyst notes.
Every action goes through CaseService, which logs it (witness identities are shown and deleted
in identity_panel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from kpfield.domain.desk import REVIEW_LABELS, ReviewState
from kpfield.gui.context import AppContext
from kpfield.gui.tasks import user_message
from kpfield.services.desk import CaseView

if TYPE_CHECKING:
    from kpfield.app import Session


class ReviewPanel(QWidget):
    acted = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.ctx = ctx
        _ = ctx.gettext
        self.view: CaseView | None = None
        self.state = QComboBox()
        self.state.setObjectName("reviewState")
        for st, label in REVIEW_LABELS.items():
            self.state.addItem(_(label), st.value)
        self.reason = QLineEdit()
        self.reason.setObjectName("reviewReason")
        self.reason.setPlaceholderText(_("Reason (needed for duplicate and rejected)"))
        self.save = QPushButton(_("Set review state"))
        self.save.setObjectName("reviewSave")
        self.save.clicked.connect(self.set_state)
        self.link_to = QLineEdit()
        self.link_to.setObjectName("linkTo")
        self.link_to.setPlaceholderText(_("Id of a report of the same incident"))
        self.link_button = QPushButton(_("Link"))
        self.link_button.setObjectName("linkButton")
        self.link_button.clicked.connect(self.link)
        self.note = QLineEdit()
        self.note.setObjectName("noteText")
        self.note.setPlaceholderText(_("Analyst note"))
        self.note_button = QPushButton(_("Add note"))
        self.note_button.setObjectName("noteButton")
        self.note_button.clicked.connect(self.add_note)
        self.links = QLabel()
        self.links.setObjectName("caseLinks")
        self.links.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("caseNotes")
        self.notes.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("reviewError")
        self.error.setStyleSheet("color: #a32020;")
        self.error.setWordWrap(True)
        form = self.form = QFormLayout(self)
        form.addRow(_("Review"), self._row(self.state, self.save))
        form.addRow(_("Reason"), self.reason)
        form.addRow(_("Same incident"), self._row(self.link_to, self.link_button))
        form.addRow("", self.links)
        form.addRow(_("Notes"), self._row(self.note, self.note_button))
        form.addRow("", self.notes)
        form.addRow("", self.error)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Rows of links, notes and errors take room only when they say something: the case's
        text above keeps it (at 1366×728 every line counts)."""
        for label in (self.links, self.notes, self.error):
            self.form.setRowVisible(label, bool(label.text()))

    @staticmethod
    def _row(*widgets: QWidget) -> QWidget:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        for x in widgets:
            row.addWidget(x, 1 if isinstance(x, QLineEdit) else 0)
        return w

    def show_case(self, v: CaseView | None) -> None:
        _ = self.ctx.gettext
        self.view = v
        self.setEnabled(v is not None)
        if v is None:
            self.links.clear()
            self.notes.clear()
            self._fit_rows()
            return
        self.state.setCurrentIndex(max(0, self.state.findData(v.review_state)))
        self.reason.setText(v.review_reason)
        self.links.setText(
            _("Linked: {ids}").format(ids=", ".join(i[:8] for i in v.links)) if v.links else ""
        )
        self.notes.setText(
            "\n".join(f"{at[:16].replace('T', ' ')}  {text}" for at, text in v.notes)
        )
        self._fit_rows()

    def _run(self, fn: Callable[[Session], object]) -> None:
        self.error.clear()
        self._fit_rows()

        def failed(exc: BaseException) -> None:
            self.error.setText(user_message(exc, self.ctx.gettext))
            self._fit_rows()

        op = self.ctx.runner.call(fn)
        op.success(lambda _c: self.acted.emit()).failure(failed)

    def set_state(self) -> None:
        if self.view is None:
            return
        rid, state, reason = (
            self.view.report_id,
            ReviewState(self.state.currentData()),
            self.reason.text(),
        )
        self._run(lambda s: s.hq().cases.review(rid, state, reason))

    def link(self) -> None:
        if self.view is None or not self.link_to.text().strip():
            return
        rid, other = self.view.report_id, self.link_to.text().strip()

        def work(s):  # type: ignore[no-untyped-def]
            cases = s.hq().cases
            return cases.link(rid, cases.resolve(other))

        self._run(work)
        self.link_to.clear()

    def add_note(self) -> None:
        if self.view is None:
            return
        rid, text = self.view.report_id, self.note.text()
        self._run(lambda s: s.hq().cases.add_note(rid, text))
        self.note.clear()
