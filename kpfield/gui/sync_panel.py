"""The laptop's sync: a controller (state, automatic starts), a status-bar button and a dialog.

The run itself is ``FieldSyncService.run`` on the network lane: it borrows the store lane only
for short vault steps (``job.on_store``), queued behind autosaves like any other store work, so
typing is never held up by a slow link. Locking cancels the run: a step already started finishes
its own transaction, nothing after it runs, and the next sync resumes from what the relay holds.

Words are chosen to be true: a bundle "sent to the relay" has the relay's signed receipt;
"received by headquarters" needs HQ's own receipt, which comes back on a later sync.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QToolButton,
    QWidget,
)

from kpfield.app import Session
from kpfield.domain.models import VaultRole
from kpfield.errors import Cancelled
from kpfield.gui.connectivity import Connectivity, system_connectivity
from kpfield.gui.context import AppContext
from kpfield.gui.settings import save_settings
from kpfield.gui.tasks import Job, Op, TaskRunner, user_message
from kpfield.services.enrollment_state import Enrollment
from kpfield.services.sync import SyncResult, SyncStatus
from kpfield.services.sync_failure import Failure, classify, classify_exception

if TYPE_CHECKING:
    from kpfield.gui.sync_dialog import SyncDialog

Gettext = Callable[[str], str]

RETRY_FIRST_MS = 60_000
"""After a failed automatic sync, the first retry (doubling each time, see RETRY_CAP_MS)."""
RETRY_CAP_MS = 30 * 60_000
CHECK_MS = 15 * 60_000
"""While bundles wait at the relay for HQ's receipt, look for it this often (if automatic)."""
SHORTCUT = "Ctrl+Y"


class SyncState(enum.Enum):
    IDLE = "idle"
    SYNCING = "syncing"
    WAITING = "waiting"  # for the network: offline, or the relay could not be reached
    FAILED = "failed"  # refused, or a check failed: trying again will not help by itself
    UP_TO_DATE = "up_to_date"


def reason_text(failure: Failure, _: Gettext) -> str:
    """The reason in plain words, then what the monitor can do."""
    detail = user_message(failure.errors[0], _) if failure.errors else ""
    if failure.kind == "network":
        head = _(
            "The relay could not be reached. Check the connection (and the Tor proxy, if you use"
            " one). Nothing is lost: the next sync continues where this one stopped."
        )
    elif failure.kind == "refused":
        head = _("The relay refused the work. Tell headquarters what it said.")
    elif failure.kind == "unenrolled":
        head = _(
            "The relay does not know this laptop: HQ has not enrolled it yet, or has not yet "
            "told the relay. Nothing was sent. Give HQ the enrollment request (Vault menu) and "
            "read them the fingerprint."
        )
    elif failure.kind == "security":
        head = _(
            "A security check failed, so nothing was marked as sent. Do not retry on this"
            " network; tell headquarters."
        )
    elif failure.kind == "revoked":
        head = _("Headquarters has revoked this laptop; the relay accepts nothing more from it.")
    elif failure.kind == "setup":
        head = _("Sync is not set up yet.")
    else:
        head = _("The sync did not finish.")
    return f"{head}\n{detail}" if detail else head


class SyncController(QObject):
    """State of the laptop's sync; starts runs on request or by itself. GUI thread only."""

    changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        runner: TaskRunner,
        connectivity: Connectivity | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.active = False  # an unlocked field vault
        self.status: SyncStatus | None = None
        self.failure: Failure | None = None
        self.last_result: SyncResult | None = None
        self.stopped_by_lock = False
        self.adopt_saved_failure = False
        self.progress: tuple[int, int] | None = None
        self.op: Op[Any] | None = None
        self.retry_ms = RETRY_FIRST_MS
        self.retry = QTimer(self)
        self.retry.setSingleShot(True)
        self.retry.timeout.connect(lambda: self.start(automatic=True))
        self.check = QTimer(self)
        self.check.setInterval(CHECK_MS)
        self.check.timeout.connect(lambda: self.start(automatic=True))
        self.connectivity = connectivity or system_connectivity(self)
        self.connectivity.online_changed.connect(self._online_changed)
        runner.changed.connect(self._changes)

    def set_connectivity(self, connectivity: Connectivity) -> None:
        """Tests (and a platform probe) replace the platform's network information."""
        self.connectivity.online_changed.disconnect(self._online_changed)
        self.connectivity = connectivity
        connectivity.online_changed.connect(self._online_changed)

    # ---------------------------------------------------------------- state
    @property
    def running(self) -> bool:
        return self.op is not None

    @property
    def state(self) -> SyncState:
        if self.running:
            return SyncState.SYNCING
        if self.failure is not None:
            return SyncState.WAITING if self.failure.kind == "network" else SyncState.FAILED
        if self.connectivity.online() is False and self.waiting > 0:
            return SyncState.WAITING
        if self.last_result is not None and self.waiting == 0:
            return SyncState.UP_TO_DATE
        return SyncState.IDLE

    @property
    def waiting(self) -> int:
        return self.status.waiting_reports if self.status is not None else 0

    @property
    def automatic(self) -> bool:
        """Automatic sync is on, and neither the monitor nor the platform calls it metered."""
        s = self.ctx.settings
        return s.auto_sync and not s.metered and not self.connectivity.metered()

    def set_active(self, active: bool) -> None:
        """An unlocked field vault (True) or a locked / HQ one (False)."""
        if active == self.active:
            return
        self.active = active
        if active:
            self.stopped_by_lock = False
            self.adopt_saved_failure = True
            self.refresh(then_auto=True)
            self.check.start()
        else:
            if self.op is not None:
                self.op.cancel()  # the lock cancels it anyway; say so at once
                self.stopped_by_lock = True
            self.op = None
            self.retry.stop()
            self.check.stop()
            self.status = None
            self.failure = None  # the vault keeps it; shown again after the unlock
            self.progress = None
            self.changed.emit()

    def refresh(self, *, then_auto: bool = False, new_reports_only: bool = False) -> None:
        if not self.active:
            return

        def read(s: Session) -> SyncStatus:
            return s.field().sync.status()

        def show(status: SyncStatus) -> None:
            if not self.active:
                return
            self.status = status
            if self.adopt_saved_failure and not self.running:
                # Just unlocked: why the last sync (app or CLI, before the lock or a restart)
                # did not finish, as the vault kept it. Later runs speak for themselves.
                self.adopt_saved_failure = False
                if self.failure is None:
                    self.failure = status.last_failure
            self.changed.emit()
            if then_auto:
                self.start(automatic=True, new_reports_only=new_reports_only)

        self.runner.call(read).success(show).failure(lambda _e: None)

    def _changes(self, changes: Any) -> None:
        # A newly sealed report starts a sync (if allowed); our own run's changes, and a failed
        # run's, never do: a failure waits for its retry or for the network to come back.
        if self.active and not self.running and (changes.report_list or changes.transfers):
            self.refresh(then_auto=self.failure is None, new_reports_only=True)

    def _online_changed(self, online: bool) -> None:
        self.changed.emit()
        if online:
            self.retry_ms = RETRY_FIRST_MS
            self.start(automatic=True)

    def settings_changed(self) -> None:
        """The monitor switched automatic sync or metered: save, and act on it."""
        save_settings(self.ctx.data_dir, self.ctx.settings)
        self.changed.emit()
        if self.automatic:
            self.start(automatic=True)
        else:
            self.retry.stop()

    # ---------------------------------------------------------------- runs
    def start(self, *, automatic: bool = False, new_reports_only: bool = False) -> bool:
        """Start a sync; an automatic one only when allowed, online (or unknown) and needed:
        reports are waiting, or (except after a screen change) bundles at the relay wait for
        HQ's receipt."""
        if not self.active or self.running or self.runner.network_busy:
            return False
        if automatic:
            st = self.status
            needed = st is not None and (
                st.waiting_reports > 0 or (st.at_relay_bundles > 0 and not new_reports_only)
            )
            if not (self.automatic and needed) or self.connectivity.online() is False:
                return False
        self.retry.stop()
        self.failure = None
        self.adopt_saved_failure = False
        self.stopped_by_lock = False
        self.progress = None

        def work(job: Job) -> tuple[SyncResult, SyncStatus]:
            service, proxy = job.on_store(lambda s: (s.field().sync, s.field().sync.proxy()))

            def sleep(seconds: float) -> None:
                job.wait(seconds)  # a back-off ends at once when the job is cancelled

            service.settings = replace(service.settings, sleep=sleep)

            def store(fn: Callable[[], Any]) -> Any:
                return job.on_store(lambda _s: fn())

            result = service.run(
                proxy=proxy or None, progress=job.progress, cancel=job.cancelled, store=store
            )
            return result, job.on_store(lambda s: s.field().sync.status())

        op = self.runner.network(work)
        self.op = op
        op.announces(lambda r: r[0].changes)
        op.progress(lambda done, total: self._progress(op, done, total))
        op.success(lambda r: self._finished(op, r))
        op.failure(lambda exc: self._failed(op, exc))
        self.changed.emit()
        return True

    def cancel(self) -> None:
        if self.op is not None:
            self.op.cancel()

    def _progress(self, op: Op[Any], done: int, total: int) -> None:
        if op is self.op:
            self.progress = (done, total)
            self.changed.emit()

    def _finished(self, op: Op[Any], value: tuple[SyncResult, SyncStatus]) -> None:
        if op is not self.op:
            return
        self.op = None
        self.last_result, self.status = value
        self.failure = classify(self.last_result)
        self._after_run()

    def _failed(self, op: Op[Any], exc: BaseException) -> None:
        if op is not self.op:
            return
        self.op = None
        self.failure = None if isinstance(exc, Cancelled) else classify_exception(exc)
        self._after_run()
        self.refresh()

    def _after_run(self) -> None:
        if self.failure is not None and self.failure.kind == "network" and self.automatic:
            self.retry.start(self.retry_ms)
            self.retry_ms = min(self.retry_ms * 2, RETRY_CAP_MS)
        elif self.failure is None:
            self.retry_ms = RETRY_FIRST_MS
        self.changed.emit()

    # ---------------------------------------------------------------- words
    def headline(self) -> str:
        _ = self.ctx.gettext
        state = self.state
        if state is SyncState.SYNCING:
            if self.progress is not None and self.progress[1] > 0:
                pct = min(100, 100 * self.progress[0] // self.progress[1])
                return _("Syncing… {percent}%").format(percent=pct)
            return _("Syncing…")
        if state is SyncState.WAITING:
            return _("Sync: waiting for the network")
        if state is SyncState.FAILED:
            return _("Sync failed")
        if state is SyncState.UP_TO_DATE:
            return _("Sync: up to date")
        if self.stopped_by_lock:
            return _("Sync stopped")
        return _("Sync: not yet")

    def details(self) -> list[str]:
        """Sentences for the dialog, each one true of what the vault holds."""
        _, i18n = self.ctx.gettext, self.ctx.i18n
        lines: list[str] = []
        st = self.status
        if st is not None:
            lines.append(
                i18n.ngettext(
                    "{n} sealed report waiting to be sent to the relay.",
                    "{n} sealed reports waiting to be sent to the relay.",
                    st.waiting_reports,
                ).format(n=st.waiting_reports)
            )
            if st.at_relay_bundles:
                lines.append(
                    i18n.ngettext(
                        "{n} bundle is held by the relay; headquarters has not confirmed"
                        " receiving it yet.",
                        "{n} bundles are held by the relay; headquarters has not confirmed"
                        " receiving them yet.",
                        st.at_relay_bundles,
                    ).format(n=st.at_relay_bundles)
                )
            if st.acknowledged_bundles:
                lines.append(
                    i18n.ngettext(
                        "{n} bundle was received by headquarters.",
                        "{n} bundles were received by headquarters.",
                        st.acknowledged_bundles,
                    ).format(n=st.acknowledged_bundles)
                )
            when = (st.last_success or "")[:16].replace("T", " ")
            lines.append(
                _("Last complete sync: {when}").format(when=when)
                if when
                else _("Last complete sync: never")
            )
            if st.relay_overridden:
                lines.append(
                    _("Relay: {url} (set on this laptop instead of the profile's).").format(
                        url=st.relay_url
                    )
                )
            elif st.relay_url:
                profile_relay = _("Relay: {url} (from the coalition profile).")
                lines.append(profile_relay.format(url=st.relay_url))
        r = self.last_result
        if r is not None and not self.running:
            lines.append(
                i18n.ngettext(
                    "Last run: {n} bundle sent to the relay.",
                    "Last run: {n} bundles sent to the relay.",
                    r.delivered,
                ).format(n=r.delivered)
            )
            if r.receipts.acknowledged:
                lines.append(
                    i18n.ngettext(
                        "Headquarters confirmed {n} report.",
                        "Headquarters confirmed {n} reports.",
                        r.receipts.acknowledged,
                    ).format(n=r.receipts.acknowledged)
                )
            if r.resend:
                lines.append(_("Headquarters is missing some bundles; they will be sent again."))
        if self.stopped_by_lock:
            lines.append(
                _(
                    "The sync stopped when the vault was locked. Nothing half-done was recorded;"
                    " the next sync continues where it stopped."
                )
            )
        if self.state is SyncState.WAITING and self.failure is None:
            lines.append(_("No network: sync starts by itself when it comes back."))
        if self.failure is not None:
            lines.append(reason_text(self.failure, _))
            if self.failure.at:
                when = self.failure.at[:16].replace("T", " ")
                lines.append(_("This happened on {when}.").format(when=when))
            if self.failure.kind == "network" and self.retry.isActive():
                lines.append(
                    _("Next automatic try in {minutes} min.").format(
                        minutes=max(1, self.retry.remainingTime() // 60_000)
                    )
                )
        if not self.automatic:
            lines.append(_("Automatic sync is off: sync only when you ask."))
        enrollment = st.enrollment if st is not None else None
        if enrollment is not None and not enrollment.enrolled:
            lines.append(
                _(
                    "This laptop is not yet known to be enrolled at HQ: the relay accepts "
                    "nothing from a laptop HQ has not enrolled, and nothing is sent then. A "
                    "sync is also how the laptop learns that HQ has enrolled it."
                )
                if enrollment.status is Enrollment.NOT_ENROLLED
                else _("HQ has revoked this laptop: the relay accepts nothing more from it.")
            )
        return lines


class SyncButton(QToolButton):
    """The status bar's sync state; a click opens the sync dialog."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("statusSyncButton")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        controller.changed.connect(self.update_text)
        self.update_text()

    def update_text(self) -> None:
        c = self.controller
        self.setVisible(c.active)
        self.setText(c.headline())
        colour = {
            SyncState.FAILED: "#a32020",
            SyncState.WAITING: "#8a5a00",
            SyncState.UP_TO_DATE: "#2e6b30",
        }.get(c.state, "")
        self.setStyleSheet(f"color: {colour}; font-weight: 600;" if colour else "")


class SyncActions(QObject):
    """The Vault menu's "Sync now" (field) and the status-bar button; rebuilt with the chrome."""

    def __init__(self, window: QMainWindow, controller: SyncController) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        _ = controller.ctx.gettext
        self.sync_action = QAction(_("Sync now"), window)
        self.sync_action.setObjectName("syncNow")
        self.sync_action.setShortcut(QKeySequence(SHORTCUT))
        self.sync_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.sync_action.triggered.connect(self.sync_now)
        window.addAction(self.sync_action)
        self.panel_action = QAction(_("Sync…"), window)
        self.panel_action.setObjectName("syncPanel")
        self.panel_action.triggered.connect(self.open_dialog)
        window.addAction(self.panel_action)
        self.button = SyncButton(controller)
        self.button.clicked.connect(self.open_dialog)
        self.set_role(None)

    @property
    def actions(self) -> tuple[QAction, QAction]:
        return self.sync_action, self.panel_action

    def set_role(self, role: VaultRole | None) -> None:
        field = role is VaultRole.FIELD
        for a in self.actions:
            a.setVisible(field)
            a.setEnabled(field)
        self.controller.set_active(field)
        self.button.update_text()

    def sync_now(self) -> None:
        if not self.controller.start():
            self.open_dialog()
            return
        self.open_dialog()

    def open_dialog(self) -> SyncDialog | None:
        from kpfield.gui.sync_dialog import SyncDialog

        if not self.controller.active:
            return None
        existing = self.window.findChild(SyncDialog)
        if existing is not None and existing.isVisible():
            existing.raise_()
            return existing
        dialog = SyncDialog(self.controller, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def dispose(self) -> None:
        """Before the chrome is rebuilt (a language switch): no stale shortcut stays behind."""
        for a in self.actions:
            self.window.removeAction(a)
            a.deleteLater()
        self.button.deleteLater()
        self.deleteLater()
