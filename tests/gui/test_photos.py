"""Photos: import by dialog or drop (read in place), thumbnails in memory, viewer with claims."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.photo_viewer import PhotoViewer
from tests.gui.conftest import idle, new_report
from tests.support.photos import jpeg_with_marker, small_photo


def photos(tmp_path: Path, n: int) -> list[Path]:
    out = []
    folder = tmp_path / "camera"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        p = folder / f"IMG_{i:04d}.jpg"
        p.write_bytes(small_photo(i, (320, 240)))
        out.append(p)
    return out


def test_import_through_the_file_dialog_shows_thumbnails(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.photos  # type: ignore[union-attr]
    files = photos(tmp_path, 2)
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(QFileDialog)
    assert dialog is not None and dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    with qtbot.waitSignal(panel.import_finished, timeout=10_000) as done:
        dialog.filesSelected.emit([str(f) for f in files])
    dialog.reject()
    assert done.args == [2]
    assert panel.list.count() == 2
    assert not panel.list.item(0).icon().isNull()
    assert panel.status.text() == "2 files added"
    assert sorted(f.name for f in files[0].parent.iterdir()) == [f.name for f in files]  # no copies


def test_drop_reads_files_in_place(qtbot: QtBot, unlocked: MainWindow, tmp_path: Path) -> None:
    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.photos  # type: ignore[union-attr]
    (f,) = photos(tmp_path, 1)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with warnings.catch_warnings():  # PySide 6.12 marks this constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    panel.dragEnterEvent(enter)  # offscreen Qt has no drag manager to route these for us
    assert enter.isAccepted()
    with qtbot.waitSignal(panel.import_finished, timeout=10_000):
        panel.dropEvent(event)
    assert panel.list.count() == 1


def test_viewer_shows_the_image_claims_and_sha256(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.photos  # type: ignore[union-attr]
    data = jpeg_with_marker(b"kpf-viewer-test", size=(400, 300))
    f = tmp_path / "camera.jpg"
    f.write_bytes(data)
    with qtbot.waitSignal(panel.import_finished, timeout=10_000):
        panel.import_files([f])
    panel.list.setCurrentRow(0)
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    viewer = panel.findChild(PhotoViewer)
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull())
    sha = viewer.findChild(object, "photoSha256")
    assert sha.text() == hashlib.sha256(data).hexdigest()  # type: ignore[attr-defined]
    texts = " ".join(lbl.text() for lbl in viewer.findChildren(type(sha)))
    assert "Acme FieldCam 3" in texts
    assert "400 × 300" in texts
    viewer.reject()


def test_bad_files_are_reported_and_good_ones_kept(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.photos  # type: ignore[union-attr]
    good = photos(tmp_path, 1)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with qtbot.waitSignal(panel.import_finished, timeout=10_000):
        panel.import_files([empty, *good, tmp_path / "missing.jpg"])
    assert panel.list.count() == 1
    box = unlocked.findChild(QMessageBox, "attachmentProblems")  # shown without blocking
    assert box is not None and box.isVisible()
    assert "empty.jpg is empty." in box.text()
    assert "missing.jpg does not exist." in box.text()
    box.accept()


def test_remove_photo_from_a_draft(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path, monkeypatch: object
) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)  # type: ignore[attr-defined]
    new_report(qtbot, unlocked)
    panel = unlocked.workspace.editor.photos  # type: ignore[union-attr]
    with qtbot.waitSignal(panel.import_finished, timeout=10_000):
        panel.import_files(photos(tmp_path, 2))
    panel.list.setCurrentRow(0)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    idle(qtbot, unlocked)
