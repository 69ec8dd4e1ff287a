"""HQ: Pull from the relay — publish the device list, import new bundles, post receipts.

The run is ``HqPullService.run`` on the network lane, borrowing the store lane for each import
(``job.on_store``); the dialog shows progress, then what happened in words: bundles imported,
already held, rejected (with each reason), receipts and gap notices posted, and gaps per device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kpfield.domain.models import VaultRole
from kpfield.errors import Cancelled
from kpfield.gui.context import AppContext
from kpfield.gui.help_page import set_help_page
from kpfield.gui.tasks import Job, Op, user_message
from kpfield.services.pull import PullResult

Gettext = Callable[[str], str]
SHORTCUT = "Ctrl+Y"


def _ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` → ``1-3, 7``."""
    spans: list[list[int]] = []
    for n in sorted(set(numbers)):
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def pull_summary(result: PullResult, ctx: AppContext) -> str:
    _, i18n = ctx.gettext, ctx.i18n
    duplicates = sum(o.status == "duplicate" for o in result.outcomes)
    lines = [o.line(_) for o in result.outcomes]
    lines.append(
        _(
            "{imported} imported, {duplicates} already held, {rejected} rejected"
            " (nothing from a rejected bundle was imported)."
        ).format(imported=result.imported, duplicates=duplicates, rejected=result.rejected)
    )
    lines.append(
        i18n.ngettext(
            "{n} receipt posted for the laptops.",
            "{n} receipts posted for the laptops.",
            result.receipts_posted,
        ).format(n=result.receipts_posted)
    )
    if result.gap_notices:
        lines.append(
            i18n.ngettext(
                "{n} gap notice posted.", "{n} gap notices posted.", result.gap_notices
            ).format(n=result.gap_notices)
        )
    for device, missing in sorted(result.gaps.items()):
        lines.append(
            _("Gap: device {device} has not delivered bundle(s) {missing}.").format(
                device=device, missing=_ranges(missing)
            )
        )
    if not result.gaps:
        lines.append(_("No gaps: every device's bundles arrived in sequence."))
    for exc in result.errors[:1]:
        lines.append(_("The pull did not finish: {reason}").format(reason=user_message(exc, _)))
    return "\n".join(lines)


class PullDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("pullDialog")
        set_help_page(self, "intake")
        self.setWindowTitle(_("Pull from the relay"))
        self.setMinimumWidth(620)
        self.outcome: PullResult | None = None
        self.error: BaseException | None = None
        self.finished_work = False
        v = QVBoxLayout(self)
        self.status = QLabel(_("Pulling from the relay… you can stop at any time."))
        self.status.setObjectName("pullStatus")
        self.status.setWordWrap(True)
        v.addWidget(self.status)
        self.bar = QProgressBar()
        self.bar.setObjectName("pullProgress")
        self.bar.setRange(0, 0)
        v.addWidget(self.bar)
        self.text = QPlainTextEdit()
        self.text.setObjectName("pullSummary")
        self.text.setReadOnly(True)
        v.addWidget(self.text, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self._cancel_or_close)
        v.addWidget(self.buttons)
        self.op: Op[PullResult] = ctx.runner.network(self._work)
        self.op.announces(lambda r: r.changes)
        self.op.progress(self._progress)
        self.op.success(self._done)
        self.op.failure(self._failed)

    def _work(self, job: Job) -> PullResult:
        service = job.on_store(lambda s: s.hq().pull)

        def sleep(seconds: float) -> None:
            job.wait(seconds)

        service.settings = replace(service.settings, sleep=sleep)

        def store(fn: Callable[[], Any]) -> Any:
            return job.on_store(lambda _s: fn())

        return service.run(progress=job.progress, cancel=job.cancelled, store=store)

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(min(1000, 1000 * done // total))

    def _finish(self, headline: str, body: str) -> None:
        self.finished_work = True
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.status.setText(headline)
        self.text.setPlainText(body)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)

    def _done(self, result: PullResult) -> None:
        _ = self.ctx.gettext
        self.outcome = result
        headline = _("Pull finished.") if result.ok else _("Pull finished with problems.")
        self._finish(headline, pull_summary(result, self.ctx))

    def _failed(self, exc: BaseException) -> None:
        _ = self.ctx.gettext
        self.error = exc
        if isinstance(exc, Cancelled):
            self._finish(
                _("Stopped."),
                _("What was imported before you stopped is kept; the next pull continues."),
            )
        else:
            self._finish(_("The pull did not finish."), user_message(exc, _))

    def _cancel_or_close(self) -> None:
        if self.finished_work:
            self.reject()
        else:
            self.op.cancel()

    def dismiss(self) -> None:
        self.op.cancel()
        self.reject()


class PullActions(QObject):
    """HQ's Vault menu: Pull from the relay (Ctrl+Y, the field's Sync now key)."""

    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.pull_action = QAction(ctx.gettext("Pull from the relay…"), window)
        self.pull_action.setObjectName("pull")
        self.pull_action.setShortcut(QKeySequence(SHORTCUT))
        self.pull_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.pull_action.triggered.connect(self.pull)
        window.addAction(self.pull_action)
        self.set_role(None)

    def set_role(self, role: VaultRole | None) -> None:
        hq = role is VaultRole.HQ
        self.pull_action.setVisible(hq)
        self.pull_action.setEnabled(hq)

    def desk_button(self) -> QToolButton:
        """The Pull action as a button for the desk's tab bar (Inbox is where pulls land)."""
        button = QToolButton()
        button.setObjectName("deskPull")
        button.setDefaultAction(self.pull_action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    def pull(self) -> PullDialog | None:
        if not self.pull_action.isEnabled():
            return None
        if self.ctx.runner.network_busy:
            return None
        dialog = PullDialog(self.ctx, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def dispose(self) -> None:
        self.window.removeAction(self.pull_action)
        self.pull_action.deleteLater()
        self.deleteLater()
