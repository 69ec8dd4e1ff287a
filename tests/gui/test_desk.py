"""The HQ desk, with real widgets on a real HQ vault holding real bundles (one tampered, one gap)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from kpfield.gui.desk.approve_dialog import ApproveDialog
from kpfield.gui.desk.case_model import ID_ROLE
from kpfield.gui.main_window import MainWindow
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE
from tests.desk.world import Desk, build_desk
from tests.gui.conftest import idle


@pytest.fixture
def desk_world(tmp_path: Path) -> Desk:
    world = build_desk(tmp_path, KdfParams.cheap_for_tests())
    world.close()
    return world


@pytest.fixture
def hq_window(make_window: object, desk_world: Desk, qtbot: QtBot) -> MainWindow:
    window = make_window(desk_world.hq.vault.paths.root)  # type: ignore[operator]
    assert isinstance(window, MainWindow)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    idle(qtbot, window)
    return window


def desk_of(window: MainWindow):  # type: ignore[no-untyped-def]
    assert window.desk is not None
    return window.desk


def test_hq_vault_opens_the_desk_not_the_editor(hq_window: MainWindow) -> None:
    assert hq_window.workspace is None
    assert not hq_window.new_action.isVisible()
    assert not hq_window.seal_action.isVisible()
    assert hq_window.transfer.import_action.isVisible()


def test_inbox_says_what_was_rejected_and_why(hq_window: MainWindow, qtbot: QtBot) -> None:
    inbox = desk_of(hq_window).inbox
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 4)
    results = [inbox.table.item(r, 2).text() for r in range(4)]
    assert sum(t.startswith("Rejected:") for t in results) == 1
    assert sum(t.startswith("Imported:") for t in results) == 3
    bad = next(r for r in range(4) if inbox.table.item(r, 2).text().startswith("Rejected"))
    inbox.table.selectRow(bad)
    html = inbox.detail.toPlainText()
    assert "Addressed to this HQ" in html
    assert "failed" in html
    assert "not checked" in html
    good = next(r for r in range(4) if "lunda-laptop" in inbox.table.item(r, 1).text())
    inbox.table.selectRow(good)
    assert "Custody chain intact" in inbox.detail.toPlainText()


def test_devices_show_the_gap(hq_window: MainWindow, qtbot: QtBot) -> None:
    devices = desk_of(hq_window).devices
    qtbot.waitUntil(lambda: devices.table.rowCount() == 2)
    rows = {devices.table.item(r, 0).text(): r for r in range(2)}
    assert devices.table.item(rows["lunda-laptop"], 5).text() == "2"
    assert devices.table.item(rows["kono-laptop"], 5).text() == "none"
    assert devices.table.item(rows["lunda-laptop"], 4).text() == "2"


def test_approve_defaults_to_it_does_not_match(
    hq_window: MainWindow, qtbot: QtBot, tmp_path: Path, desk_world: Desk
) -> None:
    from kpfield.app import create_session

    laptop = create_session(
        tmp_path / "new-laptop", PASSPHRASE, params=KdfParams.cheap_for_tests(),
        device_name="new-laptop",
    )  # fmt: skip
    devices = desk_of(hq_window).devices
    profile = hq_window.runner.call(lambda s: s.hq().profile.export()[0])
    got: list[bytes] = []
    profile.success(got.append)
    qtbot.waitUntil(lambda: bool(got))
    laptop.field().profile.install(got[0])
    request = tmp_path / "request.kpreq"
    request.write_bytes(laptop.field().enrollment.request()[0])
    laptop.close()
    devices.review_request(request)
    qtbot.waitUntil(lambda: isinstance(getattr(devices, "dialog", None), ApproveDialog))
    dialog = devices.dialog
    assert dialog.no.isChecked()
    assert dialog.fingerprint.text()
    dialog.accept()  # OK with "It does not match": nothing is approved
    idle(qtbot, hq_window)
    assert devices.table.rowCount() == 2
    devices.review_request(request)
    qtbot.waitUntil(lambda: devices.dialog is not dialog)
    devices.dialog.yes.setChecked(True)
    devices.dialog.done(QDialog.DialogCode.Accepted)
    qtbot.waitUntil(lambda: devices.table.rowCount() == 3)


def test_cases_filter_search_open_and_review(hq_window: MainWindow, qtbot: QtBot) -> None:
    cases = desk_of(hq_window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    assert cases.table.verticalHeader().defaultSectionSize() == 24
    cases.bar.country.setCurrentIndex(cases.bar.country.findData("AO"))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    cases.bar.country.setCurrentIndex(0)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    qtbot.keyClicks(cases.bar.search, "violacao")
    qtbot.keyClick(cases.bar.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    qtbot.waitUntil(lambda: cases.model.row_at(0) is not None)
    assert "<b>" in cases.model.row_at(0).snippet_html()
    cases.bar.search.clear()
    qtbot.keyClick(cases.bar.search, Qt.Key.Key_Return)
    cases.bar.country.setCurrentIndex(cases.bar.country.findData("SL"))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 1)
    cases.table.selectRow(0)
    qtbot.waitUntil(lambda: cases.report.view is not None)
    view = cases.report.view
    text = cases.report.text.toPlainText()
    assert view.title in text
    assert "Custody trail" in text
    assert "Verified and imported at HQ" in text
    assert "(kept only in the vault)" not in text  # no identity without a logged reveal
    photo = view.attachments[0].attachment_id
    qtbot.waitUntil(lambda: photo in cases.report.photos.hashes, timeout=10_000)
    assert cases.report.photos.hashes[photo] == view.attachments[0].sha256
    panel = cases.report.review
    panel.state.setCurrentIndex(panel.state.findData("rejected"))
    panel.save.click()  # no reason: refused with a message, nothing changes
    qtbot.waitUntil(lambda: "reason" in panel.error.text())
    panel.reason.setText("Outside the KP's scope")
    panel.save.click()
    qtbot.waitUntil(
        lambda: cases.report.view is not None and cases.report.view.review_state == "rejected"
    )
    qtbot.waitUntil(
        lambda: (
            cases.model.row_at(0) is not None and cases.model.row_at(0).review_state == "rejected"
        )
    )
    audit = desk_of(hq_window).audit
    qtbot.waitUntil(lambda: audit.table.rowCount() == 3)  # two approvals, then the review
    assert audit.table.item(0, 2).text() == "Review state"
    assert audit.table.item(0, 4).text() == "From “New” to “Rejected”: Outside the KP's scope"
    assert "{" not in "".join(audit.table.item(r, 4).text() for r in range(3))
    assert audit.table.item(2, 2).text() == "Device approved"
    assert "intact" in audit.state.text()
    assert cases.model.data(cases.model.index(0, 0), ID_ROLE) == view.report_id


def test_lock_forgets_the_desk(hq_window: MainWindow, qtbot: QtBot) -> None:
    cases = desk_of(hq_window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    hq_window.lock()
    assert hq_window.desk is None
    assert hq_window.unlock_screen is not None
