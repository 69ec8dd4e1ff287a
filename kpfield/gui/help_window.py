"""Help menu: the offline help pages (F1, for what has the focus) and About KP Field.

F1 walks up from the focused widget to the first one carrying a ``helpPage`` property (see
``help_page``), so a screen says which page is about it with one line. The pages are local HTML
in the monitor's language, shown in a text browser that never loads anything from a network.

The F1 of the Help menu is an application shortcut of the main window, which a modal dialog
blocks; so every modal dialog of the window gets its own F1 the first time it takes the focus,
and the help opens above that dialog (a sibling of a window-modal dialog would be blocked too).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from kpfield import __version__
from kpfield.app import Session
from kpfield.domain.models import VaultRole
from kpfield.gui.context import AppContext
from kpfield.gui.enrollment_status import explanation, headline
from kpfield.gui.help_page import HELP_PAGE, page_for, set_help_page
from kpfield.services.enrollment_state import EnrollmentState
from kpfield.services.help import page_path

__all__ = ["HELP_PAGE", "AboutDialog", "HelpActions", "HelpWindow", "page_for", "set_help_page"]

DIALOG_F1 = "helpF1"
"""Object name of the F1 shortcut given to a modal dialog."""

LICENCES = (
    ("KP Field", "AGPL-3.0-or-later"),
    ("Qt for Python (PySide6)", "LGPL-3.0"),
    ("SQLCipher", "BSD-3-Clause"),
    ("cryptography", "Apache-2.0 / BSD-3-Clause"),
    ("Pillow", "MIT-CMU"),
    ("httpx", "BSD-3-Clause"),
    ("fpdf2", "LGPL-3.0"),
    ("platformdirs", "MIT"),
    ("Natural Earth", "public domain"),
)


class HelpWindow(QDialog):
    """One page at a time; links move between the local pages only."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        _ = ctx.gettext
        self.setObjectName("helpWindow")
        self.setWindowTitle(_("KP Field help"))
        self.resize(720, 560)
        v = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("helpBrowser")
        self.browser.setOpenExternalLinks(False)
        self.browser.anchorClicked.connect(self._anchor)
        self.browser.setOpenLinks(False)  # every link goes through _anchor: local pages only
        v.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.page = ""

    def show_page(self, page: str) -> None:
        path = page_path(self.ctx.i18n.language, page)
        self.page = path.stem
        self.browser.setSource(QUrl.fromLocalFile(str(path)))

    def _anchor(self, url: QUrl) -> None:
        if url.isRelative() or url.isLocalFile():
            target = url.toLocalFile() if url.isLocalFile() else url.path()
            self.show_page(Path(target).stem)
        # Anything else (a web address) is not followed: the help never goes online.


def about_text(
    ctx: AppContext,
    role: VaultRole | None,
    name: str,
    fingerprint: str,
    enrollment: EnrollmentState | None,
) -> str:
    """About, as rich text (every value escaped)."""
    _ = ctx.gettext
    e = html.escape
    rows = [(_("Version"), e(__version__))]
    if role is None:
        rows.append((_("This laptop"), e(_("Unlock the vault to see its name and fingerprint."))))
    else:
        rows.append((_("Name"), e(name) or "—"))
        rows.append((_("Fingerprint"), f"<tt>{e(fingerprint)}</tt>"))
        if role is VaultRole.HQ:
            rows.append((_("Enrollment"), e(_("This is an HQ vault: it enrolls laptops."))))
        elif enrollment is not None:
            rows.append(
                (
                    _("Enrollment"),
                    f"<b>{e(headline(enrollment, _))}</b><br>{e(explanation(enrollment, _))}",
                )
            )
    rows.append((_("Vault folder"), e(str(ctx.data_dir))))
    table = "".join(
        f"<tr><td valign='top'><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows
    )
    licences = "<br>".join(f"{e(n)}: {e(lic)}" for n, lic in LICENCES)
    return (
        f"<h3>KP Field</h3><table>{table}</table>"
        f"<p><b>{e(_('Licences'))}</b><br>{licences}</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _ = ctx.gettext
        self.setObjectName("aboutDialog")
        self.setWindowTitle(_("About KP Field"))
        self.setMinimumWidth(640)
        v = QVBoxLayout(self)
        self.text = QLabel()
        self.text.setObjectName("aboutText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)


class HelpActions(QObject):
    """The Help menu's two actions; rebuilt with the chrome (a language switch)."""

    def __init__(self, window: QMainWindow, ctx: AppContext, unlocked: Callable[[], bool]) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.unlocked = unlocked
        _ = ctx.gettext
        self.help_action = QAction(_("Help"), window)
        self.help_action.setObjectName("help")
        self.help_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.help_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.help_action.triggered.connect(self.help_for_focus)
        window.addAction(self.help_action)
        self.about_action = QAction(_("About KP Field"), window)
        self.about_action.setObjectName("about")
        self.about_action.triggered.connect(self.about)
        window.addAction(self.about_action)
        self.help_window: HelpWindow | None = None
        self._dialog_keys: list[QShortcut] = []
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    @property
    def actions(self) -> tuple[QAction, QAction]:
        return self.help_action, self.about_action

    def help_for_focus(self) -> HelpWindow:
        # The main window's own focus child when no window is active (the help was its menu's).
        return self.show_help(page_for(QApplication.focusWidget() or self.window.focusWidget()))

    def _ours(self, widget: QWidget) -> bool:
        """``widget`` is this main window or inside one of its (nested) dialogs."""
        w: QWidget | None = widget
        while w is not None and w is not self.window:
            w = w.parentWidget()
        return w is self.window

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        dialog = now.window() if now is not None else None
        if not isinstance(dialog, QDialog) or isinstance(dialog, HelpWindow):
            return
        if not self._ours(dialog):
            return
        key = dialog.findChild(QShortcut, DIALOG_F1)
        if key is None:
            key = QShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents), dialog)
            key.setObjectName(DIALOG_F1)
            key.setContext(Qt.ShortcutContext.WindowShortcut)
            key.activated.connect(self.help_for_focus)
            self._dialog_keys = [k for k in self._dialog_keys if shiboken6.isValid(k)] + [key]
        # Only while modal: in a modeless dialog the Help menu's F1 works, and two would clash.
        key.setEnabled(dialog.isModal())

    def _above(self) -> QWidget:
        """The window the help belongs to: the modal dialog of ours in front, else the window."""
        modal = QApplication.activeModalWidget()
        if modal is not None and not isinstance(modal, HelpWindow) and self._ours(modal):
            return modal
        return self.window

    def show_help(self, page: str) -> HelpWindow:
        parent = self._above()
        if self.help_window is None:
            self.help_window = HelpWindow(self.ctx, parent)
            self.help_window.destroyed.connect(self._gone)
        elif self.help_window.parentWidget() is not parent:
            self.help_window.setParent(parent, self.help_window.windowFlags())
        self.help_window.show_page(page)
        self.help_window.show()
        self.help_window.raise_()
        return self.help_window

    def _gone(self) -> None:
        self.help_window = None

    def about(self) -> AboutDialog:
        dialog = AboutDialog(self.ctx, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.text.setText(about_text(self.ctx, None, "", "", None))
        dialog.open()
        if self.unlocked():

            def read(s: Session) -> tuple[VaultRole, str, str, EnrollmentState | None]:
                field = s.role is VaultRole.FIELD
                state = s.field().enrollment.state() if field else None
                return s.role, s.identity.device_name(), s.identity.fingerprint(), state

            def show(value: tuple[VaultRole, str, str, EnrollmentState | None]) -> None:
                if dialog.isVisible():
                    dialog.text.setText(about_text(self.ctx, *value))

            self.ctx.runner.call(read).success(show).failure(lambda _e: None)
        return dialog

    def dispose(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.disconnect(self._focus_changed)
        for key in self._dialog_keys:  # dialogs still open keep no F1 bound to a retired object
            if shiboken6.isValid(key):
                key.setParent(None)
                key.deleteLater()
        self._dialog_keys.clear()
        if self.help_window is not None:
            self.help_window.close()
            self.help_window.deleteLater()
        self.deleteLater()
