"""Vault menu actions that move bundles: Export to USB and Import receipts (field), Import (HQ)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow

from kpfield.gui.context import AppContext
from kpfield.gui.enrollment_status import before_export
from kpfield.gui.tasks import TaskRunner


class TransferActions(QObject):
    """Owns the three actions; only the ones that fit the vault's role are visible."""

    def __init__(
        self,
        window: QMainWindow,
        ctx: AppContext,
        runner: TaskRunner,
        *,
        before: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.runner = runner
        self.before = before  # flush drafts before anything leaves the laptop
        # No reload here: each transfer announces its changes and the screens refresh themselves.
        _ = ctx.gettext
        self.export_action = self._action(_("Export to USB…"), "Ctrl+E", self.export, "export")
        self.export_again_action = self._action(
            _("Export again (lost stick)…"), None, self.export_again, "exportAgain"
        )
        self.receipts_action = self._action(
            _("Import receipts from headquarters…"), None, self.receipts, "importReceipts"
        )
        self.import_action = self._action(_("Import bundles…"), "Ctrl+I", self.import_, "import")
        self.set_role("field")

    def _action(
        self, text: str, shortcut: str | None, slot: Callable[[], None], name: str
    ) -> QAction:
        a = QAction(text, self.window)
        a.setObjectName(name)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        a.triggered.connect(slot)
        self.window.addAction(a)
        return a

    @property
    def actions(self) -> tuple[QAction, ...]:
        return (
            self.export_action, self.export_again_action, self.receipts_action, self.import_action
        )

    def set_role(self, role: str) -> None:
        field = role != "hq"
        self.export_action.setVisible(field)
        self.export_again_action.setVisible(field)
        self.receipts_action.setVisible(field)
        self.import_action.setVisible(not field)

    def set_enabled(self, enabled: bool) -> None:
        for a in self.actions:
            a.setEnabled(enabled)

    def _choose_folder(self, title: str, then: Callable[[Path], None]) -> None:
        chooser = QFileDialog(self.window, title)
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        chooser.setFileMode(QFileDialog.FileMode.Directory)
        chooser.setOption(QFileDialog.Option.ShowDirsOnly, True)
        chooser.fileSelected.connect(lambda folder: then(Path(folder)))
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.open()

    def _show(self, dialog: QObject) -> None:
        from kpfield.gui.transfer_dialog import TransferDialog

        assert isinstance(dialog, TransferDialog)  # noqa: S101 - a programming error otherwise
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def export(self) -> None:
        """Sealed reports to a USB stick as encrypted bundles (work runs on the store thread)."""
        from kpfield.gui.transfer_dialog import export_dialog

        self.before()
        before_export(
            self.window,
            self.ctx,
            lambda: self._choose_folder(
                self.ctx.gettext("Choose the USB stick"),
                lambda folder: self._show(
                    export_dialog(self.runner, self.ctx.gettext, folder, parent=self.window)
                ),
            ),
        )

    def export_again(self) -> None:
        """Every sealed report again, exported or not: for a stick that was lost or damaged."""
        from kpfield.gui.transfer_dialog import export_dialog

        self.before()
        before_export(
            self.window,
            self.ctx,
            lambda: self._choose_folder(
                self.ctx.gettext("Choose the USB stick"),
                lambda folder: self._show(
                    export_dialog(
                        self.runner, self.ctx.gettext, folder, parent=self.window, again=True
                    )
                ),
            ),
        )

    def receipts(self) -> None:
        from kpfield.gui.transfer_dialog import receipts_dialog

        self._choose_folder(
            self.ctx.gettext("Choose the folder with the receipts"),
            lambda folder: self._show(
                receipts_dialog(self.runner, self.ctx.gettext, folder, parent=self.window)
            ),
        )

    def import_(self) -> None:
        """HQ: bundles from a stick or folder; receipts are written back to the same place."""
        from kpfield.gui.transfer_dialog import import_dialog

        self._choose_folder(
            self.ctx.gettext("Choose the USB stick or folder with bundles"),
            lambda folder: self._show(
                import_dialog(
                    self.runner, self.ctx.gettext, [folder], receipts_dir=folder, parent=self.window
                )
            ),
        )
