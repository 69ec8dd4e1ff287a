"""Help menu: the offline help pages (F1, for what has the focus) and About KP Field.

F1 walks up from the focused widget to the first one carrying a ``helpPage`` property (see
``HELP_PAGE``), so a screen says which page is about it with one line. The pages are local HTML
in the monitor's language, shown in a text browser that never loads anything from a network.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl
from PySide6.QtGui import QAction, QKeySequence
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
from kpfield.services.enrollment_state import EnrollmentState
from kpfield.services.help import page_path

HELP_PAGE = "helpPage"
"""The Qt property naming a widget's help page (one of kpfield.services.help.PAGES)."""

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


def set_help_page(widget: QWidget, page: str) -> None:
    widget.setProperty(HELP_PAGE, page)


def page_for(widget: QWidget | None) -> str:
    """The help page for ``widget``: its own, or its nearest ancestor's, else the contents."""
    while widget is not None:
        page = widget.property(HELP_PAGE)
        if isinstance(page, str) and page:
            return page
        widget = widget.parentWidget()
    return "index"


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

    @property
    def actions(self) -> tuple[QAction, QAction]:
        return self.help_action, self.about_action

    def help_for_focus(self) -> HelpWindow:
        # The main window's own focus child when no window is active (the help was its menu's).
        return self.show_help(page_for(QApplication.focusWidget() or self.window.focusWidget()))

    def show_help(self, page: str) -> HelpWindow:
        if self.help_window is None:
            self.help_window = HelpWindow(self.ctx, self.window)
            self.help_window.destroyed.connect(self._gone)
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
        if self.help_window is not None:
            self.help_window.close()
            self.help_window.deleteLater()
        self.deleteLater()
