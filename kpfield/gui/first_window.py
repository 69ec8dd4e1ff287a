"""For the packaged app's smoke test: once the first window is on screen, record what it shows
and quit. Nothing is unlocked yet at that point, so the picture holds no vault content."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget


def report_when_shown(window: QMainWindow, report: Path) -> None:
    """After the first paint: write ``report`` (JSON) and ``report`` + ``.png``; then quit."""

    def done() -> None:
        app = QApplication.instance()
        stack = window.findChild(QStackedWidget)
        screen = stack.currentWidget() if stack is not None else None
        window.grab().save(str(report.with_suffix(".png")), "PNG")
        facts = {
            "screen": type(screen).__name__ if screen is not None else None,
            "title": window.windowTitle(),
            "platform": QApplication.platformName(),
            "size": [window.width(), window.height()],
            "desktop_file_name": QApplication.desktopFileName(),
            "icon": not QApplication.windowIcon().isNull(),
        }
        tmp = report.with_suffix(".tmp")
        tmp.write_text(json.dumps(facts), encoding="utf-8")
        tmp.replace(report)  # the test waits for this name: it appears whole
        if app is not None:
            app.quit()

    QTimer.singleShot(0, done)
