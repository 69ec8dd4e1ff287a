"""Desktop app entry point: one QApplication, Qt's own translations, the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kpfield.paths import APP_ID, ICON_SIZES, default_data_dir, resources_dir
from kpfield.services.vaults import KdfParams

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

log = logging.getLogger(__name__)


def app_icon() -> QIcon:
    """The app's icon in every size shipped, for title bars, task bars and the Alt-Tab list."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resources_dir() / "icons" / f"kpfield-{size}.png"))
    return icon


def run_gui(
    data_dir: str | Path | None,
    *,
    kdf_params: KdfParams | None = None,
    first_window_report: Path | None = None,
) -> int:
    """Start the app on ``data_dir`` (default: the platform data folder) and run until quit.

    ``first_window_report``: the smoke test's hook (see kpfield.gui.first_window)."""
    from PySide6.QtWidgets import QApplication

    from kpfield.gui.main_window import MainWindow
    from kpfield.process import harden_process

    harden_process()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("KP Field")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    from kpfield.gui.qt_registry import keep_file_dialog_history_out_of_registry

    keep_file_dialog_history_out_of_registry(app)
    window = MainWindow(Path(data_dir) if data_dir else default_data_dir(), kdf_params=kdf_params)
    window.show()
    if first_window_report is not None:
        from kpfield.gui.first_window import report_when_shown

        report_when_shown(window, first_window_report)
    return int(app.exec())
