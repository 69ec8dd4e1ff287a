"""Help and About: every language has every page, links stay inside the help, F1 opens the page
about what has the focus, About names this laptop and its enrollment state."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from kpfield import __version__
from kpfield.gui.help_window import AboutDialog, HelpWindow, page_for
from kpfield.gui.main_window import MainWindow
from kpfield.i18n import LANGUAGES
from kpfield.paths import resources_dir
from kpfield.services.help import PAGES, help_root, problems
from tests.desk.world import Desk
from tests.gui.conftest import idle, new_report
from tests.gui.test_desk import desk_of, desk_world  # noqa: F401 - fixtures

QUOTED = {"en": re.compile(r'"([^"<>]+)"'), "fr": re.compile(r"« ([^»<>]+) »"),
          "pt": re.compile(r"«([^»<>]+)»")}  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        self.text.append(data)


def _read(language: str, page: str) -> _Text:
    parser = _Text()
    parser.feed((help_root() / language / f"{page}.html").read_text(encoding="utf-8"))
    return parser


def test_every_language_has_every_page_and_every_link_resolves() -> None:
    assert problems() == []
    assert set(LANGUAGES) == {p.name for p in help_root().iterdir() if p.is_dir()}
    for language in LANGUAGES:
        names = {p.stem for p in (help_root() / language).glob("*.html")}
        assert names == set(PAGES), language
        for page in PAGES:
            assert _read(language, page).title.strip(), (language, page)
    for page in PAGES:  # translated, not copied
        assert _read("fr", page).title != _read("en", page).title
        assert _read("pt", page).title != _read("en", page).title


def test_a_link_leading_nowhere_or_online_is_a_problem(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "resources"
    shutil.copytree(resources_dir() / "help", copy / "help")
    page = copy / "help" / "fr" / "editor.html"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "</body>", '<a href="nowhere.html">x</a><a href="https://example.org/">y</a></body>'
        ),
        encoding="utf-8",
    )
    (copy / "help" / "pt" / "data.html").unlink()
    found = problems(copy)
    assert "fr/editor.html links to a missing page: nowhere.html" in found
    assert "fr/editor.html links outside the help: https://example.org/" in found
    assert "pt/data.html is missing" in found


def test_labels_quoted_in_the_help_are_the_labels_the_app_shows() -> None:
    """A page that says "tick X" must name a checkbox that exists, in that language."""
    root = resources_dir() / "translations"
    for language, pattern in QUOTED.items():
        if language == "en":
            with open(root / "kpfield.pot", "rb") as fh:
                known = {m.id for m in read_po(fh) if isinstance(m.id, str)}
        else:
            with open(root / language / "LC_MESSAGES" / "kpfield.po", "rb") as fh:
                known = {m.string for m in read_po(fh) if isinstance(m.string, str)}
        for page in PAGES:
            text = " ".join(" ".join(_read(language, page).text).split())
            for label in pattern.findall(text):
                assert label in known, (language, page, label)


def _help(window: MainWindow) -> HelpWindow:
    found = window.findChild(HelpWindow)
    assert found is not None and found.isVisible()
    return found


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_f1_opens_the_page_about_what_has_the_focus(
    qtbot: QtBot, unlocked: MainWindow, language: str
) -> None:
    from kpfield.i18n import I18n

    if language != "en":
        unlocked.switch_language(language)
        qtbot.waitUntil(lambda: unlocked.workspace is not None)
        idle(qtbot, unlocked)
    assert unlocked.ctx.i18n.language == language
    unlocked.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is unlocked)
    new_report(qtbot, unlocked)
    ws = unlocked.workspace
    assert ws is not None
    ws.editor.tabs.setCurrentIndex(0)
    ws.editor.incident.title.setFocus()
    unlocked.activateWindow()
    qtbot.waitUntil(ws.editor.incident.title.hasFocus)
    qtbot.keyClick(ws.editor.incident.title, Qt.Key.Key_F1)
    window = _help(unlocked)
    assert window.page == "editor"
    shown = window.browser.toPlainText()
    assert _read(language, "editor").title.strip() in shown
    assert window.windowTitle() == I18n(language).gettext("KP Field help")

    ws.editor.tabs.setCurrentWidget(ws.editor.witnesses)
    ws.editor.witnesses.add_button.setFocus()
    unlocked.help.help_for_focus()
    assert window.page == "witnesses"

    # A link moves to another local page; a web address is not followed.
    window.browser.anchorClicked.emit(QUrl("data.html"))
    assert window.page == "data"
    window.browser.anchorClicked.emit(QUrl("https://example.org/"))
    assert window.page == "data"
    window.close()


def test_f1_on_the_lock_screen_opens_the_safety_page(qtbot: QtBot, unlocked: MainWindow) -> None:
    unlocked.lock()
    idle(qtbot, unlocked)
    assert unlocked.unlock_screen is not None
    unlocked.unlock_screen.passphrase.setFocus()
    assert unlocked.help.help_for_focus().page == "safety"


def test_about_shows_version_fingerprint_enrollment_and_vault_folder(
    qtbot: QtBot, unlocked: MainWindow, data_dir: Path
) -> None:
    dialog = unlocked.help.about()
    assert isinstance(dialog, AboutDialog)
    idle(qtbot, unlocked)

    def fingerprint() -> str:
        out: list[str] = []
        unlocked.runner.call(lambda s: s.identity.fingerprint()).success(out.append)
        idle(qtbot, unlocked)
        return out[0]

    expected = fingerprint()
    qtbot.waitUntil(lambda: expected in dialog.text.text())
    text = dialog.text.text()
    assert __version__ in text
    assert "Not yet enrolled at HQ" in text
    assert str(data_dir) in text
    assert "AGPL-3.0-or-later" in text and "LGPL-3.0" in text
    dialog.close()
    unlocked.lock()
    idle(qtbot, unlocked)
    locked = unlocked.help.about()
    assert expected not in locked.text.text()  # nothing from the vault while it is locked
    assert "Unlock the vault" in locked.text.text()
    locked.close()


HQ_PAGES = ("desk", "intake", "identities")


def test_the_contents_link_to_every_hq_page_in_every_language() -> None:
    for language in LANGUAGES:
        index = (help_root() / language / "index.html").read_text(encoding="utf-8")
        for page in HQ_PAGES:
            assert f'href="{page}.html"' in index, (language, page)
            assert _read(language, page).title.strip() in index, (language, page)


def test_self_test_check_sees_a_missing_or_broken_hq_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kpfield self-test`` runs the same link checker: it fails on a broken HQ page."""
    import shutil

    from kpfield.selftest import SelfTestFailure, check_resources

    copy = tmp_path / "resources"
    shutil.copytree(resources_dir(), copy)
    monkeypatch.setenv("KPFIELD_RESOURCES", str(copy))
    assert "9 pages each" in check_resources()
    (copy / "help" / "pt" / "identities.html").unlink()
    desk = copy / "help" / "fr" / "desk.html"
    desk.write_text(desk.read_text(encoding="utf-8").replace("intake.html", "entree.html"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(SelfTestFailure) as failed:
        check_resources()
    assert "pt/identities.html is missing" in str(failed.value)
    assert "fr/desk.html links to a missing page: entree.html" in str(failed.value)


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_f1_on_the_hq_desk_opens_the_page_about_each_view(
    qtbot: QtBot,
    desk_world: Desk,  # noqa: F811
    language: str,
) -> None:
    from kpfield.gui.settings import GuiSettings, save_settings
    from tests.conftest import PASSPHRASE

    root: Path = desk_world.hq.vault.paths.root
    save_settings(root, GuiSettings(language=language))
    window = MainWindow(root)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    idle(qtbot, window)
    desk = desk_of(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    def f1_on(widget: QWidget, tab: QWidget) -> HelpWindow:
        desk.setCurrentWidget(tab)
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus)
        qtbot.keyClick(widget, Qt.Key.Key_F1)
        return _help(window)

    help_ = f1_on(desk.cases.table, desk.cases)
    assert help_.page == "desk"
    assert _read(language, "desk").title.strip() in help_.browser.toPlainText()
    help_.close()
    for widget, tab, page in (
        (desk.cases.bar.search, desk.cases, "desk"),
        (desk.inbox.table, desk.inbox, "intake"),
        (desk.devices.table, desk.devices, "intake"),
        (desk.audit.table, desk.audit, "desk"),
    ):
        help_ = f1_on(widget, tab)
        assert help_.page == page, (widget.objectName(), page)
        assert _read(language, page).title.strip() in help_.browser.toPlainText()
        help_.close()

    # A case's witness identities tab: the identities page.
    cases = desk.cases
    qtbot.waitUntil(lambda: cases.model.rowCount() > 0)
    cases.table.selectRow(0)
    qtbot.waitUntil(lambda: cases.report.view is not None)
    cases.report.tabs.setCurrentWidget(cases.report.identities)
    assert page_for(cases.report.identities) == "identities"

    # The export dialog is modal: its own F1 opens the desk page above it.
    dialog = cases.open_export()
    qtbot.waitUntil(dialog.isVisible)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    focus = QApplication.focusWidget()
    assert focus is not None and focus.window() is dialog
    qtbot.keyClick(focus, Qt.Key.Key_F1)
    found = dialog.findChild(HelpWindow)
    assert found is not None and found.isVisible() and found.page == "desk"
    assert _read(language, "desk").title.strip() in found.browser.toPlainText()
    found.close()
    dialog.reject()
