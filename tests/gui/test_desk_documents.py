"""HQ reads a case's plain-text document in the app, from memory and as plain text, cut at a size
cap; recordings and PDF documents are still said plainly not to open in the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from pytestqt.qtbot import QtBot

from kpfield.app import Session
from kpfield.domain.attachment_text import human_size
from kpfield.errors import MediaError
from kpfield.gui.desk.document_dialog import DocumentDialog
from kpfield.gui.main_window import MainWindow
from kpfield.services import case_documents
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, export, new_field, new_hq, stick
from tests.conftest import PASSPHRASE
from tests.gui.conftest import idle
from tests.support.recordings import PDF, wav_bytes

# Markup and a script, to be shown as the characters they are; accents and a non-Latin line.
TEXT = (
    "Statement of the nurse, Koidu clinic\n"
    "<b>not bold</b> <img src='http://example.org/x.png'> <script>alert(1)</script> &amp;\n"
    "Déclaration reçue à l'hôpital — ações, violação\n"
)


def hq_world(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, bytes]]:
    """An HQ vault holding one case with a text document, a PDF and a recording."""
    params = KdfParams.cheap_for_tests()
    hq = new_hq(tmp_path / "hq", params)
    laptop: Session = new_field(tmp_path / "laptop", params, hq)
    files = {
        "statement.txt": TEXT.encode("utf-8"),
        "letter.pdf": PDF,
        "consent.wav": wav_bytes(),
    }
    try:
        r = laptop.reports
        rid = r.create_from_document(json.loads(EXAMPLE.read_text(encoding="utf-8")))
        ids = {name: r.attach_bytes(rid, data, name).id for name, data in files.items()}
        r.seal(rid)
        folder = stick(tmp_path)
        export(laptop, folder)
        assert hq.hq().intake.import_paths([folder]).imported == 1
        ids["report"] = rid
    finally:
        laptop.close()
        hq.close()
    return tmp_path / "hq", ids, files


@pytest.fixture
def documents_window(
    make_window: object, tmp_path: Path, qtbot: QtBot
) -> tuple[MainWindow, dict[str, str], dict[str, bytes]]:
    root, ids, files = hq_world(tmp_path)
    window = make_window(root)  # type: ignore[operator]
    assert isinstance(window, MainWindow)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    idle(qtbot, window)
    assert window.desk is not None
    window.desk.cases.open_case(ids["report"])
    report = window.desk.cases.report
    qtbot.waitUntil(lambda: report.view is not None and report.view.report_id == ids["report"])
    return window, ids, files


def open_from_link(qtbot: QtBot, window: MainWindow, aid: str) -> DocumentDialog:
    assert window.desk is not None
    report = window.desk.cases.report
    report.text.anchorClicked.emit(QUrl("document:" + aid))  # the link the report text carries
    [dialog] = [d for d in report.findChildren(DocumentDialog) if d.isVisible()]
    assert dialog.isModal()
    return dialog


def test_a_text_document_opens_as_plain_text_from_memory(
    documents_window: tuple[MainWindow, dict[str, str], dict[str, bytes]], qtbot: QtBot
) -> None:
    window, ids, _files = documents_window
    assert window.desk is not None
    report = window.desk.cases.report
    html = report.text.toHtml()
    assert html.count("document:") == 1 and f"document:{ids['statement.txt']}" in html
    shown = report.text.toPlainText()
    assert "Read the text" in shown
    assert "does not play recordings or show PDF documents" in shown  # still said for the rest

    dialog = open_from_link(qtbot, window, ids["statement.txt"])
    assert dialog.windowTitle() == "statement.txt"
    qtbot.waitUntil(lambda: dialog.text.toPlainText() != "")
    assert dialog.text.toPlainText() == TEXT
    assert "<b>not bold</b>" in dialog.text.toPlainText()  # characters, not markup
    note = dialog.note.text()
    assert "into memory only" in note and "matches the sealed report" in note
    assert "Only the first" not in note
    dialog.reject()

    # A PDF has no viewer: its link is not offered, and asking anyway is refused in words.
    dialog = open_from_link(qtbot, window, ids["letter.pdf"])
    qtbot.waitUntil(lambda: "plain text documents" in dialog.note.text())
    assert dialog.text.toPlainText() == ""
    dialog.reject()


def test_a_long_document_is_cut_at_the_cap_and_still_hashed_whole(
    documents_window: tuple[MainWindow, dict[str, str], dict[str, bytes]],
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window, ids, files = documents_window
    cap = TEXT.encode("utf-8").index("ç".encode()) + 1  # inside the two bytes of "ç"
    monkeypatch.setattr(case_documents, "TEXT_LIMIT", cap)
    dialog = open_from_link(qtbot, window, ids["statement.txt"])
    qtbot.waitUntil(lambda: "Only the first" in dialog.note.text())
    text = dialog.text.toPlainText()
    assert TEXT.startswith(text) and text.endswith("Déclaration re")  # no half character
    assert "\ufffd" not in text
    assert "matches the sealed report" in dialog.note.text()  # the whole original was hashed
    assert human_size(len(files["statement.txt"])) in dialog.note.text()
    dialog.reject()


def test_the_service_refuses_what_is_not_plain_text(
    tmp_path: Path, cheap_params: KdfParams
) -> None:
    from kpfield.app import open_session

    root, ids, files = hq_world(tmp_path)
    hq = open_session(root, PASSPHRASE)
    try:
        cases = hq.hq().cases
        doc = cases.text_of(ids["report"], ids["statement.txt"])
        assert doc.text == TEXT and not doc.truncated and doc.sha256_ok
        assert doc.size == doc.shown == len(files["statement.txt"])
        short = cases.text_of(ids["report"], ids["statement.txt"], limit=9)
        assert short.text == "Statement" and short.truncated and short.size == doc.size
        for name in ("letter.pdf", "consent.wav"):
            with pytest.raises(MediaError):
                cases.text_of(ids["report"], ids[name])
    finally:
        hq.close()
