"""The laptop shows whether HQ enrolled it: "not yet enrolled" until HQ's receipt says so, a
question before exporting unenrolled (the bundle is still made), the laptop named at setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.app import create_session
from kpfield.gui.main_window import MainWindow
from kpfield.protocol.enrollment import parse_request
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import PASSPHRASE as FIELD_PASSPHRASE
from tests.bundle.world import export, new_field, seal_report
from tests.gui.conftest import PASSPHRASE, idle, stick_chooser, unlock


def _visible_box(window: MainWindow, name: str) -> QMessageBox | None:
    return next(
        (b for b in window.findChildren(QMessageBox) if b.objectName() == name and b.isVisible()),
        None,
    )


def _run_transfer(qtbot: QtBot, window: MainWindow, chooser: object, folder: Path) -> QDialog:
    assert isinstance(chooser, QFileDialog)
    chooser.fileSelected.emit(str(folder))
    chooser.reject()
    dialog = next(
        d for d in window.findChildren(QDialog)
        if d.objectName() == "transferDialog" and d.isVisible()
    )
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=20_000)  # type: ignore[attr-defined]
    assert dialog.error is None  # type: ignore[attr-defined]
    return dialog


def test_a_new_laptop_says_not_yet_enrolled(qtbot: QtBot, unlocked: MainWindow) -> None:
    button = unlocked.enrollment_button
    qtbot.waitUntil(button.isVisible)
    assert button.text() == "Not yet enrolled at HQ"
    assert "enrollment request" in button.toolTip()
    button.click()
    box = _visible_box(unlocked, "enrollmentExplained")
    assert box is not None and "has not yet confirmed" in box.text()
    box.accept()
    unlocked.lock()
    idle(qtbot, unlocked)
    assert not button.isVisible()  # nothing about the vault shows while it is locked


def test_export_unenrolled_asks_then_hq_receipt_shows_enrolled(
    qtbot: QtBot, make_window: Any, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    params = KdfParams.cheap_for_tests()
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=params)
    laptop = new_field(tmp_path / "laptop", params, hq, enroll=False)
    seal_report(laptop, example_doc, photos=1)
    request = laptop.field().enrollment.request()[0]
    laptop.close()

    window = make_window(tmp_path / "laptop")
    unlock(qtbot, window, FIELD_PASSPHRASE)
    qtbot.waitUntil(lambda: window.enrollment_button.text() == "Not yet enrolled at HQ")

    # Cancel: nothing is chosen, nothing is written.
    window.export_action.trigger()
    qtbot.waitUntil(lambda: _visible_box(window, "exportUnenrolled") is not None)
    box = _visible_box(window, "exportUnenrolled")
    assert box is not None
    assert "HQ refuses bundles from a laptop it has not enrolled" in box.text()
    assert "import this same bundle from the stick" in box.text()
    assert box.defaultButton().text() == "Cancel"
    box.defaultButton().click()
    idle(qtbot, window)
    assert not any(c.isVisible() for c in window.findChildren(QFileDialog))

    # Export anyway: the bundle is made.
    stick = tmp_path / "stick"
    stick.mkdir()
    window.export_action.trigger()
    _run_transfer(qtbot, window, stick_chooser(qtbot, window), stick).reject()
    assert [p for p in stick.iterdir() if p.is_file()]

    # HQ refuses it, enrolls the laptop, imports the same file and writes its receipt.
    assert hq.hq().intake.import_paths([stick], receipts_dir=stick).rejected == 1
    hq.hq().devices.approve(parse_request(request))
    assert hq.hq().intake.import_paths([stick], receipts_dir=stick).imported == 1
    hq.close()

    window.transfer.receipts()
    chooser = next(c for c in window.findChildren(QFileDialog) if c.isVisible())
    _run_transfer(qtbot, window, chooser, stick).reject()
    qtbot.waitUntil(lambda: window.enrollment_button.text() == "Enrolled at HQ")
    assert "HQ's signed receipt" in window.enrollment_button.toolTip()

    # Enrolled: the next export asks nothing.
    again = tmp_path / "stick2"
    again.mkdir()
    window.transfer.export_again_action.trigger()
    chooser = stick_chooser(qtbot, window, anyway=False)
    assert isinstance(chooser, QFileDialog)
    chooser.reject()


def test_an_enrolled_laptop_exports_without_a_question_and_hq_shows_no_enrollment(
    qtbot: QtBot, make_window: Any, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    params = KdfParams.cheap_for_tests()
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=params)
    laptop = new_field(tmp_path / "laptop", params, hq)
    seal_report(laptop, example_doc, photos=1)
    stick = tmp_path / "stick"
    stick.mkdir()
    export(laptop, stick)
    hq.hq().intake.import_paths([stick], receipts_dir=stick)
    laptop.field().acknowledgements.import_receipts(stick)
    laptop.close()
    hq.close()

    window = make_window(tmp_path / "laptop")
    unlock(qtbot, window, FIELD_PASSPHRASE)
    qtbot.waitUntil(lambda: window.enrollment_button.text() == "Enrolled at HQ")
    window.close()

    desk = make_window(tmp_path / "hq")
    unlock(qtbot, desk)
    assert not desk.enrollment_button.isVisible()  # HQ enrolls others
