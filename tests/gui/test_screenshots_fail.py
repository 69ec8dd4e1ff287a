"""``make screenshots`` fails fast when a shot fails: it used to hang, because the open
window's task lanes kept the process alive after the traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.cli import REPO

SCRIPT = """
import sys
from kpfield.gui import screenshots as s
from kpfield.gui.settings import GuiSettings, save_settings

def failing(out, language, work):
    data = work / "vault"
    s.seed_vault(data)
    save_settings(data, GuiSettings(language=language, auto_sync=False))
    s.make_window(data)  # open, with its lanes running
    raise RuntimeError("a shot failed")

s.shoot_language = failing
sys.exit(s.main(["screenshots", sys.argv[1], "en"]))
"""


def test_a_failing_shot_exits_non_zero_instead_of_hanging(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "out")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # the old tool never exited
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "a shot failed" in proc.stderr
    assert "screenshots FAILED" in proc.stderr
