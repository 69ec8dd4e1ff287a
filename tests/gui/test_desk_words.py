"""The desk in words: every audit action said plainly, device approval and revocation in the
audit log on screen, and the Portuguese filter lists readable in full at 1366×728."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox, QStyle, QStyleOptionComboBox
from pytestqt.qtbot import QtBot

from kpfield.gui.desk.audit_words import action_in_words, details_in_words
from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import GuiSettings, save_settings
from kpfield.hq.audit import ACTIONS
from kpfield.i18n import I18n
from tests.conftest import PASSPHRASE
from tests.desk.world import Desk
from tests.gui.conftest import idle
from tests.gui.test_desk import desk_of, desk_world, hq_window  # noqa: F401 - fixtures

DETAILS = {
    "review": {"from": "new", "to": "duplicate", "reason": "same as case 4"},
    "link": {"with": "0123456789abcdef"},
    "unlink": {"with": "0123456789abcdef"},
    "note": {"chars": 42},
    "identity_reveal": {"witness": "fedcba9876543210"},
    "export": {"kind": "pdf_brief", "file": "brief.pdf", "sha256": "ab" * 32, "included": 3,
               "left_out": 2, "overridden": 1, "filter": {"country": "AO"}},  # fmt: skip
    "override": {"export": "pdf_brief", "file": "brief.pdf", "reason": "asked by the WG"},
    "device_approved": {"device": "d" * 32, "name": "kono-laptop", "fingerprint": "12345 67890"},
    "device_revoked": {"device": "d" * 32, "name": "kono-laptop", "fingerprint": "12345 67890"},
    "identity_deleted": {"witness": "w1", "device": "d" * 32, "reason": "asked", "reports": ["r1"]},
}


@pytest.mark.parametrize("language", ["en", "fr", "pt"])
def test_every_audit_action_has_words_and_no_json(language: str) -> None:
    _ = I18n(language).gettext
    assert set(DETAILS) == set(ACTIONS)
    for action in ACTIONS:
        label = action_in_words(action, _)
        text = details_in_words(action, DETAILS[action], _)
        assert label and label != action, action
        assert "{" not in text and "}" not in text and '"' not in text, text
    review = details_in_words("review", DETAILS["review"], _)
    assert "same as case 4" in review
    assert "duplicate" not in review.lower() or language == "en"  # the state's label, translated
    export = details_in_words("export", DETAILS["export"], _)
    assert "brief.pdf" in export and "3" in export and "2" in export
    assert "01234567" in details_in_words("link", DETAILS["link"], _)


def test_revoking_a_device_shows_in_the_audit_log(
    hq_window: MainWindow, qtbot: QtBot  # noqa: F811
) -> None:
    desk = desk_of(hq_window)
    devices, audit = desk.devices, desk.audit
    qtbot.waitUntil(lambda: devices.table.rowCount() == 2 and audit.table.rowCount() == 2)
    assert {audit.table.item(r, 2).text() for r in range(2)} == {"Device approved"}
    row = next(r for r in range(2) if devices.table.item(r, 0).text() == "kono-laptop")
    devices.table.selectRow(row)
    devices.ask_revoke()
    box = devices.confirm
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: audit.table.rowCount() == 3)
    fingerprint = devices.table.item(row, 1).text()
    assert audit.table.item(0, 2).text() == "Device revoked"
    assert audit.table.item(0, 4).text() == f"kono-laptop ({fingerprint})"
    qtbot.waitUntil(lambda: devices.table.item(row, 6).text().startswith("Revoked"))


def test_portuguese_filter_lists_are_read_in_full(
    desk_world: Desk, qtbot: QtBot  # noqa: F811
) -> None:
    root: Path = desk_world.hq.vault.paths.root
    save_settings(root, GuiSettings(language="pt"))
    window = MainWindow(root)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    qtbot.waitExposed(window)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    bar = desk_of(window).cases.bar
    qtbot.waitUntil(lambda: bar.country.count() > 1)
    combos = (bar.category, bar.perpetrator, bar.country, bar.site, bar.device, bar.consent,
              bar.verification, bar.review)  # fmt: skip
    assert bar.review.itemText(0) == "Qualquer estado de revisão"
    for box in combos:
        fm = box.fontMetrics()
        shown = fm.horizontalAdvance(box.itemText(0))
        assert box.width() >= shown + 24, (box.objectName(), box.width(), shown)  # + the arrow
        longest = max(fm.horizontalAdvance(box.itemText(i)) for i in range(box.count()))
        assert box.view().minimumWidth() >= longest, box.objectName()  # the open list
    window.close()


def _edit_width(box: QComboBox) -> int:
    """The room the closed box has for its text (the box less its frame and arrow)."""
    opt = QStyleOptionComboBox()
    box.initStyleOption(opt)
    field = QStyle.SubControl.SC_ComboBoxEditField
    return box.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, opt, field, box).width()


@pytest.mark.parametrize("language", ["fr", "pt"])
def test_the_desk_fits_1366x728_in_french_and_portuguese(
    desk_world: Desk, qtbot: QtBot, language: str  # noqa: F811
) -> None:
    """With a case open and the splitter dragged all the way to it: no "any …" filter is cut,
    no column header is cut, and the case's text keeps room (the empty review rows give it)."""
    root: Path = desk_world.hq.vault.paths.root
    save_settings(root, GuiSettings(language=language))
    window = MainWindow(root)
    qtbot.addWidget(window)
    window.resize(1366, 728)
    window.show()
    qtbot.waitExposed(window)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    cases = desk_of(window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    for r in range(3):
        cases.model.data(cases.model.index(r, 0))  # asks for the page
    qtbot.waitUntil(lambda: all(cases.model.row_at(r) for r in range(3)))
    with_photo = next(r for r in range(3) if (row := cases.model.row_at(r)) and row.photos)
    cases.table.selectRow(with_photo)
    qtbot.waitUntil(lambda: cases.report.view is not None and cases.report.photo_scroll.isVisible())
    idle(qtbot, window)
    text = cases.report.text
    assert text.height() >= 280, text.height()  # was 220: empty review rows took the room
    assert window.width() == 1366
    cases.split.setSizes([0, 1366])  # the analyst gives the open case all it can take
    idle(qtbot, window)
    for box in cases.bar._combos():
        shown = box.fontMetrics().horizontalAdvance(box.itemText(0))
        assert _edit_width(box) >= shown, (box.objectName(), box.itemText(0))
    hh = cases.table.horizontalHeader()
    for i in range(hh.count()):
        name = cases.model.headerData(i, Qt.Orientation.Horizontal)
        assert hh.sectionSize(i) >= hh.sectionSizeHint(i), name  # the sort arrow included
    assert cases.report.geometry().right() < window.width()
    window.close()

