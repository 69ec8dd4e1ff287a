"""Nothing typed is lost (DESIGN.md §2.2): type in the real app, see "Saved", SIGKILL, reopen."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kpfield.app import create_session, open_session
from kpfield.vault.keyslots import KdfParams
from tests.support.cli import REPO, Sandbox

PASSPHRASE = "river mango stone cloud seven"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_text_survives_a_kill_after_the_saved_indicator(tmp_path: Path) -> None:
    box = Sandbox.under(tmp_path)
    create_session(box.data, PASSPHRASE, params=KdfParams.cheap_for_tests()).close()
    text = "The guards came at dawn; four diggers were beaten near the river."
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.functional.gui_driver", "autosave", str(box.data),
         PASSPHRASE, text],
        cwd=REPO, env=box.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the driver saw "Saved" (or died)
        assert line.startswith("SAVED "), (line, proc.stderr.read() if proc.poll() else "")
        report_id = line.split()[1]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    s = open_session(box.data, PASSPHRASE)  # the process lock died with the process
    try:
        narrative = s.reports.get(report_id).narrative
    finally:
        s.close()
    assert narrative.startswith(text)  # every word typed before "Saved", maybe a few more
