"""The whole monitor's journey through the real main window, driven by keys and clicks:
create a vault, write a report with a witness, consent and two photos, seal it, lock, unlock,
find it by a word of its narrative, amend it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolBar
from pytestqt.qtbot import QtBot

from kpfield.domain.models import ReportStatus
from kpfield.gui.main_window import MainWindow
from kpfield.gui.seal_dialog import SealDialog
from kpfield.vault.keyslots import KdfParams
from tests.gui.conftest import PASSPHRASE, fill_complete, idle, new_report, unlock
from tests.gui.test_witnesses import add_witness
from tests.support.photos import small_photo


def test_create_write_seal_lock_unlock_search_amend(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(tmp_path / "vault", kdf_params=KdfParams.cheap_for_tests())
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)

    # first run
    setup = window.setup
    assert setup is not None
    qtbot.mouseClick(setup.next, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(setup.pass1, PASSPHRASE)
    qtbot.keyClicks(setup.pass2, PASSPHRASE)
    qtbot.keyClick(setup.pass2, Qt.Key.Key_Return)  # Next is the default button
    qtbot.waitUntil(lambda: setup.pages.currentIndex() == 2)
    qtbot.mouseClick(setup.next, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(setup.device_name, "Team 2 laptop")
    qtbot.mouseClick(setup.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workspace is not None, timeout=10_000)
    idle(qtbot, window)

    # a report with a witness, consent and two photos
    rid = new_report(qtbot, window)
    fill_complete(qtbot, window, narrative="Guards forced the diggers into a shipping container.")
    add_witness(qtbot, window, "W-Baobab", consent=True, full_name="Aminata K.")
    folder = tmp_path / "camera"
    folder.mkdir()
    paths = []
    for i in range(2):
        p = folder / f"IMG_{i}.jpg"
        p.write_bytes(small_photo(i, (400, 300)))
        paths.append(p)
    editor = window.workspace.editor  # type: ignore[union-attr]
    editor.tabs.setCurrentWidget(editor.photos)
    with qtbot.waitSignal(editor.photos.import_finished, timeout=20_000):
        editor.photos.import_files(paths)
    assert editor.photos.list.count() == 2

    # seal
    qtbot.mouseClick(editor.seal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.workspace.findChild(SealDialog) is not None)  # type: ignore[union-attr]
    dialog = window.workspace.findChild(SealDialog)  # type: ignore[union-attr]
    assert dialog.seal_button is not None, [dialog.missing.item(i).text()
                                            for i in range(dialog.missing.count())]
    qtbot.mouseClick(dialog.seal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.report is not None
                    and editor.report.status is ReportStatus.SEALED, timeout=10_000)
    idle(qtbot, window)
    assert window.pending_label.text() == "1 sealed report not yet exported or sent"

    # lock from the toolbar, then unlock
    toolbar = window.findChild(QToolBar, "mainToolbar")
    qtbot.mouseClick(toolbar.widgetForAction(window.lock_action), Qt.MouseButton.LeftButton)
    assert window.workspace is None and window.lock_label.text() == "Locked"
    idle(qtbot, window)
    unlock(qtbot, window)

    # find it by a word of its narrative
    lst = window.workspace.list  # type: ignore[union-attr]
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(lst.search, "container")
    qtbot.waitUntil(lambda: lst.model.rowCount() == 1 and lst.model.rows[0].id == rid
                    and lst.search.text() == "container")
    qtbot.keyClicks(lst.search, "s")  # prefix match: "containers" finds nothing
    qtbot.waitUntil(lambda: lst.model.rowCount() == 0)
    qtbot.keyClick(lst.search, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: lst.model.rowCount() == 1)
    rect = lst.table.visualRect(lst.proxy.index(0, 0))
    qtbot.mouseClick(lst.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = window.workspace.editor  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.id == rid)
    idle(qtbot, window)
    assert editor.narrative.isReadOnly()
    assert editor.photos.list.count() == 2
    assert editor.witnesses.list.count() == 1

    # amend: a new draft version with the photos carried over
    qtbot.mouseClick(editor.amend_button, Qt.MouseButton.LeftButton)
    ask = next(b for b in window.findChildren(QMessageBox) if b.isVisible())  # amend asks first
    qtbot.mouseClick(
        next(b for b in ask.buttons() if b.text() == "Make version 2"), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: editor.report is not None and editor.report.version == 2,
                    timeout=10_000)
    idle(qtbot, window)
    assert editor.report is not None and editor.report.amends == rid
    assert editor.photos.list.count() == 2
    editor.tabs.setCurrentIndex(1)
    editor.narrative.moveCursor(editor.narrative.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor.narrative, " Correction: six hours, not four.")
    qtbot.keyClick(editor.narrative, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: editor.save_state == "saved")
    assert editor.narrative.toPlainText().endswith("six hours, not four.")
    window.close()
