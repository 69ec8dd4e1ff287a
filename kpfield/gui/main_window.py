"""The main window: first-run setup, lock screen, workspace or desk, and what its actions do.

Its menus, toolbar and status bar are built by its base class (:mod:`kpfield.gui.window_chrome`).
Locking flushes the open draft (queued before the close on the store thread), destroys every
widget that showed content, clears our clipboard and closes the vault.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, Qt, QTranslator
from PySide6.QtGui import QClipboard, QCloseEvent, QGuiApplication, QPixmapCache
from PySide6.QtWidgets import QApplication, QLabel, QStackedWidget, QWidget

from kpfield.domain.models import VaultRole
from kpfield.domain.taxonomy import Taxonomy
from kpfield.gui.context import AppContext
from kpfield.gui.desk.desk import Desk
from kpfield.gui.help_window import HelpActions, set_help_page
from kpfield.gui.idle_watch import IdleWatch
from kpfield.gui.pull_dialog import PullActions
from kpfield.gui.qt_privacy import keep_qt_settings_off_disk
from kpfield.gui.settings import GuiSettings, load_settings, save_settings
from kpfield.gui.settings_dialog import SettingsDialog
from kpfield.gui.setup_screen import SetupScreen
from kpfield.gui.style import STYLE
from kpfield.gui.sync_panel import SyncActions, SyncController
from kpfield.gui.tasks import Job, TaskRunner, user_message
from kpfield.gui.unlock_screen import UnlockScreen
from kpfield.gui.window_chrome import WindowChrome
from kpfield.gui.window_size import MINIMUM, first_geometry
from kpfield.gui.wipe_dialog import WipeDialog
from kpfield.gui.workspace import Workspace
from kpfield.i18n import I18n
from kpfield.services.vaults import KdfParams, VaultLocation

log = logging.getLogger(__name__)

QT_CATALOGS = {"fr": ["qtbase_fr"], "pt": ["qtbase_pt", "qtbase_pt_BR"]}


class MainWindow(WindowChrome):
    def __init__(
        self,
        data_dir: Path,
        *,
        kdf_params: KdfParams | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        keep_qt_settings_off_disk()  # before any file dialog can exist
        settings = load_settings(data_dir)
        self.runner = TaskRunner(self)
        self.ctx = AppContext(
            data_dir=data_dir,
            runner=self.runner,
            i18n=I18n(settings.language),
            settings=settings,
            kdf_params=kdf_params,
        )
        self.setObjectName("mainWindow")
        self.setStyleSheet(STYLE)
        self.setMinimumSize(MINIMUM)
        self.setGeometry(first_geometry(QGuiApplication.primaryScreen().availableGeometry()))
        self.qt_translator: QTranslator | None = None
        self.install_qt_translation()
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.setup: SetupScreen | None = None
        self.unlock_screen: UnlockScreen | None = None
        self.workspace: Workspace | None = None
        self.desk: Desk | None = None
        """What an HQ vault opens instead of the workspace (the monitor's editor)."""
        self.idle = IdleWatch(settings.idle_minutes, self)
        self.idle.idle.connect(self.lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self._clipboard_ours = False
        self._closing = False
        self._close_anyway = False
        QGuiApplication.clipboard().dataChanged.connect(self._clipboard_changed)
        self.runner.error.connect(self._unhandled)
        self.runner.busy_changed.connect(self._busy)
        self.runner.changed.connect(self._changes)
        self.sync_controller = SyncController(self.ctx, self.runner, parent=self)
        self.sync: SyncActions | None = None
        self.pull: PullActions | None = None
        self.help: HelpActions | None = None
        self._build_chrome()
        self._show_start()

    # ---------------------------------------------------------------- Qt's own strings
    def install_qt_translation(self) -> None:
        """Qt's own strings (standard buttons, file dialog) from the catalogs PySide6 ships."""
        app = QApplication.instance()
        if app is None:
            return
        if self.qt_translator is not None:
            app.removeTranslator(self.qt_translator)
            self.qt_translator = None
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in QT_CATALOGS.get(self.ctx.i18n.language, []):
            translator = QTranslator(self)
            if translator.load(name, folder):
                app.installTranslator(translator)
                self.qt_translator = translator
                return

    # ---------------------------------------------------------------- screens
    def _set_screen(self, widget: QWidget) -> None:
        old = self.stack.currentWidget()
        self.stack.addWidget(widget)
        self.stack.setCurrentWidget(widget)
        if old is not None:
            self.stack.removeWidget(old)
            old.deleteLater()

    def _show_start(self) -> None:
        if VaultLocation(self.ctx.data_dir).exists():
            self.show_unlock()
        else:
            self.show_setup()

    def show_setup(self, page: int = 0) -> None:
        self.workspace = None
        self.desk = None
        self.unlock_screen = None
        self.setup = SetupScreen(self.ctx, start_page=page)
        set_help_page(self.setup, "safety")
        self.setup.language_chosen.connect(self._setup_language)
        self.setup.created.connect(self._unlocked)
        self._set_screen(self.setup)
        self._update_chrome()

    def show_unlock(self) -> None:
        self.workspace = None
        self.desk = None
        self.setup = None
        self.unlock_screen = UnlockScreen(self.ctx)
        set_help_page(self.unlock_screen, "safety")
        self.unlock_screen.unlocked.connect(self._unlocked)
        self.unlock_screen.vault_gone.connect(self.show_setup)
        self._set_screen(self.unlock_screen)
        self._update_chrome()

    def _unlocked(self) -> None:
        self.runner.call(lambda s: (s.reports.taxonomy, s.role)).success(
            lambda value: self._enter(value[0], role=value[1])
        )

    def _enter(
        self, taxonomy: Taxonomy, reopen: str | None = None, role: VaultRole = VaultRole.FIELD
    ) -> None:
        self.ctx.taxonomy = taxonomy
        self.setup = None
        self.unlock_screen = None
        if role is VaultRole.HQ:
            self._enter_desk()
            return
        self.workspace = Workspace(self.ctx)
        self.workspace.editor.saved.connect(lambda _r: self.refresh_status())
        self._set_screen(self.workspace)
        self._update_chrome()
        self.workspace.list.reload(select=reopen)
        if reopen:
            self.workspace.editor.open_report(reopen)
        self.refresh_status()
        self.idle.start()

    def _enter_desk(self) -> None:
        """An HQ vault opens the desk, never the monitor's editor."""
        self.workspace = None
        self.desk = Desk(self.ctx)
        self._set_screen(self.desk)
        self._update_chrome()
        self.transfer.set_role(VaultRole.HQ)
        self.enrollment.set_role(VaultRole.HQ)
        if self.sync is not None and self.pull is not None:
            self.sync.set_role(VaultRole.HQ)
            self.pull.set_role(VaultRole.HQ)
            corner = self.pull.desk_button()  # Pull, on the desk itself
            self.desk.setCornerWidget(corner)
            corner.show()  # a corner widget set after the tab widget is shown stays hidden
        self.pending_label.setText("")
        self.sync_label.setText("")
        self._show_enrollment(None)  # HQ enrolls others; it is not enrolled itself
        self.desk.start()
        self.idle.start()

    # ---------------------------------------------------------------- actions
    def new_report(self) -> None:
        if self.workspace is not None:
            self.workspace.new_report()

    def save_now(self) -> None:
        if self.workspace is not None:
            self.workspace.flush()

    def focus_search(self) -> None:
        if self.workspace is not None:
            self.workspace.list.search.setFocus()
            self.workspace.list.search.selectAll()

    def seal_current(self) -> None:
        if self.workspace is not None and self.workspace.editor.report is not None:
            report = self.workspace.editor.report
            if report.is_draft:
                self.workspace.editor.flush()
                self.workspace.seal(report.id)

    def lock(self) -> None:
        """Save, forget everything shown, close the vault, show the lock screen."""
        self.idle.stop()
        if self.workspace is None and self.desk is None:
            return
        # The panic key never asks: it locks now, and says afterwards what could not be kept.
        lost: list[str] = []
        if self.workspace is not None:
            lost = self.workspace.editor.unstorable()
            self.workspace.flush()
        self._forget_content()
        self.runner.lock().failure(self._unhandled)
        self.show_unlock()
        if lost and self.unlock_screen is not None:
            self.unlock_screen.message.setText(
                self.ctx.gettext(
                    "Locked. Part of what was typed in the open report could not be saved ({what}) "
                    "and was not kept. Everything else is saved. Unlock and type it again."
                ).format(what="; ".join(lost))
            )

    def _forget_content(self, *, keep_work: bool = True) -> None:
        from kpfield.gui.transfer_dialog import TransferDialog
        from kpfield.gui.witness_dialog import WitnessDialog

        for witness in self.findChildren(WitnessDialog):
            if witness.isVisible():
                if keep_work:
                    witness.keep_for_lock()  # queued before the vault closes
                else:
                    witness.discard()
        for transfer in self.findChildren(TransferDialog):
            transfer.dismiss()
        for dialog in self.findChildren(QWidget):
            if dialog.isWindow() and dialog is not self and dialog.isVisible():
                dialog.close()
        if self.workspace is not None:
            self.workspace.editor.photos.cancel_import()  # what is imported so far is kept
            self.workspace.editor.clear()
            self.workspace.list.clear()
        if self.desk is not None:
            self.desk.clear()
        QPixmapCache.clear()
        clipboard = QGuiApplication.clipboard()
        if self._clipboard_ours or clipboard.ownsClipboard():
            clipboard.clear()
        if clipboard.supportsSelection():
            # X11/Wayland: merely selecting text publishes it as the PRIMARY selection.
            clipboard.clear(QClipboard.Mode.Selection)
        self._clipboard_ours = False

    def _flush_workspace(self) -> None:
        if self.workspace is not None:
            self.workspace.flush()

    def _clipboard_changed(self) -> None:
        # Anything copied while the vault is open may be vault text. We cannot always tell our
        # copies from other programs' (ownsClipboard is not supported everywhere), so at lock we
        # clear whatever was copied while unlocked: losing a stray copy is the safe mistake.
        mime = QGuiApplication.clipboard().mimeData()
        self._clipboard_ours = (self.workspace or self.desk) is not None and bool(
            mime and mime.formats()
        )

    def open_settings(self) -> None:
        if self.workspace is None and self.desk is None:
            return
        dialog = SettingsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.preferences_changed.connect(self.apply_preferences)
        dialog.open()

    def apply_preferences(self, settings: GuiSettings) -> None:
        language_changed = settings.language != self.ctx.i18n.language
        self.ctx.settings = settings
        save_settings(self.ctx.data_dir, settings)
        self.idle.set_minutes(settings.idle_minutes)
        if language_changed:
            self.switch_language(settings.language)

    def switch_language(self, language: str) -> None:
        """Rebuild every screen in ``language``; the open report is saved first and reopened."""
        self.ctx.i18n = I18n(language)
        self.install_qt_translation()
        reopen: str | None = None
        if self.workspace is not None:
            self.workspace.flush()
            editor_report = self.workspace.editor.report
            reopen = editor_report.id if editor_report else None
        self._build_chrome()
        if self.desk is not None and self.ctx.taxonomy is not None:
            self._enter(self.ctx.taxonomy, role=VaultRole.HQ)
        elif self.workspace is not None and self.ctx.taxonomy is not None:
            self._enter(self.ctx.taxonomy, reopen)
        elif self.setup is not None:
            self.show_setup(page=self.setup.pages.currentIndex())
        else:
            self.show_unlock()

    def _setup_language(self, language: str) -> None:
        settings = replace(self.ctx.settings, language=language)
        self.ctx.settings = settings
        save_settings(self.ctx.data_dir, settings)
        self.ctx.i18n = I18n(language)
        self.install_qt_translation()
        self._build_chrome()
        self.show_setup(page=1)

    def ask_wipe(self) -> None:
        dialog = WipeDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.wipe_now)
        dialog.open()

    def wipe_now(self) -> None:
        """Panic wipe: no save first; keys go first, then everything else."""
        self.idle.stop()
        self.runner.cancel_background()  # no sync keeps running over a vault being erased
        root = self.ctx.data_dir
        # The key file goes now, on this thread (a few hundred bytes and an fsync), not after
        # whatever job the store thread is running: from here on nothing can be decrypted.
        with contextlib.suppress(OSError):
            VaultLocation(root).erase_keys()
        self._forget_content(keep_work=False)
        self.workspace = None
        placeholder = QLabel(self.ctx.gettext("Erasing…"))
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._set_screen(placeholder)
        self._update_chrome()

        def work(job: Job) -> list[str]:
            self.runner.close_session()
            return VaultLocation(root).wipe()

        self.runner.run(work).finally_(self.show_setup)

    # ---------------------------------------------------------------- errors and exit
    def _unhandled(self, exc: BaseException) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Icon.Warning, "KP Field", user_message(exc, self.ctx.gettext),
            QMessageBox.StandardButton.Ok, self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _ask_close(self, lost: list[str]) -> None:
        from PySide6.QtWidgets import QMessageBox

        _ = self.ctx.gettext
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Close KP Field"),
            _(
                "Part of what you typed in the open report cannot be saved: {what}. If you close "
                "now it is lost; everything else is saved."
            ).format(what="; ".join(lost)),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("closeUnsaved")
        keep = box.addButton(_("Keep editing"), QMessageBox.ButtonRole.RejectRole)
        close = box.addButton(_("Close anyway"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(button: object) -> None:
            if button is close:
                self._close_anyway = True
                self.close()

        box.buttonClicked.connect(chosen)
        box.open()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        """Closing never loses text: the last save is queued, then the vault is closed."""
        if self._closing:
            event.accept()
            return
        if self.workspace is not None and not self._close_anyway:
            lost = self.workspace.editor.unstorable()
            if lost:
                event.ignore()
                self._ask_close(lost)
                return
        self._closing = True
        self.idle.stop()
        if self.workspace is not None:
            self.workspace.flush()
        self._forget_content()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        QGuiApplication.clipboard().dataChanged.disconnect(self._clipboard_changed)
        self.runner.shutdown()
        event.accept()
