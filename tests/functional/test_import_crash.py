"""A kill at any moment of an HQ import (issue 12's threaded intake) leaves HQ consistent.

``kpfield import`` runs in a child process and is SIGKILLed at random moments spread over a
whole import: while the decrypt worker reads ahead, while the reader hashes, while blob workers
encrypt, write or fsync, and around the commit. After every kill HQ is opened again: every
attachment row names a blob that decrypts to its recorded SHA-256 (no row without its photo),
and once orphans are swept no blob file is left that no row names (no photo without its row).
Besides the random kills, one kill lands inside each stage of the pipeline for sure
(``tests.support.stop_at``: the decrypt worker, the reader, a blob worker's encryption and its
fsync, and the transaction with every row written but not committed).
At the end an uninterrupted import brings every report. Seeded: ``KPFIELD_IMPORT_CRASH_SEED``.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import open_session
from kpfield.hq import intake
from kpfield.vault.hq_store import HqStore
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, new_hq, seal_report
from tests.conftest import PASSPHRASE
from tests.support.cli import REPO
from tests.support.photos import noisy_photo
from tests.support.stop_at import IMPORT_STAGES

pytestmark = pytest.mark.slow

ITERATIONS = int(os.environ.get("KPFIELD_IMPORT_CRASH_ITERATIONS", "10"))


def _import_cmd(hq: Path, pass_file: Path, stick: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kpfield",
        "import",
        str(stick),
        "--data-dir",
        str(hq),
        "--passphrase-file",
        str(pass_file),
    ]


def _kill_in_stage(stage: str, hq: Path, pass_file: Path, stick: Path) -> bool:
    """Run the import stopped inside ``stage``; SIGKILL it there. False if it never got there."""
    cmd = [
        sys.executable,
        "-m",
        "tests.support.stop_at",
        stage,
        *_import_cmd(hq, pass_file, stick)[3:],
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdout is not None
    reached = False
    try:
        for raw in proc.stdout:  # the stopped thread never returns: the import cannot finish
            if raw.decode().strip() == f"phase {stage}":
                reached = True
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    return reached


def _check_consistent(hq_dir: Path) -> int:
    s = open_session(hq_dir, PASSPHRASE)
    try:
        store = HqStore(s.vault.conn)
        rows = store.attachments()
        for row in rows:
            sha = hashlib.sha256()
            for chunk in intake.original_bytes(s.vault, row.attachment_id):
                sha.update(chunk)
            assert sha.hexdigest() == row.sha256, "an imported row names a wrong or missing blob"
        intake.sweep_orphans(s.vault)
        assert intake.hq_blobs(s.vault).names_on_disk() == store.blob_names()
        return len(rows)
    finally:
        s.close()


def test_kill_anywhere_in_import_keeps_hq_consistent(
    tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    seed = int(os.environ.get("KPFIELD_IMPORT_CRASH_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    params = KdfParams.cheap_for_tests()
    hq = new_hq(tmp_path / "hq", params)
    field = new_field(tmp_path / "field", params, hq)
    stick = tmp_path / "stick"
    stick.mkdir()
    try:
        for i in range(4):
            photos = [noisy_photo(seed + 10 * i + k, 1600, 1200) for k in range(3)]
            seal_report(field, example_doc, photos=0, seed=i, photo_bytes=photos)
        export(field, stick, max_bundle_bytes=4 << 20)  # several bundles
    finally:
        field.close()
        hq.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n")
    hq_dir = tmp_path / "hq"
    # How long an import runs here, on a copy, so kills spread over the whole of one.
    import shutil

    probe = tmp_path / "hq-probe"
    shutil.copytree(hq_dir, probe)
    start = time.monotonic()
    subprocess.run(_import_cmd(probe, pass_file, stick), cwd=REPO, check=True, capture_output=True)
    span = time.monotonic() - start
    # First one kill inside each stage (each stops in the first bundle: nothing is committed
    # yet, so every stage is still ahead of the next run), then kills at random moments.
    missed = []
    for stage in IMPORT_STAGES:
        if not _kill_in_stage(stage, hq_dir, pass_file, stick):
            missed.append(stage)
        # Killed inside the first bundle, even with every row written: nothing half-stored.
        assert _check_consistent(hq_dir) == 0, f"{stage}: a killed import left rows"
        print(f"killed in {stage}")
    assert missed == [], f"the import never reached {missed}"
    for i in range(ITERATIONS):
        proc = subprocess.Popen(
            _import_cmd(hq_dir, pass_file, stick),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            proc.wait(timeout=rnd.uniform(0.1, 1.0) * span)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        _check_consistent(hq_dir)
        print(f"kill {i}: rc {proc.returncode}")
    done = subprocess.run(
        _import_cmd(hq_dir, pass_file, stick), cwd=REPO, capture_output=True, text=True, check=False
    )
    # Bundles a killed run had committed come back as duplicates (exit 3); none is rejected.
    assert done.returncode in (0, 3), f"seed {seed}: {done.stdout}\n{done.stderr}"
    assert intake.REJECTED not in done.stdout, f"seed {seed}: {done.stdout}"
    assert _check_consistent(hq_dir) == 12, f"seed {seed}"
