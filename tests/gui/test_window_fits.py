"""The window fits a 1366×768 laptop with a taskbar (about 1366×728 left for windows): resizable,
a minimum that fits, and at 1366×728 the status bar and every button of every screen are on screen,
in every language."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import GuiSettings, save_settings
from kpfield.gui.window_size import MINIMUM, first_geometry
from kpfield.i18n import LANGUAGES
from tests.gui.conftest import idle, new_report, unlock

LAPTOP = QSize(1366, 728)


def test_first_size_fits_the_screen_left_by_a_taskbar() -> None:
    available = QRect(0, 0, 1366, 728)
    geometry = first_geometry(available)
    assert geometry.height() <= 728 - 30  # room for a title bar
    assert geometry.width() <= 1366
    assert available.contains(geometry)
    big = first_geometry(QRect(0, 0, 1920, 1040))
    assert big.size() == QSize(1366, 768)
    assert MINIMUM.width() <= 1366 and MINIMUM.height() <= 728 - 40


def fully_shown(widget: QWidget, window: MainWindow) -> bool:
    """Every pixel of ``widget`` is inside the window and not clipped by a parent."""
    top_left = widget.mapTo(window, widget.rect().topLeft())
    inside = window.rect().contains(QRect(top_left, widget.size()))
    return inside and widget.visibleRegion().boundingRect().size() == widget.size()


def controls_shown(window: MainWindow) -> list[str]:
    """Names of visible buttons and fields that are cut off (empty when all fit)."""
    cut = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, QAbstractButton | QLineEdit) or not w.isVisible():
            continue
        if w.window() is window and not fully_shown(w, window):
            cut.append(w.objectName() or w.metaObject().className())
    return cut


def check_fits(window: MainWindow, screen: str) -> None:
    bar = window.statusBar()
    assert bar.isVisible(), screen
    assert fully_shown(bar, window), screen
    assert controls_shown(window) == [], screen


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screen_fits_1366x728(
    qtbot: QtBot, make_window: object, existing_vault: Path, data_dir: Path, language: str
) -> None:
    save_settings(data_dir, GuiSettings(language=language))
    window = make_window()  # type: ignore[operator]
    assert isinstance(window, MainWindow)
    window.resize(LAPTOP)
    qtbot.waitUntil(lambda: window.size() == LAPTOP)
    assert window.minimumSizeHint().width() <= LAPTOP.width()
    assert window.minimumSizeHint().height() <= LAPTOP.height()
    check_fits(window, "unlock")
    unlock(qtbot, window)
    new_report(qtbot, window)
    assert window.workspace is not None
    tabs = window.workspace.editor.tabs
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        idle(qtbot, window)
        check_fits(window, f"editor tab {index}")
    window.resize(MINIMUM)
    qtbot.waitUntil(lambda: window.width() <= max(MINIMUM.width(), window.minimumSizeHint().width()))
    assert window.size().width() <= LAPTOP.width()
    assert window.size().height() <= LAPTOP.height()
    assert fully_shown(window.statusBar(), window)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_run_fits_1366x728(
    qtbot: QtBot, make_window: object, data_dir: Path, language: str
) -> None:
    save_settings(data_dir, GuiSettings(language=language))
    window = make_window()  # type: ignore[operator]
    assert isinstance(window, MainWindow) and window.setup is not None
    window.resize(LAPTOP)
    qtbot.waitUntil(lambda: window.size() == LAPTOP)
    for page in range(window.setup.pages.count()):
        window.setup.pages.setCurrentIndex(page)
        check_fits(window, f"setup page {page}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_full_status_bar_fits_1366_wide(
    qtbot: QtBot, make_window: object, existing_vault: Path, data_dir: Path, language: str
) -> None:
    """The longest status bar a monitor sees (reports waiting and out, last export, not yet
    enrolled, sync waiting): the window stays 1366 wide; only "last export" may give way."""
    save_settings(data_dir, GuiSettings(language=language))
    window = make_window()  # type: ignore[operator]
    assert isinstance(window, MainWindow)
    window.resize(LAPTOP)
    unlock(qtbot, window)
    i18n = window.ctx.i18n
    pending = i18n.ngettext(
        "{n} sealed report not yet exported or sent",
        "{n} sealed reports not yet exported or sent", 12,
    ).format(n=12) + " · " + i18n.ngettext(
        "{n} exported or sent, not yet acknowledged by HQ",
        "{n} exported or sent, not yet acknowledged by HQ", 30,
    ).format(n=30)  # fmt: skip
    window.pending_label.setText(pending)
    window.sync_label.setText(
        i18n.gettext("Last export or sync: {when}").format(when="2026-12-02 10:20")
    )
    assert window.sync is not None
    window.sync.button.setText(i18n.gettext("Sync: waiting for the network"))
    qtbot.waitUntil(window.enrollment_button.isVisible)
    idle(qtbot, window)
    assert window.minimumSizeHint().width() <= LAPTOP.width()
    window.resize(LAPTOP)
    qtbot.waitUntil(lambda: window.size() == LAPTOP)
    shown = (window.pending_label, window.enrollment_button, window.sync.button)

    def whole(w: QWidget) -> bool:
        text = w.text()  # type: ignore[attr-defined]
        return fully_shown(w, window) and w.width() >= w.fontMetrics().horizontalAdvance(text)

    qtbot.waitUntil(lambda: all(whole(w) for w in shown), timeout=5_000)  # after the relayout
    check_fits(window, "full status bar")
