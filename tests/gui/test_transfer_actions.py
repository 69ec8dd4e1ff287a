"""Vault menu transfer actions by role: HQ imports a real bundle from a folder through the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from kpfield.app import create_session
from kpfield.gui.main_window import MainWindow
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, seal_report
from tests.gui.conftest import PASSPHRASE, unlock


def _choose(qtbot: QtBot, window: MainWindow, key: Qt.Key, folder: Path) -> QDialog:
    qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    chooser = window.findChild(QFileDialog)
    assert chooser is not None
    chooser.fileSelected.emit(str(folder))
    chooser.reject()
    dialog = next(d for d in window.findChildren(QDialog) if d.objectName() == "transferDialog")
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=20_000)  # type: ignore[attr-defined]
    return dialog


def test_hq_imports_bundles_and_writes_receipts(
    qtbot: QtBot, make_window: Any, tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    params = KdfParams.cheap_for_tests()
    hq_dir = tmp_path / "hq"
    hq = create_session(hq_dir, PASSPHRASE, role="hq", params=params)
    laptop = new_field(tmp_path / "laptop", params, hq)
    seal_report(laptop, example_doc, photos=1)
    stick = tmp_path / "stick"
    stick.mkdir()
    export(laptop, stick)
    laptop.close()
    hq.close()

    window = make_window(hq_dir)
    unlock(qtbot, window)
    qtbot.waitUntil(window.transfer.import_action.isVisible, timeout=10_000)
    assert not window.transfer.export_action.isVisible()
    dialog = _choose(qtbot, window, Qt.Key.Key_I, stick)
    assert dialog.error is None  # type: ignore[attr-defined]
    text = dialog.text.toPlainText()  # type: ignore[attr-defined]
    assert "imported" in text.lower()
    files_after = sorted(p.name for p in stick.iterdir())
    assert len(files_after) >= 2  # the bundle and at least one receipt
    dialog.reject()


def test_field_window_offers_export_and_receipts(
    qtbot: QtBot, make_window: Any, existing_vault: Path
) -> None:
    window = make_window(existing_vault)
    unlock(qtbot, window)
    assert window.transfer.export_action.isVisible()
    assert window.transfer.receipts_action.isVisible()
    assert not window.transfer.import_action.isVisible()
