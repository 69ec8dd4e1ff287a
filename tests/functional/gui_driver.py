"""Drive the real KP Field window in its own process, as a monitor would, for tests that must
kill it or scan everything it wrote. Prints one line per milestone on stdout.

    python -m tests.functional.gui_driver autosave DATA_DIR PASSPHRASE TEXT
    python -m tests.functional.gui_driver session DATA_DIR PASSPHRASE PLAN.json
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QToolBar

from kpfield.app import harden_process
from kpfield.gui.main_window import MainWindow
from kpfield.gui.photo_viewer import PhotoViewer
from kpfield.gui.witness_dialog import WitnessDialog
from kpfield.vault.keyslots import KdfParams


def say(line: str) -> None:
    print(line, flush=True)


def wait_until(pred: Callable[[], bool], timeout_ms: int = 20_000) -> None:
    loop = QEventLoop()
    waited = 0
    while not pred():
        if waited > timeout_ms:
            say("TIMEOUT")
            os._exit(3)
        QTimer.singleShot(10, loop.quit)
        loop.exec()
        waited += 10


def start(data_dir: Path) -> MainWindow:
    window = MainWindow(data_dir, kdf_params=KdfParams.cheap_for_tests())
    window.show()
    window.activateWindow()
    return window


def unlock(window: MainWindow, passphrase: str) -> None:
    screen = window.unlock_screen
    assert screen is not None
    QTest.keyClicks(screen.passphrase, passphrase)
    QTest.keyClick(screen.passphrase, Qt.Key.Key_Return)
    wait_until(lambda: window.workspace is not None)
    wait_until(lambda: window.runner.pending == 0)


def new_report(window: MainWindow) -> None:
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wait_until(lambda: window.workspace is not None and window.workspace.editor.report is not None)
    wait_until(lambda: window.runner.pending == 0)


def autosave(data_dir: Path, passphrase: str, text: str) -> None:
    """Type ``text`` into a new report's narrative, wait for "Saved", then keep typing forever."""
    window = start(data_dir)
    unlock(window, passphrase)
    new_report(window)
    assert window.workspace is not None
    editor = window.workspace.editor
    editor.tabs.setCurrentIndex(1)
    QTest.keyClicks(editor.narrative, text)
    wait_until(lambda: editor.save_state == "saved" and editor.indicator.text().startswith("Saved"))
    say(f"SAVED {editor.report.id if editor.report else ''}")
    # still typing when the power goes: the test kills us somewhere in here
    while True:
        QTest.keyClicks(editor.narrative, " more")
        wait_until(lambda: editor.save_state == "saved")


def session(data_dir: Path, passphrase: str, plan_file: Path) -> None:
    """First run through the wizard, a report with witness and photo, view them, copy, lock."""
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    window = start(data_dir)
    setup = window.setup
    assert setup is not None
    QTest.mouseClick(setup.next, Qt.MouseButton.LeftButton)
    QTest.keyClicks(setup.pass1, passphrase)
    QTest.keyClicks(setup.pass2, passphrase)
    QTest.mouseClick(setup.next, Qt.MouseButton.LeftButton)
    QTest.mouseClick(setup.next, Qt.MouseButton.LeftButton)
    QTest.keyClicks(setup.device_name, "Team 2 laptop")
    QTest.mouseClick(setup.create_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: window.workspace is not None)
    say("CREATED")
    new_report(window)
    assert window.workspace is not None
    editor = window.workspace.editor
    QTest.keyClicks(editor.incident.title, plan["title"])
    editor.tabs.setCurrentIndex(1)
    QTest.keyClicks(editor.narrative, plan["narrative"])
    editor.tabs.setCurrentIndex(4)
    QTest.keyClicks(editor.notes, plan["notes"])
    # witness with identifying details
    panel = editor.witnesses
    editor.tabs.setCurrentWidget(panel)
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    assert dialog is not None
    QTest.keyClicks(dialog.pseudonym, plan["pseudonym"])
    QTest.keyClicks(dialog.full_name, plan["full_name"])
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    QTest.mouseClick(save, Qt.MouseButton.LeftButton)
    wait_until(lambda: panel.list.count() == 1)
    # photos: dropped/imported in place, thumbnails shown, viewer opened
    photos = editor.photos
    editor.tabs.setCurrentWidget(photos)
    photos.import_files([Path(p) for p in plan["photos"]])
    wait_until(lambda: photos.current_import is None and photos.list.count() == len(plan["photos"]))
    photos.list.setCurrentRow(0)
    QTest.keyClick(photos.list, Qt.Key.Key_Return)
    viewer = photos.findChild(PhotoViewer)
    assert viewer is not None
    wait_until(lambda: viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull())
    viewer.reject()
    # search for a narrative word, then copy text to the clipboard
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.workspace.list.search, plan["search"])
    wait_until(lambda: window.workspace is not None and window.workspace.list.model.rowCount() == 1)
    editor.tabs.setCurrentIndex(1)
    editor.narrative.selectAll()
    editor.narrative.copy()
    say("EDITED")
    toolbar = window.findChild(QToolBar, "mainToolbar")
    QTest.mouseClick(toolbar.widgetForAction(window.lock_action), Qt.MouseButton.LeftButton)
    wait_until(lambda: window.runner.pending == 0 and window.unlock_screen is not None)
    clip = QApplication.clipboard().text()
    say("CLIPBOARD " + ("EMPTY" if not clip else "FULL"))
    window.close()
    say("CLOSED")


def main(argv: list[str]) -> int:
    harden_process()
    app = QApplication(argv[:1])
    scenario, data_dir, passphrase, arg = argv[1], Path(argv[2]), argv[3], argv[4]
    if scenario == "autosave":
        autosave(data_dir, passphrase, arg)
    elif scenario == "session":
        session(data_dir, passphrase, Path(arg))
    del app
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)  # the window and vault are closed; skip Qt teardown at interpreter exit
