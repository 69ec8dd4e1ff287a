"""Export status is coherent (waiting vs exported, in the status bar) and the GUI exports again
for a lost stick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from kpfield.app import create_session
from kpfield.domain.models import ReportStatus
from kpfield.gui.main_window import MainWindow
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import PASSPHRASE as FIELD_PASSPHRASE
from tests.bundle.world import new_field, seal_report
from tests.gui.conftest import PASSPHRASE, stick_chooser, unlock


def export_through(qtbot: QtBot, window: MainWindow, action: Any, stick: Path) -> QDialog:
    action.trigger()
    chooser = stick_chooser(qtbot, window)
    assert isinstance(chooser, QFileDialog)
    chooser.fileSelected.emit(str(stick))
    chooser.reject()
    dialog = next(
        d for d in window.findChildren(QDialog)
        if d.objectName() == "transferDialog" and d.isVisible()
    )
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=20_000)  # type: ignore[attr-defined]
    assert dialog.error is None  # type: ignore[attr-defined]
    return dialog


def test_export_then_export_again_for_a_lost_stick(
    qtbot: QtBot, make_window: Any, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    params = KdfParams.cheap_for_tests()
    hq = create_session(tmp_path / "hq", PASSPHRASE, role="hq", params=params)
    laptop = new_field(tmp_path / "laptop", params, hq)
    seal_report(laptop, example_doc)
    laptop.close()
    hq.close()
    window = make_window(tmp_path / "laptop")
    unlock(qtbot, window, FIELD_PASSPHRASE)
    qtbot.waitUntil(
        lambda: window.pending_label.text() == "1 sealed report not yet exported or sent"
    )
    first = tmp_path / "stick1"
    first.mkdir()
    dialog = export_through(qtbot, window, window.export_action, first)
    dialog.reject()
    qtbot.waitUntil(
        lambda: "0 sealed reports not yet exported" in window.pending_label.text()
        and "1 exported or sent, not yet acknowledged by HQ" in window.pending_label.text()
    )
    ws = window.workspace
    assert ws is not None and ws.list.model.rows[0].status is ReportStatus.EXPORTED
    on_first = sorted(p.name for p in first.iterdir())
    assert on_first

    # The stick is lost: a plain export has nothing new, and says where to go.
    second = tmp_path / "stick2"
    second.mkdir()
    dialog = export_through(qtbot, window, window.export_action, second)
    assert "Export again" in dialog.text.toPlainText()  # type: ignore[attr-defined]
    dialog.reject()
    assert list(second.iterdir()) == []
    again = window.transfer.export_again_action
    assert again.isVisible() and again.isEnabled()
    dialog = export_through(qtbot, window, again, second)
    dialog.reject()
    assert [p for p in second.iterdir() if p.is_file()]  # a fresh bundle for the new stick
