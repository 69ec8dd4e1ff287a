"""Seal: what is missing, or a plain-words confirmation, then sealing off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.models import Report
from kpfield.gui.changes import report_changed
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.labels import problem_text
from kpfield.gui.tasks import Op, user_message


class SealDialog(QDialog):
    sealed = Signal(object)  # the sealed Report
    go_to = Signal(str)  # a missing field's path: the editor shows it (the dialog closes)

    def __init__(
        self,
        ctx: AppContext,
        report_id: str,
        problems: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report_id = report_id
        self.op: Op[Report] | None = None
        _ = ctx.gettext
        self.setObjectName("sealDialog")
        set_help_page(self, "editor")
        self.setWindowTitle(_("Seal the report"))
        self.setMinimumWidth(560)
        v = QVBoxLayout(self)
        self.buttons = QDialogButtonBox()
        self.seal_button: QPushButton | None = None
        if problems:
            intro = QLabel(_("This report cannot be sealed yet. Still missing:"))
            intro.setWordWrap(True)
            v.addWidget(intro)
            self.missing = QListWidget()
            self.missing.setObjectName("missingList")
            for path, what in problems:
                item = QListWidgetItem(problem_text(path, what, _))
                item.setData(Qt.ItemDataRole.UserRole, path)
                item.setToolTip(_("Go to this field"))
                self.missing.addItem(item)
            self.missing.setCurrentRow(0)
            self.missing.itemClicked.connect(self._go)
            self.missing.itemActivated.connect(self._go)  # Enter, as well as a click
            v.addWidget(self.missing)
            hint = QLabel(_("Click a line (or press Enter on it) to go to that field."))
            hint.setObjectName("missingHint")
            hint.setWordWrap(True)
            v.addWidget(hint)
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        else:
            text = QLabel(
                _(
                    "Sealing signs this report with this laptop's key and records it in the "
                    "custody log. After that it can never be changed. If something needs "
                    "correcting later, you will make a new version with Amend; the sealed one "
                    "stays as it is. Seal it now?"
                )
            )
            text.setWordWrap(True)
            v.addWidget(text)
            self.seal_button = self.buttons.addButton(
                _("Seal this report"), QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.seal_button.setObjectName("confirmSeal")
            self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        v.addWidget(self.progress)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        v.addWidget(self.error)
        v.addWidget(self.buttons)
        self.buttons.accepted.connect(self._seal)
        self.buttons.rejected.connect(self._cancel)

    def _go(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        self.reject()
        self.go_to.emit(str(path))

    def _seal(self) -> None:
        if self.seal_button is None or self.op is not None:
            return
        self.seal_button.setEnabled(False)
        self.progress.show()
        rid = self.report_id
        op = self.ctx.runner.job(lambda s, job: s.reports.seal(rid, cancel=job.cancelled))
        op.announces(report_changed)
        self.op = op
        op.success(self._done).failure(self._failed)

    def _cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()  # checked between photos; nothing is committed when cancelled
        self.reject()

    def _done(self, report: Report) -> None:
        self.op = None
        self.sealed.emit(report)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.op = None
        self.progress.hide()
        if self.seal_button is not None:
            self.seal_button.setEnabled(True)
        self.error.setText(user_message(exc, self.ctx.gettext))
