"""Vault menu (field): install the coalition profile HQ sends, and write this laptop's enrollment
request. Both show a fingerprint to compare aloud with HQ, by phone or in person."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from kpfield.app import Session
from kpfield.gui.changes import profile_installed
from kpfield.gui.context import AppContext
from kpfield.gui.tasks import TaskRunner, user_message
from kpfield.services.files import read_small_file, write_public_file

MAX_PROFILE_FILE = 1 << 20


class EnrollmentActions(QObject):
    def __init__(self, window: QMainWindow, ctx: AppContext, runner: TaskRunner) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.runner = runner
        _ = ctx.gettext
        self.profile_action = self._action(_("Install coalition profile…"), self.install_profile)
        self.profile_action.setObjectName("installProfile")
        self.request_action = self._action(_("Write enrollment request…"), self.write_request)
        self.request_action.setObjectName("enrollmentRequest")
        self.last_message = ""

    def _action(self, text: str, slot: Callable[[], None]) -> QAction:
        a = QAction(text, self.window)
        a.triggered.connect(slot)
        self.window.addAction(a)
        return a

    @property
    def actions(self) -> tuple[QAction, QAction]:
        return self.profile_action, self.request_action

    def set_role(self, role: str) -> None:
        for a in self.actions:
            a.setVisible(role != "hq")

    def set_enabled(self, enabled: bool) -> None:
        for a in self.actions:
            a.setEnabled(enabled)

    def _tell(self, title: str, text: str, *, error: bool = False) -> None:
        self.last_message = text
        box = QMessageBox(
            QMessageBox.Icon.Warning if error else QMessageBox.Icon.Information,
            title,
            text,
            QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setObjectName("enrollmentMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _fail(self, title: str) -> Callable[[BaseException], None]:
        return lambda exc: self._tell(title, user_message(exc, self.ctx.gettext), error=True)

    # ---------------------------------------------------------------- profile
    def install_profile(self) -> None:
        chooser = QFileDialog(self.window, self.ctx.gettext("Choose the profile file from HQ"))
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.fileSelected.connect(lambda name: self.check_profile(Path(name)))
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.open()

    def check_profile(self, path: Path) -> None:
        """Verify the file's signature, then ask the monitor to compare the HQ fingerprint."""
        _ = self.ctx.gettext
        title = _("Coalition profile")

        def read(s: Session) -> tuple[bytes, str, bool]:
            profiles = s.field().profile
            data = read_small_file(path, MAX_PROFILE_FILE)
            return data, profiles.parse(data).fingerprint, profiles.needs_fingerprint_check()

        def ask(value: tuple[bytes, str, bool]) -> None:
            data, fingerprint, first = value
            if not first:
                self.install(data)  # later profiles must carry the HQ key already pinned
                return
            box = QMessageBox(
                QMessageBox.Icon.Question,
                title,
                _(
                    "HQ fingerprint:\n\n{fingerprint}\n\nCall HQ or meet them, and ask them to "
                    "read their fingerprint to you. Install only if every digit matches."
                ).format(fingerprint=fingerprint),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                self.window,
            )
            box.setObjectName("profileFingerprint")
            box.button(QMessageBox.StandardButton.Yes).setText(_("It matches: install"))
            box.button(QMessageBox.StandardButton.No).setText(_("It does not match"))
            box.setDefaultButton(QMessageBox.StandardButton.No)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.finished.connect(
                lambda r: self.install(data) if r == QMessageBox.StandardButton.Yes else None
            )
            box.open()

        self.runner.call(read).success(ask).failure(self._fail(title))

    def install(self, data: bytes) -> None:
        _ = self.ctx.gettext
        title = _("Coalition profile")
        self.runner.call(lambda s: s.field().profile.install(data).serial).success(
            lambda serial: self._tell(
                title, _("Coalition profile {serial} installed.").format(serial=serial)
            )
        ).failure(self._fail(title)).announces(profile_installed)

    # ---------------------------------------------------------------- request
    def write_request(self) -> None:
        chooser = QFileDialog(self.window, self.ctx.gettext("Save the enrollment request"))
        chooser.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        chooser.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        chooser.selectFile("request.json")
        chooser.fileSelected.connect(lambda name: self.save_request(Path(name)))
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        chooser.open()

    def save_request(self, path: Path) -> None:
        _ = self.ctx.gettext
        title = _("Enrollment request")

        def work(s: Session) -> str:
            data, fingerprint = s.field().enrollment.request()
            write_public_file(path, data)
            return fingerprint

        self.runner.call(work).success(
            lambda fingerprint: self._tell(
                title,
                _(
                    "The request was saved. Give it to HQ, then read them this laptop's "
                    "fingerprint:\n\n{fingerprint}"
                ).format(fingerprint=fingerprint),
            )
        ).failure(self._fail(title))

