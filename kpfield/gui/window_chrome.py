"""The main window's frame: actions and their shortcuts, menus, toolbar and status bar.

:class:`WindowChrome` builds them (again on a language change), shows or hides them for the
screen and the vault's role, and keeps the status line (counts, last delivery) current. What
the actions do, and which screen shows, is :class:`~kpfield.gui.main_window.MainWindow`'s.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QSizePolicy, QToolBar, QWidget

from kpfield.app import Session
from kpfield.domain.jobs import Changes
from kpfield.domain.models import ReportStatus, VaultRole
from kpfield.gui.context import AppContext
from kpfield.gui.desk.desk import Desk
from kpfield.gui.elided_label import ElidedLabel
from kpfield.gui.enrollment_actions import EnrollmentActions
from kpfield.gui.enrollment_status import EnrollmentButton
from kpfield.gui.help_window import HelpActions
from kpfield.gui.idle_watch import IdleWatch
from kpfield.gui.pull_dialog import PullActions
from kpfield.gui.sync_panel import SyncActions, SyncController
from kpfield.gui.tasks import TaskRunner
from kpfield.gui.transfer_actions import TransferActions
from kpfield.gui.workspace import Workspace
from kpfield.services.enrollment_state import EnrollmentState


class WindowChrome(QMainWindow):
    """Menus, toolbar and status bar of the main window, and the status line they show."""

    # Set up by MainWindow before the first _build_chrome().
    ctx: AppContext
    runner: TaskRunner
    idle: IdleWatch
    sync_controller: SyncController
    workspace: Workspace | None
    desk: Desk | None
    sync: SyncActions | None
    pull: PullActions | None
    help: HelpActions | None
    # What the actions do (MainWindow's methods).
    new_report: Callable[[], None]
    save_now: Callable[[], None]
    focus_search: Callable[[], None]
    seal_current: Callable[[], None]
    lock: Callable[[], None]
    open_settings: Callable[[], None]
    ask_wipe: Callable[[], None]
    _flush_workspace: Callable[[], None]

    # ---------------------------------------------------------------- chrome
    def _build_chrome(self) -> None:
        _ = self.ctx.gettext
        self.setWindowTitle("KP Field")
        self.menuBar().clear()
        # A rebuild (language change) must retire the old actions: left on the window they keep
        # their ApplicationShortcut and every key becomes an "ambiguous overload" that does nothing.
        for old in self.actions():
            self.removeAction(old)
            old.setShortcut(QKeySequence())
            old.deleteLater()
        for owner in (getattr(self, "transfer", None), getattr(self, "enrollment", None)):
            if owner is not None:
                owner.deleteLater()
        if self.help is not None:
            self.help.dispose()
        for tb in self.findChildren(QToolBar):
            self.removeToolBar(tb)
            tb.deleteLater()

        def action(text: str, shortcut: str | QKeySequence.StandardKey | None, slot: object,
                   name: str) -> QAction:
            a = QAction(text, self)
            a.setObjectName(name)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.new_action = action(_("New report"), "Ctrl+N", self.new_report, "newReport")
        self.save_action = action(_("Save now"), "Ctrl+S", self.save_now, "saveNow")
        self.find_action = action(_("Find"), "Ctrl+F", self.focus_search, "find")
        self.seal_action = action(_("Seal…"), "Ctrl+Shift+S", self.seal_current, "seal")
        self.lock_action = action(_("Lock"), "Ctrl+L", self.lock, "lock")
        self.settings_action = action(_("Settings…"), "Ctrl+,", self.open_settings, "settings")
        self.wipe_action = action(
            _("Erase everything…"), "Ctrl+Shift+Del", self.ask_wipe, "wipe"
        )
        self.quit_action = action(_("Quit"), "Ctrl+Q", self.close, "quit")
        self.transfer = TransferActions(self, self.ctx, self.runner, before=self._flush_workspace)
        self.export_action = self.transfer.export_action
        self.enrollment = EnrollmentActions(self, self.ctx, self.runner)
        for previous in (self.sync, self.pull):
            if previous is not None:
                previous.dispose()
        self.sync = SyncActions(self, self.sync_controller)
        self.pull = PullActions(self, self.ctx)
        vault_menu = self.menuBar().addMenu(_("&Vault"))
        for a in (self.new_action, self.save_action, self.lock_action, self.settings_action):
            vault_menu.addAction(a)
        for a in self.transfer.actions:
            vault_menu.addAction(a)
        for a in (*self.sync.actions, self.pull.pull_action):
            vault_menu.addAction(a)
        vault_menu.addSeparator()
        for a in self.enrollment.actions:
            vault_menu.addAction(a)
        vault_menu.addSeparator()
        vault_menu.addAction(self.wipe_action)
        vault_menu.addSeparator()
        vault_menu.addAction(self.quit_action)
        report_menu = self.report_menu = self.menuBar().addMenu(_("&Report"))
        report_menu.addAction(self.find_action)
        report_menu.addAction(self.seal_action)
        self.help = HelpActions(
            self, self.ctx, unlocked=lambda: self.workspace is not None or self.desk is not None
        )
        help_menu = self.menuBar().addMenu(_("&Help"))
        for a in self.help.actions:
            help_menu.addAction(a)
        toolbar = self.toolbar = QToolBar(_("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in (self.new_action, self.seal_action, self.transfer.import_action,
                  self.lock_action, self.settings_action):
            toolbar.addAction(a)
        # Whether HQ enrolled this laptop, at the toolbar's right end: the status bar has no room
        # left for it in French and Portuguese at 1366 pixels.
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        self.enrollment_button = EnrollmentButton(self.ctx)
        self.enrollment_action = toolbar.addWidget(self.enrollment_button)
        self.enrollment_action.setVisible(False)  # until the vault says what it knows
        self.addToolBar(toolbar)

        bar = self.statusBar()
        for w in bar.findChildren(QWidget):
            if w.objectName().startswith("status"):
                bar.removeWidget(w)
                w.deleteLater()
        self.lock_label = QLabel()
        self.lock_label.setObjectName("statusLock")
        self.pending_label = QLabel()
        self.pending_label.setObjectName("statusPending")
        # The least needed line gives way first (French and Portuguese at 1366 pixels wide).
        self.sync_label = ElidedLabel()
        self.sync_label.setObjectName("statusSync")
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("statusBusy")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(80)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.hide()
        bar.addWidget(self.lock_label)
        bar.addWidget(self.pending_label)
        bar.addWidget(self.sync_label, 1)
        bar.addPermanentWidget(self.sync.button)
        bar.addPermanentWidget(self.busy_bar)
        self._update_chrome()

    def _update_chrome(self) -> None:
        _ = self.ctx.gettext
        unlocked = self.workspace is not None or self.desk is not None
        editor = self.desk is None
        for a in (self.new_action, self.save_action, self.seal_action):
            a.setVisible(editor)
        self.report_menu.menuAction().setVisible(editor)
        for a in (self.new_action, self.save_action, self.find_action, self.seal_action,
                  self.lock_action, self.settings_action):
            a.setEnabled(unlocked)
        self.transfer.set_enabled(unlocked)
        self.enrollment.set_enabled(unlocked)
        self.toolbar.setVisible(unlocked)  # nothing to act on before unlocking
        self.lock_label.setText(_("Unlocked") if unlocked else _("Locked"))
        self.lock_label.setProperty("locked", not unlocked)
        self.lock_label.setStyleSheet(
            "color: #2e6b30; font-weight: 600;" if unlocked else "color: #a32020; font-weight: 600;"
        )
        if not unlocked and self.sync is not None and self.pull is not None:
            self.sync.set_role(None)  # a sync in progress is cancelled by the lock
            self.pull.set_role(None)
        if not unlocked:
            self.pending_label.setText("")
            self.sync_label.setText("")
            self._show_enrollment(None)

    def _show_enrollment(self, state: EnrollmentState | None) -> None:
        """None hides it (locked, or an HQ vault: HQ enrolls others)."""
        self.enrollment_button.show_state(state)
        self.enrollment_action.setVisible(state is not None)

    def _busy(self, pending: int) -> None:
        self.busy_bar.setVisible(pending > 0 and (self.workspace or self.desk) is not None)

    # ---------------------------------------------------------------- status line
    def refresh_status(self) -> None:
        """Counts, last delivery, enrollment and the profile's idle ceiling (store lane)."""
        Status = tuple[tuple[int, int], str, VaultRole, int | None, EnrollmentState | None]

        def read(s: Session) -> Status:
            counts = s.reports.counts()
            # Waiting to leave (sealed, never exported or sent) and gone but not yet acknowledged
            # by HQ (on a stick or sent): two different things the monitor acts on differently.
            waiting = counts.get(ReportStatus.SEALED, 0)
            out = counts.get(ReportStatus.EXPORTED, 0) + counts.get(ReportStatus.SENT, 0)
            pending = (waiting, out)
            profile = s.field().profile.installed() if s.role is VaultRole.FIELD else None
            policy = profile.doc.get("policy", {}).get("idle_lock_minutes") if profile else None
            ceiling = policy if isinstance(policy, int) else None
            enrollment = s.field().enrollment.state() if s.role is VaultRole.FIELD else None
            return pending, s.reports.last_delivery_at() or "", s.role, ceiling, enrollment

        def show(value: Status) -> None:
            if self.workspace is None:
                return
            _ = self.ctx.gettext
            pending, last, role, ceiling, enrollment = value
            self._show_enrollment(enrollment)
            self.transfer.set_role(role)
            self.enrollment.set_role(role)
            if self.sync is not None and self.pull is not None:
                self.sync.set_role(role)
                self.pull.set_role(role)
            self.idle.set_ceiling(ceiling)
            waiting, out = pending
            ngettext = self.ctx.i18n.ngettext
            text = ngettext(
                "{n} sealed report not yet exported or sent",
                "{n} sealed reports not yet exported or sent",
                waiting,
            ).format(n=waiting)
            if out:
                text += " · " + ngettext(
                    "{n} exported or sent, not yet acknowledged by HQ",
                    "{n} exported or sent, not yet acknowledged by HQ",
                    out,
                ).format(n=out)
            self.pending_label.setText(text)
            self.sync_label.setText(
                _("Last export or sync: {when}").format(when=last[:16].replace("T", " "))
                if last
                else _("Last export or sync: never")
            )

        self.runner.call(read).success(show).failure(lambda _e: None)

    def _changes(self, changes: Changes) -> None:
        """Broadcast from the runner: the status bar shows counts, last delivery and policy."""
        if self.workspace is not None and (
            changes.report_list or changes.transfers or changes.profile or changes.devices
        ):
            self.refresh_status()
