"""Headquarters' whole day through the real desk: two field laptops seal reports and export
bundles (one laptop's second bundle damaged on the stick, and a copy of its first with a bad seal
inside a correctly signed and encrypted bundle; the other laptop's second bundle never arrives),
HQ imports the stick, the inbox and devices screens say what happened, the cases are filtered,
one is reviewed, and CSV, JSON and a PDF brief are exported and read back."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kpfield.gui.desk.export_dialog import ExportDialog
from kpfield.gui.main_window import MainWindow
from kpfield.gui.transfer_dialog import import_dialog
from kpfield.services.exports.service import ExportKind
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import with_bad_seal
from tests.conftest import PASSPHRASE
from tests.desk.world import build_desk
from tests.exports.conftest import CONTACTS, NAMES
from tests.gui.conftest import idle


def _export(qtbot: QtBot, dialog: ExportDialog, kind: ExportKind, out: Path) -> Path:
    dialog.radios[kind].setChecked(True)
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.export_button.isEnabled())
    dialog.result_ = None
    dialog.export_to(out)
    qtbot.waitUntil(lambda: dialog.result_ is not None or bool(dialog.failure), timeout=30_000)
    assert dialog.result_ is not None, dialog.failure
    result, manifest = dialog.result_
    assert manifest.sha256 == result.sha256 and manifest.file == result.path.name
    return result.path


def test_import_inspect_filter_review_export(qtbot: QtBot, tmp_path: Path) -> None:
    world = build_desk(tmp_path, KdfParams.cheap_for_tests(), import_all=False)
    kono_first = world.sticks["kono"][0]
    sealed_wrong = with_bad_seal(world.hq, world.kono, kono_first, tmp_path / "bad-seal.kpb")
    kono_fp = world.s.devices.enrolled()
    world.close()
    stick = tmp_path / "hq-stick"
    stick.mkdir()
    for i, p in enumerate([sealed_wrong, *world.sticks["kono"], *world.sticks["lunda"]]):
        shutil.copyfile(p, stick / f"{i:02d}-{p.name}")

    window = MainWindow(world.hq.vault.paths.root, kdf_params=KdfParams.cheap_for_tests())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    screen = window.unlock_screen
    assert screen is not None
    qtbot.keyClicks(screen.passphrase, PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.desk is not None, timeout=10_000)
    desk = window.desk
    assert desk is not None

    # import the stick
    dialog = import_dialog(window.runner, window.ctx.gettext, [stick], receipts_dir=stick,
                           parent=window)  # fmt: skip
    dialog.open()
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=30_000)
    dialog.accept()
    idle(qtbot, window)

    # the inbox: 5 bundles, 3 imported, the damaged one from an unknown sender, the bad seal
    # named by its device
    inbox = desk.inbox
    qtbot.waitUntil(lambda: inbox.table.rowCount() == 5)
    rows = [(inbox.table.item(r, 1).text(), inbox.table.item(r, 2).text()) for r in range(5)]
    assert sum(result.startswith("Imported:") for _w, result in rows) == 3
    rejected = [(who, result) for who, result in rows if result.startswith("Rejected:")]
    assert len(rejected) == 2
    [kono] = [d for d in kono_fp if d.name == "kono-laptop"]
    seal = next(r for r in rejected if "seal" in r[1] or "different bundle" in r[1])
    assert seal[0] == f"kono-laptop ({kono.fingerprint})"
    damaged = next(r for r in rejected if r is not seal)
    assert damaged[0].startswith("unknown device")
    bad_row = rows.index(seal)
    inbox.table.selectRow(bad_row)
    assert "failed" in inbox.detail.toPlainText()

    # devices: Lunda's bundle 2 is missing; Kono's bad seal counts against it, the damaged
    # bundle (whose sender nobody can tell) against nobody
    devices = desk.devices
    desk.setCurrentWidget(devices)
    qtbot.waitUntil(lambda: devices.table.rowCount() == 2)
    def cell(name: str, col: int) -> str:
        row = next(r for r in range(2) if devices.table.item(r, 0).text() == name)
        return devices.table.item(row, col).text()

    qtbot.waitUntil(lambda: cell("lunda-laptop", 5) == "2")
    assert cell("kono-laptop", 5) == "none"
    assert cell("kono-laptop", 4) == "1 (1 rejected)"
    assert cell("kono-laptop", 1) == kono.fingerprint

    # cases: filter, search, open and review one
    cases = desk.cases
    desk.setCurrentWidget(cases)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    cases.bar.country.setCurrentIndex(cases.bar.country.findData("AO"))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    qtbot.keyClicks(cases.bar.search, "violacao")
    qtbot.keyClick(cases.bar.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2 and cases.model.row_at(0) is not None)
    cases.table.selectRow(0)
    qtbot.waitUntil(lambda: cases.report.view is not None)
    text = cases.report.text.toPlainText()
    assert "Killing" in text and "Police" in text  # labels, not the ids "killing", "police"
    reviewed = cases.report.view.report_id
    panel = cases.report.review
    panel.state.setCurrentIndex(panel.state.findData("verified"))
    panel.reason.setText("Matches the clinic's records")
    panel.save.click()
    qtbot.waitUntil(
        lambda: cases.report.view is not None and cases.report.view.review_state == "verified"
    )
    cases.bar.search.clear()
    qtbot.keyClick(cases.bar.search, Qt.Key.Key_Return)
    cases.bar.country.setCurrentIndex(0)
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)

    # exports of every case: CSV, JSON, PDF
    out = tmp_path / "exports"
    out.mkdir()
    export = cases.open_export()
    csv_path = _export(qtbot, export, ExportKind.CASES_CSV, out / "cases.csv")
    rows_ = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert len(rows_) == 3
    assert {r["country"] for r in rows_} == {"SL", "AO"}
    assert next(r for r in rows_ if r["report_id"] == reviewed)["review_state"] == "verified"
    json_path = _export(qtbot, export, ExportKind.EVENTS_JSON, out / "events.json")
    events = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(events["events"]) == 3
    pdf_path = _export(qtbot, export, ExportKind.PDF_BRIEF, out / "brief.pdf")
    pages = [p.extract_text() for p in PdfReader(pdf_path).pages]
    brief = "\n".join(pages)
    assert "incident brief" in brief
    assert "2 (no consent to share with Kimberley Process bodies)" in brief
    assert "Cafunfo" not in brief  # both Angola reports lack consent to share with KP bodies
    assert "The signed manifest lists 1 report(s) included and 2 left out" in (
        export.outcome.toPlainText()
    )
    for path in (csv_path, json_path, pdf_path):
        data = path.read_bytes()
        for secret in (*NAMES, *CONTACTS, "via the clinic nurse"):
            assert secret.encode() not in data
        assert path.with_name(path.name + ".manifest.json").exists()
    export.reject()

    # the audit log, in words: the review and the three exports
    audit = desk.audit
    desk.setCurrentWidget(audit)
    qtbot.waitUntil(lambda: audit.table.rowCount() == 6)
    actions = [audit.table.item(r, 2).text() for r in range(6)]
    assert actions == ["Export", "Export", "Export", "Review state", "Device approved",
                       "Device approved"]  # fmt: skip
    assert "intact" in audit.state.text()
    window.lock()
    idle(qtbot, window)
    window.close()
