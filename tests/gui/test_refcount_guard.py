"""PySide6 6.12.0 on Python 3.11 loses a reference to None per void call and aborts the app
after ~10k calls. pyproject pins PySide6 below 6.12 and the guard covers an environment that has
it anyway; either way a long session of void calls must survive."""

from __future__ import annotations

import subprocess
import sys

from tests.support.cli import REPO

SCRIPT = """
import sys
{guard}
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range(60_000):
    label.setText("x")
print("alive", flush=True)
"""


def run(guard: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(guard=guard)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )


def test_many_void_calls_survive_with_the_guard() -> None:
    done = run("import kpfield.gui")
    assert done.returncode == 0, done.stderr[-500:]
    assert "alive" in done.stdout
