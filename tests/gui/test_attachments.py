"""Issue 8 in the editor: recordings and documents listed, captions, duplicates asked about, the
viewer's previous/next, and a photo's GPS copied into the report's position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from kpfield.gui.main_window import MainWindow
from kpfield.gui.photo_panel import PhotoPanel
from kpfield.gui.photo_viewer import PhotoViewer
from tests.gui.conftest import idle, new_report
from tests.media.images import camera_jpeg
from tests.support.photos import small_photo
from tests.support.recordings import MP3, PDF, TEXT, wav_bytes


def _files(tmp_path: Path, items: dict[str, bytes]) -> list[Path]:
    folder = tmp_path / "brought"
    folder.mkdir(exist_ok=True)
    out = []
    for name, data in items.items():
        (folder / name).write_bytes(data)
        out.append(folder / name)
    return out


def _panel(window: MainWindow) -> PhotoPanel:
    assert window.workspace is not None
    return window.workspace.editor.photos


def _import(qtbot: QtBot, panel: PhotoPanel, paths: list[Path]) -> list[Any]:
    with qtbot.waitSignal(panel.import_finished, timeout=10_000) as done:
        panel.import_files(paths)
    return list(done.args)


def _ask(window: MainWindow) -> QMessageBox:
    return next(b for b in window.findChildren(QMessageBox) if b.isVisible())


def _click(qtbot: QtBot, box: QMessageBox, text: str) -> None:
    qtbot.mouseClick(next(b for b in box.buttons() if b.text() == text), Qt.MouseButton.LeftButton)


def _read(qtbot: QtBot, window: MainWindow, fn: Any) -> Any:
    box: list[Any] = []
    window.runner.call(fn).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    return box[0]


def test_recordings_and_documents_are_listed_with_type_size_and_length(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    paths = _files(
        tmp_path,
        {
            "interview.wav": wav_bytes(b"\x01\x00" * 8000 * 75),  # 1:15
            "voice.mp3": MP3,
            "letter.pdf": PDF,
            "notes.txt": TEXT.encode(),
        },
    )
    assert _import(qtbot, panel, paths) == [4]
    texts = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert texts[0] == "interview.wav\nWAV · 1.1 MiB · 1:15"
    assert texts[1] == "voice.mp3\nMP3 · 4 KiB"  # MP3: no length computed
    assert texts[2].startswith("letter.pdf\nPDF · ")
    assert texts[3].startswith("notes.txt\nplain text · ")
    assert all(not panel.list.item(i).icon().isNull() for i in range(4))


def test_refused_files_are_explained(qtbot: QtBot, unlocked: MainWindow, tmp_path: Path) -> None:
    new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    paths = _files(tmp_path, {"song.mp3": PDF, "tool.exe": b"MZ\x90\x00" + bytes(64)})
    assert _import(qtbot, panel, paths) == [0]
    box = _ask(unlocked)
    assert "song.mp3 does not hold what its name says" in box.text()
    assert "tool.exe is not a kind of file KP Field accepts" in box.text()
    box.accept()
    assert panel.list.count() == 0


def test_a_duplicate_is_flagged_and_stored_again_only_when_asked(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    (photo,) = _files(tmp_path, {"IMG_1.jpg": small_photo(3)})
    assert _import(qtbot, panel, [photo]) == [1]
    # The same file again in this report: said so, not stored twice.
    assert _import(qtbot, panel, [photo]) == [0]
    box = _ask(unlocked)
    assert "already attached to this report" in box.text()
    box.accept()
    assert panel.list.count() == 1
    # In another report: asked; "Do not attach" stores nothing, "Attach here too" does.
    assert unlocked.workspace is not None
    first = panel.report_id
    unlocked.workspace.new_report()
    qtbot.waitUntil(lambda: panel.report_id not in (None, first))
    idle(qtbot, unlocked)
    assert _import(qtbot, panel, [photo]) == [0]
    qtbot.waitUntil(lambda: unlocked.findChild(QMessageBox, "duplicateQuestion") is not None)
    box = _ask(unlocked)
    assert "already attached to the report" in box.text()
    _click(qtbot, box, "Do not attach")
    idle(qtbot, unlocked)
    assert panel.list.count() == 0
    assert _import(qtbot, panel, [photo]) == [0]
    box = _ask(unlocked)
    with qtbot.waitSignal(panel.import_finished, timeout=10_000) as done:
        _click(qtbot, box, "Attach here too")
    assert done.args == [1]
    assert panel.list.count() == 1


def test_a_caption_is_saved_and_shown(qtbot: QtBot, unlocked: MainWindow, tmp_path: Path) -> None:
    rid = new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    _import(qtbot, panel, _files(tmp_path, {"IMG_2.jpg": small_photo(5)}))
    panel.list.setCurrentRow(0)
    assert panel.caption.isEnabled() and not panel.caption.isReadOnly()
    qtbot.keyClicks(panel.caption, "Guards at the gate")
    qtbot.keyClick(panel.caption, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.list.item(0).text() == "Guards at the gate")
    stored = _read(qtbot, unlocked, lambda s: s.reports.attachments(rid))
    assert stored[0].caption == "Guards at the gate"
    assert "Guards at the gate" in panel.list.item(0).toolTip()


def test_viewer_previous_and_next_with_buttons_and_arrow_keys(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    items = {"IMG_1.jpg": small_photo(1, (320, 240)), "IMG_2.jpg": small_photo(2, (320, 240))}
    items |= {"consent.wav": wav_bytes(), "notes.txt": TEXT.encode(), "letter.pdf": PDF}
    _import(qtbot, panel, _files(tmp_path, items))
    panel.list.setCurrentRow(0)
    panel.view_selected()
    viewer = panel.findChild(PhotoViewer)
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull())
    assert not viewer.prev_button.isEnabled() and viewer.next_button.isEnabled()
    assert viewer.position_label.text() == "1 of 5"
    first = viewer.image.pixmap().toImage()
    qtbot.mouseClick(viewer.next_button, Qt.MouseButton.LeftButton)
    assert viewer.current.original_name == "IMG_2.jpg"
    qtbot.waitUntil(lambda: viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull())
    assert viewer.image.pixmap().toImage() != first
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current.original_name == "consent.wav"
    assert viewer.image.text() == "This recording cannot be played inside KP Field."
    assert "HQ receives the original" in viewer.note.text()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current.original_name == "notes.txt"
    qtbot.waitUntil(lambda: viewer.text.toPlainText() == TEXT)
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.current.original_name == "letter.pdf"
    assert viewer.image.text() == "This document cannot be shown inside KP Field."
    assert viewer.text.toPlainText() == ""  # the text left memory when the viewer moved on
    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # past the end: stays
    assert viewer.position_label.text() == "5 of 5" and not viewer.next_button.isEnabled()
    qtbot.mouseClick(viewer.prev_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    assert viewer.current.original_name == "consent.wav"
    viewer.reject()


def test_a_photos_gps_becomes_the_position_asking_before_replacing(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    assert unlocked.workspace is not None
    editor = unlocked.workspace.editor
    form = editor.incident
    panel = _panel(unlocked)
    paths = _files(tmp_path, {"gps.jpg": camera_jpeg(), "no-gps.jpg": small_photo(4)})
    _import(qtbot, panel, paths)
    panel.list.setCurrentRow(1)
    assert not panel.gps_button.isEnabled()  # no GPS in that photo
    panel.list.setCurrentRow(0)
    assert panel.gps_button.isEnabled()
    qtbot.mouseClick(panel.gps_button, Qt.MouseButton.LeftButton)  # no position yet: no question
    assert form.has_position.isChecked()
    assert (form.lat.text(), form.lon.text()) == ("-28.736761", "24.766667")
    assert form.source.currentData() == "photo_exif"
    idle(qtbot, unlocked)
    qtbot.waitUntil(lambda: editor.save_state == "saved")
    report = _read(qtbot, unlocked, lambda s: s.reports.get(editor.report.id))
    assert report.place.coordinates.lat_micro == -28736761
    assert report.place.coordinates.source.value == "photo_exif"

    form.lat.setText("8.5")  # a position the monitor typed: replacing it is asked first
    form.lon.setText("-11.5")
    editor.tabs.setCurrentWidget(panel)
    qtbot.mouseClick(panel.gps_button, Qt.MouseButton.LeftButton)
    box = _ask(unlocked)
    assert "8.5, -11.5" in box.text() and "gps.jpg" in box.text()
    _click(qtbot, box, "Keep the current position")
    assert form.lat.text() == "8.5"
    qtbot.mouseClick(panel.gps_button, Qt.MouseButton.LeftButton)
    _click(qtbot, _ask(unlocked), "Replace the position")
    assert form.lat.text() == "-28.736761"


def test_sealed_reports_keep_captions_read_only(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    panel = _panel(unlocked)
    _import(qtbot, panel, _files(tmp_path, {"gps.jpg": camera_jpeg()}))
    panel.read_only = True  # as load() sets it for a sealed report
    panel.list.setCurrentRow(0)
    panel._update_buttons()
    assert panel.caption.isReadOnly()
    assert not panel.gps_button.isEnabled()
    panel.view_selected()
    viewer = panel.findChild(PhotoViewer)
    assert viewer is not None
    assert not viewer.gps_button.isEnabled()
    viewer.reject()
