"""Desktop app entry point: one QApplication, Qt's own translations, the main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from kpfield.paths import default_data_dir
from kpfield.services.vaults import KdfParams

log = logging.getLogger(__name__)


def run_gui(data_dir: str | Path | None, *, kdf_params: KdfParams | None = None) -> int:
    """Start the app on ``data_dir`` (default: the platform data folder) and run until quit."""
    from PySide6.QtWidgets import QApplication

    from kpfield.gui.main_window import MainWindow
    from kpfield.process import harden_process

    harden_process()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("KP Field")
    window = MainWindow(Path(data_dir) if data_dir else default_data_dir(), kdf_params=kdf_params)
    window.show()
    return int(app.exec())
