"""Export to USB / Import bundles: a progress bar, Cancel, and the result in plain words.

The work runs on the task runner's store thread (the one that owns the SQLCipher session); this
dialog only paints. ``export_dialog`` and ``import_dialog`` build it for the two menu actions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.app import Session
from kpfield.gui.changes import TRANSFERRED, transferred
from kpfield.gui.help_page import set_help_page
from kpfield.gui.tasks import Job, Op, TaskRunner, user_message

Gettext = Callable[[str], str]
Work = Callable[[Session, Job], Any]
Summary = Callable[[Any], str]


class TransferDialog(QDialog):
    """Runs one transfer job with progress and Cancel; shows what happened."""

    def __init__(
        self,
        runner: TaskRunner,
        gettext: Gettext,
        title: str,
        work: Work,
        summary: Summary,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ = gettext
        self.setObjectName("transferDialog")
        set_help_page(self, "sending")
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.result: Any = None
        self.error: BaseException | None = None
        v = QVBoxLayout(self)
        self.status = QLabel(gettext("Working… you can cancel at any time."))
        self.status.setWordWrap(True)
        v.addWidget(self.status)
        self.bar = QProgressBar()
        self.bar.setObjectName("transferProgress")
        self.bar.setRange(0, 0)
        v.addWidget(self.bar)
        self.text = QPlainTextEdit()
        self.text.setObjectName("transferResult")
        self.text.setReadOnly(True)
        self.text.hide()
        v.addWidget(self.text)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton(gettext("Cancel"))
        self.close_button = QPushButton(gettext("Close"))
        self.close_button.setEnabled(False)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.AcceptRole)
        v.addWidget(buttons)
        self.cancel_button.clicked.connect(self._cancel)
        self.close_button.clicked.connect(self.accept)
        self._summary = summary
        self._runner = runner
        self.op: Op[Any] = (
            runner.job(work)
            .progress(self._progress)
            .success(self._done)
            .failure(self._failed)
            .announces(transferred)
        )

    @property
    def finished_work(self) -> bool:
        return self.op.done

    def _progress(self, done: int, total: int) -> None:
        if total <= 0:
            return
        # QProgressBar holds an int: scale byte counts to per-mille.
        self.bar.setRange(0, 1000)
        self.bar.setValue(min(1000, done * 1000 // total))

    def _cancel(self) -> None:
        self.op.cancel()
        self.cancel_button.setEnabled(False)
        self.status.setText(self._("Cancelling… nothing half-done will be kept."))

    def _finish(self, message: str, details: str) -> None:
        self.status.setText(message)
        self.bar.setRange(0, 1000)
        self.cancel_button.setEnabled(False)
        self.close_button.setEnabled(True)
        self.close_button.setFocus()
        if details:
            self.text.setPlainText(details)
            self.text.show()

    def _done(self, result: Any) -> None:
        self.result = result
        self.bar.setValue(1000)
        self._finish(self._("Done."), self._summary(result))

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        # Bundles finished before a cancel or an error stay done: the screens must show them.
        self._runner.announce(TRANSFERRED)
        self.bar.hide()  # an empty bar next to an error reads as "still working"
        self.status.setStyleSheet("color: #a32020;")
        self._finish(user_message(exc, self._), "")

    def dismiss(self) -> None:
        """At lock or wipe: cancel the job and close at once (results are content too)."""
        if not self.op.done:
            self.op.cancel()
        self.text.clear()
        QDialog.done(self, QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Escape or closing the window cancels a running job first."""
        if not self.op.done:
            self._cancel()
            return
        super().reject()


def export_dialog(
    runner: TaskRunner,
    gettext: Gettext,
    folder: Path,
    parent: QWidget | None = None,
    *,
    again: bool = False,
) -> TransferDialog:
    """Vault → Export to USB (field): every sealed report not yet exported; with ``again``, also
    those exported or sent before (a lost or damaged stick)."""
    from kpfield.services.export import ExportResult

    def work(session: Session, job: Job) -> ExportResult:
        return session.field().export.to_folder(
            folder, again=again, progress=job.progress, cancel=job.cancelled
        )

    def summary(result: ExportResult) -> str:
        if not result.bundles and again:
            return gettext("Nothing to export: there is no sealed report on this laptop.")
        if not result.bundles:
            return gettext(
                "Nothing new to export: every sealed report is on a stick already. If a stick "
                "was lost or damaged, use Vault → Export again."
            )
        lines = [
            gettext("Bundle {sequence}: {count} report(s), checked on the stick.").format(
                sequence=b.sequence, count=b.reports
            )
            for b in result.bundles
        ]
        lines.append(gettext("You can remove the stick safely."))
        return "\n".join(lines)

    title = gettext("Export again to USB") if again else gettext("Export to USB")
    return TransferDialog(runner, gettext, title, work, summary, parent=parent)


def import_dialog(
    runner: TaskRunner,
    gettext: Gettext,
    paths: Sequence[Path],
    receipts_dir: Path | None = None,
    parent: QWidget | None = None,
) -> TransferDialog:
    """File → Import (HQ): bundle files and folders, one line per bundle, then gaps."""
    from kpfield.domain.sequences import format_ranges
    from kpfield.services.intake import ImportResult

    def work(session: Session, job: Job) -> ImportResult:
        return session.hq().intake.import_paths(
            list(paths),
            receipts_dir=receipts_dir,
            progress=job.progress,
            cancel=job.cancelled,
        )

    def summary(result: ImportResult) -> str:
        lines = [o.line(gettext) for o in result.outcomes]
        lines += [
            gettext("Device {device} is missing bundle(s) {numbers}.").format(
                device=device, numbers=format_ranges(missing)
            )
            for device, missing in sorted(result.gaps.items())
        ]
        return "\n".join(lines) or gettext("No bundles were found there.")

    title = gettext("Import bundles")
    dialog = TransferDialog(runner, gettext, title, work, summary, parent=parent)
    set_help_page(dialog, "intake")  # HQ's import: the intake page, not the monitor's sending
    return dialog


def receipts_dialog(
    runner: TaskRunner, gettext: Gettext, folder: Path, parent: QWidget | None = None
) -> TransferDialog:
    """Vault → Import receipts (field): HQ's signed receipts from a stick acknowledge reports."""
    from kpfield.services.acknowledgement import ReceiptsResult

    def work(session: Session, job: Job) -> ReceiptsResult:
        return session.field().acknowledgements.import_receipts(
            folder, progress=job.progress, cancel=job.cancelled
        )

    def summary(result: ReceiptsResult) -> str:
        if not result.receipts and not result.problems:
            return gettext("No receipts from headquarters were found there.")
        lines = [
            gettext("{count} report(s) acknowledged by headquarters.").format(
                count=result.acknowledged
            )
        ]
        if result.purged:
            lines.append(
                gettext("{count} report(s) removed from this laptop, as the policy asks.").format(
                    count=result.purged
                )
            )
        lines += result.problems
        return "\n".join(lines)

    return TransferDialog(runner, gettext, gettext("Import receipts"), work, summary, parent=parent)
