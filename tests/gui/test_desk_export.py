"""The desk's export dialog on a real HQ vault: it says what the file will hold before writing,
an override needs a reason and is logged, and what it reports comes from the signed manifest."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from kpfield.gui.desk.export_dialog import ExportDialog
from kpfield.gui.desk.override_dialog import OverrideDialog
from kpfield.gui.main_window import MainWindow
from kpfield.services.exports.service import CaseExportService, ExportKind
from tests.gui.test_desk import desk_of, desk_world, hq_window  # noqa: F401 - fixtures


def _planned(qtbot: QtBot, dialog: ExportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.export_button.isEnabled())


def test_a_brief_leaves_out_reports_without_kp_consent_unless_overridden(
    hq_window: MainWindow, qtbot: QtBot, tmp_path: Path  # noqa: F811
) -> None:
    cases = desk_of(hq_window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    cases.export_button.click()
    dialog = cases.export_dialog
    assert dialog.radios[ExportKind.PDF_BRIEF].isChecked()
    _planned(qtbot, dialog)
    assert "1 report(s) will be in the file; 2 left out" in dialog.summary.text()
    assert dialog.left_out.count() == 2
    assert "Kimberley Process" in dialog.left_out.item(0).text()
    assert dialog.override_button.isVisibleTo(dialog)
    dialog.ask_override()
    over = dialog.override_dialog
    assert isinstance(over, OverrideDialog)
    ok = over.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert over.chosen() == []  # nothing is included until the analyst ticks it
    over.list.item(0).setCheckState(Qt.CheckState.Checked)
    assert not ok.isEnabled()  # a reason is required
    over.reason.setText("The working group asked for the Cafunfo cases")
    assert ok.isEnabled()
    ok.click()
    assert len(dialog.override) == 1
    assert "2 report(s) will be in the file; 1 left out" in dialog.summary.text()
    dialog.export_to(tmp_path / "brief")
    qtbot.waitUntil(lambda: dialog.result_ is not None or bool(dialog.failure), timeout=20_000)
    assert dialog.result_ is not None, dialog.failure
    result, manifest = dialog.result_
    assert result.path == tmp_path / "brief.pdf"
    assert manifest.overridden == tuple(dialog.override)
    assert len(manifest.included) == 2 and len(manifest.left_out) == 1
    shown = dialog.outcome.toPlainText()
    assert "2 report(s) included and 1 left out" in shown
    assert "Included by override" in shown
    text = "\n".join(p.extract_text() for p in PdfReader(result.path).pages)
    assert "Included by the analyst without the witnesses" in text
    audit = desk_of(hq_window).audit
    qtbot.waitUntil(
        lambda: [audit.table.item(r, 2).text() for r in range(audit.table.rowCount())][:2]
        == ["Export", "Consent override"]
    )


def test_a_csv_export_follows_the_filter(
    hq_window: MainWindow, qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    threads: list[str] = []
    render = CaseExportService.render

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(CaseExportService, "render", spy)
    cases = desk_of(hq_window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    cases.bar.country.setCurrentIndex(cases.bar.country.findData("AO"))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2)
    dialog = cases.open_export()
    assert "Angola" in dialog.findChild(type(dialog.summary), "exportFilter").text() or "AO" in (
        dialog.findChild(type(dialog.summary), "exportFilter").text()
    )
    dialog.radios[ExportKind.CASES_CSV].setChecked(True)
    _planned(qtbot, dialog)
    assert not dialog.override_button.isVisibleTo(dialog)  # only a brief can override
    dialog.export_to(tmp_path / "ao.csv")
    qtbot.waitUntil(lambda: dialog.result_ is not None or bool(dialog.failure), timeout=20_000)
    assert dialog.result_ is not None, dialog.failure
    rows = list(csv.DictReader(io.StringIO((tmp_path / "ao.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 2
    assert all(r["country"] == "AO" for r in rows)
    assert (tmp_path / "ao.csv.manifest.json").exists()
    assert threads and all(t.startswith("kpfield-compute") for t in threads)  # not the store


def test_stop_writes_nothing_and_logs_nothing(
    hq_window: MainWindow, qtbot: QtBot, tmp_path: Path  # noqa: F811
) -> None:
    cases = desk_of(hq_window).cases
    qtbot.waitUntil(lambda: cases.model.rowCount() == 3)
    dialog = cases.open_export()
    dialog.radios[ExportKind.CASES_CSV].setChecked(True)
    _planned(qtbot, dialog)
    gate = threading.Event()
    blocker = hq_window.runner.call(lambda _s: gate.wait(30))  # holds the store lane
    dialog.export_to(tmp_path / "stopped.csv")
    assert dialog.stop_button.isVisible()
    dialog.stop()  # before the export could read anything
    gate.set()
    qtbot.waitUntil(lambda: bool(dialog.failure))
    assert blocker.done
    assert "stopped" in dialog.failure and "no file" in dialog.failure
    assert not (tmp_path / "stopped.csv").exists()
    assert not (tmp_path / "stopped.csv.manifest.json").exists()
    assert not dialog.stop_button.isVisible() and dialog.export_button.isEnabled()
    audit = desk_of(hq_window).audit
    qtbot.waitUntil(lambda: audit.table.rowCount() == 2)  # the two device approvals only
