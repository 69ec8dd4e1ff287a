"""A spoken, recorded consent names its recording in the witness dialog; sealed, exported and
imported at HQ, the case view links the consent to that recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QUrl
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kpfield.app import Session, create_session, open_session
from kpfield.domain.models import ConsentMethod, ReportStatus
from kpfield.gui.main_window import MainWindow
from kpfield.gui.settings import GuiSettings, save_settings
from kpfield.gui.witness_dialog import WitnessDialog
from kpfield.i18n import LANGUAGES
from kpfield.protocol.enrollment import parse_request
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE
from tests.conftest import PASSPHRASE as HQ_PASSPHRASE
from tests.gui.conftest import PASSPHRASE, fill_complete, idle, new_report, unlock
from tests.gui.test_seal_and_amend import open_seal
from tests.gui.test_witnesses import press
from tests.support.recordings import MP3, wav_bytes

WAV = wav_bytes(b"\x01\x00" * 8000 * 75)  # 1:15
LAPTOP = QSize(1366, 728)  # a 1366×768 screen less its taskbar


def _run(qtbot: QtBot, window: MainWindow, fn: Any) -> Any:
    box: list[Any] = []
    window.runner.call(fn).success(box.append)
    qtbot.waitUntil(lambda: bool(box))
    return box[0]


def _attach(qtbot: QtBot, window: MainWindow, tmp_path: Path, files: dict[str, bytes]) -> None:
    assert window.workspace is not None
    panel = window.workspace.editor.photos
    folder = tmp_path / "brought"
    folder.mkdir(exist_ok=True)
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    with qtbot.waitSignal(panel.import_finished, timeout=10_000):
        panel.import_files(paths)
    qtbot.waitUntil(lambda: len(panel.attachments) == len(files))
    idle(qtbot, window)


def _open_new_witness(qtbot: QtBot, window: MainWindow) -> WitnessDialog:
    assert window.workspace is not None
    panel = window.workspace.editor.witnesses
    window.workspace.editor.tabs.setCurrentWidget(panel)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.findChild(WitnessDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def _give_spoken_consent(qtbot: QtBot, dialog: WitnessDialog) -> None:
    qtbot.keyClicks(dialog.pseudonym, "W-Baobab")
    press(qtbot, dialog.consent_group.button(1))
    press(qtbot, dialog.scope_coalition)
    dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.VERBAL_RECORDED.value))


def _save(qtbot: QtBot, window: MainWindow, dialog: WitnessDialog) -> None:
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert window.workspace is not None
    panel = window.workspace.editor.witnesses
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    idle(qtbot, window)


def test_without_audio_a_hint_says_attaching_is_optional(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    new_report(qtbot, unlocked)
    _attach(qtbot, unlocked, tmp_path, {"notes.txt": b"field notes, no recording"})
    dialog = _open_new_witness(qtbot, unlocked)
    combo, hint = dialog.recording.combo, dialog.recording.hint
    assert not combo.isVisible() and not hint.isVisible()  # consent not recorded yet
    _give_spoken_consent(qtbot, dialog)
    assert hint.isVisible() and not combo.isVisible()
    assert "attach the recording" in hint.text() and "also a choice" in hint.text()
    dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.WRITTEN.value))
    assert not hint.isVisible()
    assert dialog.witness().consent.recording_sha256 == ""  # type: ignore[union-attr]
    dialog.discard()


def test_choose_the_recording_and_change_the_method(
    qtbot: QtBot, unlocked: MainWindow, tmp_path: Path
) -> None:
    rid = new_report(qtbot, unlocked)
    _attach(qtbot, unlocked, tmp_path, {"consent.wav": WAV, "song.mp3": MP3})
    [wav, mp3] = _run(qtbot, unlocked, lambda s: s.reports.attachments(rid))
    _run(qtbot, unlocked, lambda s: s.reports.set_caption(wav.id, "Read aloud in Krio"))
    # The caption is shown from the editor's list: reopen the report so it has the new one.
    unlocked.workspace.editor.open_report(rid)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: any(a.caption for a in unlocked.workspace.editor.photos.attachments))  # type: ignore[union-attr]
    dialog = _open_new_witness(qtbot, unlocked)
    _give_spoken_consent(qtbot, dialog)
    combo = dialog.recording.combo
    assert combo.isVisible() and not dialog.recording.hint.isVisible()
    items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    assert items == [
        ("consent.wav · 1:15 · Read aloud in Krio", wav.sha256),
        ("song.mp3", mp3.sha256),
        ("Not on this laptop", ""),
    ]
    assert combo.currentData() == ""  # optional: nothing is named unless chosen
    combo.setCurrentIndex(0)
    assert dialog.witness().consent.recording_sha256 == wav.sha256  # type: ignore[union-attr]
    # Another method: the choice is hidden and nothing is named.
    dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.THUMBPRINT.value))
    assert not combo.isVisible()
    assert dialog.witness().consent.recording_sha256 == ""  # type: ignore[union-attr]
    dialog.method.setCurrentIndex(dialog.method.findData(ConsentMethod.VERBAL_RECORDED.value))
    assert combo.isVisible() and combo.currentData() == wav.sha256
    _save(qtbot, unlocked, dialog)
    [w] = _run(qtbot, unlocked, lambda s: s.reports.view(rid).witnesses)
    assert w.consent.recording_sha256 == wav.sha256
    # Reopened: the choice is shown as saved.
    panel = unlocked.workspace.editor.witnesses  # type: ignore[union-attr]
    panel.list.setCurrentRow(0)
    panel.open_selected()
    again = next(d for d in panel.findChildren(WitnessDialog) if d.isVisible())
    assert again.recording.combo.currentData() == wav.sha256
    again.discard()


def _field_enrolled_with(qtbot: QtBot, window: MainWindow, hq: Session) -> None:
    profile = hq.hq().profile.export()[0]
    _run(qtbot, window, lambda s: s.field().profile.install(profile))
    request = _run(qtbot, window, lambda s: s.field().enrollment.request()[0])
    hq.hq().devices.approve(parse_request(request))


def test_chosen_recording_is_sealed_and_linked_at_hq(
    qtbot: QtBot, make_window: Any, existing_vault: Path, tmp_path: Path
) -> None:
    hq_dir = tmp_path / "hq"
    hq = create_session(hq_dir, HQ_PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    field = make_window()
    unlock(qtbot, field)
    _field_enrolled_with(qtbot, field, hq)
    rid = new_report(qtbot, field)
    fill_complete(qtbot, field)
    _attach(qtbot, field, tmp_path, {"consent-W-Baobab.wav": WAV})
    dialog = _open_new_witness(qtbot, field)
    _give_spoken_consent(qtbot, dialog)
    dialog.recording.combo.setCurrentIndex(0)
    _save(qtbot, field, dialog)
    editor = field.workspace.editor  # type: ignore[union-attr]
    seal = open_seal(qtbot, field)
    assert seal.seal_button is not None
    qtbot.mouseClick(seal.seal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: editor.report is not None and editor.report.status is ReportStatus.SEALED,
        timeout=10_000,
    )
    idle(qtbot, field)
    sealed = _run(qtbot, field, lambda s: s.reports.document(rid))
    assert sealed["witnesses"][0]["consent"]["recording_sha256"] == sealed["attachments"][0][
        "sha256"
    ]
    stick = tmp_path / "stick"
    stick.mkdir()
    result = _run(qtbot, field, lambda s: s.field().export.to_folder(stick))
    hq.hq().intake.import_paths([b.path for b in result.bundles])
    hq.close()

    desk_window = make_window(hq_dir)
    unlock(qtbot, desk_window, HQ_PASSPHRASE)
    desk = desk_window.desk
    assert desk is not None
    cases = desk.cases
    desk.setCurrentWidget(cases)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 1 and cases.model.row_at(0) is not None)
    cases.table.selectRow(0)
    qtbot.waitUntil(lambda: cases.report.view is not None)
    view = cases.report.view
    assert view is not None
    (a,) = view.attachments
    text = cases.report.text.toPlainText()
    assert "Consent recorded in audio: consent-W-Baobab.wav" in text
    html = cases.report.text.toHtml()
    assert f'href="#att-{a.attachment_id}"' in html
    # Following the link scrolls the view to the recording's entry (never opens anything).
    bar = cases.report.text.verticalScrollBar()
    cases.report.text.resize(600, 120)
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(0)
    cases.report.text.anchorClicked.emit(QUrl(f"#att-{a.attachment_id}"))
    assert bar.value() > 0


def _cut_off(dialog: WitnessDialog) -> list[str]:
    """Visible controls outside the dialog, and wrapped sentences given less height than
    their text needs (what a 2/3-of-the-screen window did to the French warning)."""
    out = []
    inside = dialog.rect()
    for w in dialog.findChildren(QWidget):
        if not w.isVisible():
            continue
        box = QRect(w.mapTo(dialog, QPoint(0, 0)), w.size())
        name = w.objectName() or w.metaObject().className()
        if isinstance(w, QAbstractButton | QLineEdit | QComboBox) and not inside.contains(box):
            out.append(name)
        if isinstance(w, QLabel) and w.wordWrap() and w.height() < w.heightForWidth(w.width()):
            out.append(f"{name}: {w.text()[:30]}")
    return out


@pytest.mark.usefixtures("existing_vault")
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("audio", [True, False], ids=["recordings", "none"])
def test_dialog_fits_a_laptop_in_every_language(
    qtbot: QtBot, make_window: Any, data_dir: Path, language: str, audio: bool
) -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    session = open_session(data_dir, PASSPHRASE)
    try:
        rid = session.reports.create_from_document(example)
        if audio:
            att = session.reports.attach_bytes(rid, WAV, "consent-W-Baobab-at-the-clinic.wav")
            session.reports.set_caption(att.id, "Consent read aloud in Krio, agreed before " * 3)
        view = session.reports.view(rid)
    finally:
        session.close()
    save_settings(data_dir, GuiSettings(language=language, auto_sync=False))
    window = make_window()
    unlock(qtbot, window)
    [w] = view.witnesses
    dialog = WitnessDialog(window.ctx, w, recordings=view.attachments, parent=window)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert dialog.recording.combo.isVisible() is audio
    assert dialog.recording.hint.isVisible() is not audio
    assert dialog.withdraw_button.isVisible()  # the tallest consent column
    assert dialog.width() <= LAPTOP.width() and dialog.height() <= LAPTOP.height()
    assert _cut_off(dialog) == []
    dialog.discard()


def test_a_recording_named_but_not_attached_here_is_kept_unless_changed(
    qtbot: QtBot, unlocked: MainWindow
) -> None:
    rid = new_report(qtbot, unlocked)
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    other = _run(qtbot, unlocked, lambda s: s.reports.create_from_document(example))
    wav = _run(qtbot, unlocked, lambda s: s.reports.attach_bytes(other, WAV, "consent.wav"))
    [w] = _run(qtbot, unlocked, lambda s: s.reports.view(other).witnesses)
    w = _run(qtbot, unlocked, lambda s: s.reports.set_consent_recording(w.id, wav.id))
    # The witness opened from a report holding another recording (or none): the link to the
    # first report's file is shown as such and survives a save.
    mp3 = _run(qtbot, unlocked, lambda s: s.reports.attach_bytes(rid, MP3, "song.mp3"))
    dialog = WitnessDialog(unlocked.ctx, w, recordings=[mp3], parent=unlocked)
    dialog.open()
    combo = dialog.recording.combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "song.mp3",
        "A recording not attached to this report",
        "Not on this laptop",
    ]
    assert combo.currentData() == wav.sha256
    assert dialog.witness().consent.recording_sha256 == wav.sha256  # type: ignore[union-attr]
    combo.setCurrentIndex(combo.count() - 1)
    assert dialog.witness().consent.recording_sha256 == ""  # type: ignore[union-attr]
    dialog.discard()
    # With no recording attached here, the kept link is still offered (to keep or drop).
    bare = WitnessDialog(unlocked.ctx, w, recordings=(), parent=unlocked)
    bare.open()
    assert bare.recording.combo.isVisible()  # the kept link can still be dropped
    assert bare.witness().consent.recording_sha256 == wav.sha256  # type: ignore[union-attr]
    bare.discard()
