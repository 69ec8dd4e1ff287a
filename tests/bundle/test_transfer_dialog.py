"""The transfer dialog runs export/import on the store thread, shows progress, result and errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from kpfield.errors import Cancelled
from kpfield.gui.tasks import TaskRunner
from kpfield.gui.transfer_dialog import TransferDialog, export_dialog, import_dialog
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import new_field, new_hq, seal_report
from tests.conftest import PASSPHRASE


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.shutdown()


def test_export_then_import_through_dialogs(
    qtbot: QtBot,
    runner: TaskRunner,
    tmp_path: Path,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
) -> None:
    hq = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    seal_report(laptop, example_doc, photos=1)
    laptop.close()
    hq.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    opened = runner.unlock(tmp_path / "laptop", PASSPHRASE)
    qtbot.waitUntil(lambda: opened.done)
    dialog = export_dialog(runner, str, usb)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=20_000)
    assert dialog.error is None and dialog.close_button.isEnabled()
    assert "Bundle 1: 1 report(s)" in dialog.text.toPlainText()
    assert dialog.bar.value() == 1000

    opened = runner.unlock(tmp_path / "hq", PASSPHRASE)
    qtbot.waitUntil(lambda: opened.done)
    dialog2 = import_dialog(runner, str, [usb])
    qtbot.addWidget(dialog2)
    qtbot.waitUntil(lambda: dialog2.finished_work, timeout=20_000)
    assert "imported: device" in dialog2.text.toPlainText()
    lock = runner.lock()
    qtbot.waitUntil(lambda: lock.done)


def test_cancel_and_errors_in_plain_words(qtbot: QtBot, runner: TaskRunner) -> None:
    import threading

    release = threading.Event()

    def slow(session: Any, job: Any) -> None:
        release.wait(5)
        job.check()

    runner._session = object()  # type: ignore[assignment]  # a stand-in: the work ignores it
    dialog = TransferDialog(runner, str, "t", slow, str)
    qtbot.addWidget(dialog)
    dialog.reject()  # Escape while running cancels instead of closing
    assert dialog.isVisible() is False or not dialog.close_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: dialog.finished_work, timeout=5_000)
    assert isinstance(dialog.error, Cancelled)
    assert dialog.status.text() == "Cancelled."
    runner._session = None
