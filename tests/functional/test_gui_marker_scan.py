"""Nothing readable at rest, for a GUI session (DESIGN.md §2.1): thumbnails, image caches,
drag-and-drop temp files, preferences and the clipboard included.

The real window, in its own process with HOME, TMPDIR and XDG folders confined to the test, goes
through first-run setup, a report whose title, narrative, notes, witness pseudonym and identity
carry unique markers, photos carrying a byte marker (imported in place, thumbnails shown, the
viewer opened), a search, a copy to the clipboard and a lock. Then every byte under the data dir,
the temp dir and HOME is scanned for every marker (UTF-8 and UTF-16, either case).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kpfield.app import open_session
from tests.support import markers as mk
from tests.support.cli import Sandbox
from tests.support.photos import jpeg_with_marker

pytestmark = pytest.mark.slow
PASSPHRASE = "river mango stone cloud seven"


def test_gui_session_leaves_no_marker_on_disk(tmp_path: Path) -> None:
    box = Sandbox.under(tmp_path / "box")
    inputs = tmp_path / "inputs"  # what the monitor imports from: outside the scanned roots
    inputs.mkdir()
    m = {k: mk.new_marker(k) for k in ("title", "narrative", "notes", "pseudonym", "name")}
    photo_marker = mk.new_marker("photo")
    photos = []
    for i in range(2):
        p = inputs / f"IMG_{i}.jpg"
        p.write_bytes(jpeg_with_marker(photo_marker.encode(), size=(640, 480), seed=i))
        photos.append(str(p))
    plan = {
        "title": f"Beating {m['title']}",
        "narrative": f"The guards beat diggers {m['narrative']} near the river",
        "notes": f"Clinic {m['notes']}",
        "pseudonym": f"W-{m['pseudonym']}",
        "full_name": f"Aminata {m['name']}",
        "photos": photos,
        "search": "diggers",
    }
    plan_file = inputs / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tests.functional.gui_driver", "session", str(box.data),
         PASSPHRASE, str(plan_file)],
        cwd=box.home, env=box.env(), capture_output=True, text=True, timeout=120, check=False,
    )
    lines = done.stdout.split("\n")
    assert "CLOSED" in lines, done.stdout + done.stderr
    assert "CLIPBOARD EMPTY" in lines
    assert done.returncode == 0

    # the session really stored what it typed (the scan below is not vacuous)
    s = open_session(box.data, PASSPHRASE)
    try:
        (row,) = s.reports.list_reports()
        view = s.reports.view(row.id)
        assert m["narrative"] in view.report.narrative
        assert view.witnesses[0].identifying is not None
        assert len(view.attachments) == 2
    finally:
        s.close()
    files, size = mk.count_bytes(box.roots)
    assert files >= 4 and size > 100_000
    hits = mk.scan_tree(box.roots, [*m.values(), photo_marker])
    assert hits == [], "\n".join(map(str, hits))
    prefs = box.data / "preferences.json"
    if prefs.exists():  # the only plain file the GUI writes: preferences, nothing else
        assert set(json.loads(prefs.read_text(encoding="utf-8"))) == {"language", "idle_minutes"}


def test_the_scan_would_see_a_leak(tmp_path: Path) -> None:
    marker = mk.new_marker("probe")
    (tmp_path / "leak.txt").write_bytes(marker.encode("utf-16-le"))
    assert len(mk.scan_tree([tmp_path], [marker])) == 1
