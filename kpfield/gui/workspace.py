"""The unlocked app: report list on the left, the open report on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QSplitter, QWidget

from kpfield.domain.ids import ReportId
from kpfield.domain.models import Report
from kpfield.gui.changes import report_changed
from kpfield.gui.confirm import confirm
from kpfield.gui.context import AppContext
from kpfield.gui.custody_dialog import CustodyDialog
from kpfield.gui.help_window import set_help_page
from kpfield.gui.report_editor import ReportEditor
from kpfield.gui.report_list import ReportList
from kpfield.gui.report_table_model import row_of_report
from kpfield.gui.seal_dialog import SealDialog
from kpfield.gui.tasks import Op, user_message


class Workspace(QWidget):
    """The list, the editor and the status bar refresh themselves on ``runner.changed``."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("workspace")
        h = QHBoxLayout(self)
        h.setContentsMargins(6, 6, 6, 6)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.list = ReportList(ctx)
        self.editor = ReportEditor(ctx)
        self.splitter.addWidget(self.list)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([460, 890])
        h.addWidget(self.splitter)
        # F1 opens the page about what has the focus.
        set_help_page(self, "editor")
        set_help_page(self.editor.witnesses, "witnesses")
        notes_tab = self.editor.notes.parentWidget()
        if notes_tab is not None:
            set_help_page(notes_tab, "data")  # where each kind of note goes
        self.list.report_activated.connect(self.open_report)
        self.editor.saved.connect(self._saved)
        self.editor.seal_requested.connect(self.seal)
        self.editor.amend_requested.connect(self.amend)
        self.editor.trail_requested.connect(self.show_trail)
        self.editor.delete_requested.connect(self.delete_draft)

    def start(self) -> None:
        self.list.reload()

    def open_report(self, report_id: str) -> None:
        if self.editor.report is not None and self.editor.report.id == report_id:
            return
        self.editor.open_report(report_id)

    def flush(self) -> Op[Report] | None:
        return self.editor.flush()

    def new_report(self) -> None:
        self.flush()

        def created(report: Report) -> None:
            self.list.expect(report.id)  # the broadcast reloads the list
            self.editor.open_report(report.id).success(
                lambda _v: self.editor.incident.title.setFocus()
            )
            self.editor.tabs.setCurrentIndex(0)

        self.ctx.runner.call(lambda s: s.reports.new_draft()).success(created).announces(
            report_changed
        )

    def _saved(self, report: Report | None) -> None:
        if report is not None and not self.list.model.update_report(row_of_report(report)):
            self.list.reload()

    # ---------------------------------------------------------------- seal / amend / trail
    def seal(self, report_id: str) -> None:
        def ask(problems: list[tuple[str, str]]) -> None:
            dialog = SealDialog(self.ctx, report_id, problems, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.go_to.connect(self.editor.focus_field)
            dialog.open()  # sealing announces the change: the list and the editor refresh

        self.ctx.runner.call(lambda s: s.reports.missing_for_seal(report_id)).success(ask)

    def amend(self, report_id: str) -> None:
        """Ask first: amending makes a new draft version; the sealed one stays as it is."""
        _ = self.ctx.gettext
        report = self.editor.report
        version = report.version + 1 if report is not None and report.id == report_id else 2
        confirm(
            self,
            name="confirmAmend",
            title=_("Amend"),
            text=_(
                "Make version {n} of this report to correct it? The sealed version stays exactly "
                "as it is and is kept; the new version is a draft until you seal it."
            ).format(n=version),
            yes=_("Make version {n}").format(n=version),
            no=_("Cancel"),
            then=lambda: self._amend_now(report_id),
            destructive=False,
        )

    def delete_draft(self, report_id: str) -> None:
        _ = self.ctx.gettext
        confirm(
            self,
            name="confirmDelete",
            title=_("Delete draft"),
            text=_(
                "Delete this draft and its photos from this laptop for good? This cannot be "
                "undone. The custody trail records that a draft was deleted, not what it said."
            ),
            yes=_("Delete draft"),
            no=_("Cancel"),
            then=lambda: self._delete_now(report_id),
        )

    def _delete_now(self, report_id: str) -> None:
        def failed(exc: BaseException) -> None:
            _ = self.ctx.gettext
            QMessageBox.warning(self, _("Delete draft"), user_message(exc, _))

        if self.editor.report is not None and self.editor.report.id == report_id:
            self.editor.discard_pending()  # no autosave may bring it back
        self.ctx.runner.call(lambda s: s.reports.delete_draft(ReportId(report_id))).failure(
            failed
        ).announces(report_changed)

    def _amend_now(self, report_id: str) -> None:
        def made(report: Report) -> None:
            self.list.expect(report.id)  # the broadcast reloads the list with the new version
            self.editor.open_report(report.id)

        def failed(exc: BaseException) -> None:
            _ = self.ctx.gettext
            QMessageBox.warning(self, _("Amend"), user_message(exc, _))

        self.ctx.runner.call(lambda s: s.reports.amend(report_id)).success(made).failure(
            failed
        ).announces(report_changed)

    def show_trail(self, report_id: str) -> None:
        dialog = CustodyDialog(self.ctx, report_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
