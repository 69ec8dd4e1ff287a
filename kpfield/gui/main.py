"""Desktop app entry point (replaced by the full GUI)."""

from __future__ import annotations


def run_gui(data_dir: str | None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication([])
    QMessageBox.information(None, "KP Field", "The desktop interface is being built.")
    del data_dir
    return int(app.exec())
