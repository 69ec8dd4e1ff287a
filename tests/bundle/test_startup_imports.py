"""``kpfield export`` loads only what an export runs (issue 12: start-up weighed on small exports).

The command runs in a fresh interpreter, as a monitor runs it, on a real vault with a sealed
report; a hook at exit lists ``sys.modules``. The relay client (httpx and what it brings), Pillow,
fpdf2, Qt and the HQ desk's services must not be among them. A failing export would also fail
the test, so the closure is that of a real, complete export.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kpfield.app import Session
from kpfield.services import attachments
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, seal_report, stick
from tests.conftest import PASSPHRASE

REPO = Path(__file__).resolve().parents[2]

# Run the real CLI; at exit, print every loaded module's name as JSON on stderr's last line.
_DRIVER = """
import atexit, json, runpy, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["kpfield", *sys.argv[1:]]
runpy.run_module("kpfield", run_name="__main__")
"""

NOT_FOR_EXPORT = ("httpx", "httpcore", "h11", "click", "pygments", "PIL", "fpdf", "PySide6")
HQ_ONLY = (
    "kpfield.services.desk",
    "kpfield.services.exports",
    "kpfield.services.figures",
    "kpfield.services.intake",
    "kpfield.services.pull",
    "kpfield.services.sync",
    "kpfield.sync.relay_client",
    "kpfield.sync.transport",
    "kpfield.figures",
    "kpfield.media",
)


def _run(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
        timeout=300,
    )
    line = next(ln for ln in reversed(proc.stderr.splitlines()) if ln.startswith("MODULES "))
    return proc, set(json.loads(line.removeprefix("MODULES ")))


def test_export_loads_no_relay_client_pillow_or_desk(
    tmp_path: Path, field_s: Session, cheap_params: KdfParams
) -> None:
    example = json.loads(EXAMPLE.read_text("utf-8"))
    seal_report(field_s, example, photos=1)
    data_dir = field_s.vault.paths.root
    field_s.close()
    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    usb = stick(tmp_path)
    proc, modules = _run(
        "export", "--to", str(usb), "--data-dir", str(data_dir),
        "--passphrase-file", str(tmp_path / "pass"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Exported 1 report(s)" in proc.stdout
    assert len(list(usb.iterdir())) == 1
    tops = {m.split(".")[0] for m in modules}
    assert not tops & set(NOT_FOR_EXPORT), sorted(tops & set(NOT_FOR_EXPORT))
    loaded_hq = sorted(m for m in modules if m.startswith(HQ_ONLY))
    assert not loaded_hq, loaded_hq
    # The probe can fail: the same hook sees httpx once a command needs the relay client
    # (nothing listens on port 1: the sync gives up at once, exit 4).
    proc, sync_modules = _run(
        "sync", "--relay", "http://127.0.0.1:1", "--max-failures", "1", "--retry-base", "0.01",
        "--stall-floor", "1", "--data-dir", str(data_dir),
        "--passphrase-file", str(tmp_path / "pass"),
    )  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    assert {"httpx", "kpfield.services.sync"} <= sync_modules


def test_attachment_limit_matches_media() -> None:
    from kpfield import media

    assert attachments.MAX_ATTACHMENT_BYTES == media.DEFAULT_MAX_BYTES
