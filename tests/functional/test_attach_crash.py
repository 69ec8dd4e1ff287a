"""Issue 12: a kill at any point of a pipelined ``attach_files`` batch leaves a whole vault.

A worker process (``tests/support/attach_worker.py``) attaches a batch of photos, which worker
threads decode, encrypt, write and fsync ahead of the commits, and is SIGKILLed at random moments
(and just after an acknowledged photo). After every kill the vault is opened (which sweeps blob
files no row names) and must hold: every acknowledged photo; at most one more (committed, not yet
acknowledged); every attachment row with its original and its thumbnail, decrypting to the
recorded SHA-256; no blob or temporary file without a row; and ``kpfield verify`` passes.

Seeded and replayable: ``KPFIELD_ATTACH_CRASH_SEED``; ``KPFIELD_ATTACH_CRASH_ITERATIONS``
lengthens the run.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from kpfield.app import create_session, open_session
from kpfield.vault.keyslots import KdfParams
from tests.support.cli import Sandbox, kpfield
from tests.support.killed_worker import run_until_killed
from tests.support.photos import noisy_photo

pytestmark = pytest.mark.slow

PASSPHRASE = "attach crash passphrase"
ITERATIONS = int(os.environ.get("KPFIELD_ATTACH_CRASH_ITERATIONS", "10"))
PHOTOS = 8
HANG_SECONDS = 60.0


def run_worker(
    data: Path, passphrase_file: Path, photos: list[Path], kill_at: float | None, err: Path
) -> tuple[list[str], float]:
    """Run one batch and SIGKILL it ``kill_at`` seconds after it opened the vault (or, for a
    negative ``kill_at``, right after acknowledgement number ``-kill_at``). Returns the lines it
    acknowledged and how long the batch ran after opening."""

    def when(line: str, lines: list[str], opened_at: float) -> float | None:
        if line.startswith("opened") and kill_at is not None and kill_at >= 0:
            return opened_at + kill_at
        acks = sum(1 for ln in lines if ln.startswith("attached"))
        if kill_at is not None and kill_at < 0 and acks == -kill_at:
            return time.monotonic()
        return None

    cmd = [
        sys.executable, "-m", "tests.support.attach_worker", str(data), str(passphrase_file),
        *map(str, photos),
    ]  # fmt: skip
    run = run_until_killed(cmd, err, when, hang_seconds=HANG_SECONDS, keep_torn_tail=True)
    finished = "done" in run.lines
    assert finished or run.returncode == -signal.SIGKILL, (
        f"worker failed (rc {run.returncode}):\n{err.read_text()}"
    )
    return run.lines, run.last_line_at - run.opened_at


def check_vault(data: Path, acked: dict[str, str]) -> tuple[int, int]:
    """Open the vault after a kill and check it; adopt what landed unacknowledged.

    Returns (attachments committed without an acknowledgement, files the open swept away).
    """
    before = {p.name for p in (data / "blobs").rglob("*") if p.is_file()}
    s = open_session(data, PASSPHRASE)
    try:
        conn = s.vault.conn
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute("SELECT id, sha256, blob_name, thumb_name FROM attachments").fetchall()
        present = {aid: sha for aid, sha, _, _ in rows}
        for aid, sha in acked.items():
            assert present.get(aid) == sha, f"acknowledged attachment {aid} lost or changed"
        unseen = present.keys() - acked.keys()
        for aid, _sha, blob, thumb in rows:
            assert blob and thumb, f"attachment {aid} was committed without its thumbnail"
            s.reports.original_bytes(aid)  # decrypts and checks the recorded SHA-256
            assert s.reports.thumbnail_bytes(aid), f"attachment {aid} has an empty thumbnail"
        referenced = {name for _, _, blob, thumb in rows for name in (blob, thumb)}
        on_disk = {p.name for p in (data / "blobs").rglob("*") if p.is_file()}
        assert on_disk == referenced, "a blob file without a row (or a row without its file)"
        acked.update({aid: present[aid] for aid in unseen})
    finally:
        s.close()
    return len(unseen), len(before - on_disk)


def test_kill_anywhere_in_a_photo_batch_leaves_rows_and_blobs_whole(tmp_path: Path) -> None:
    seed = int(
        os.environ.get("KPFIELD_ATTACH_CRASH_SEED") or random.SystemRandom().randrange(1 << 32)
    )
    print(f"attach crash test: seed {seed}, {ITERATIONS} runs")
    rnd = random.Random(seed)
    box = Sandbox.under(tmp_path / "box")
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    create_session(box.data, PASSPHRASE, params=KdfParams.cheap_for_tests()).close()
    card = tmp_path / "card"
    card.mkdir()
    photos = []
    for i in range(PHOTOS):
        path = card / f"DSC_{i:04}.jpg"
        path.write_bytes(noisy_photo(rnd.randrange(1 << 30), 2000, 1500))
        photos.append(path)

    acked: dict[str, str] = {}
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in photos}
    # The first run is not killed: it measures how long a batch takes, so kills spread over it.
    plan: list[float | None] = [None]
    outcomes: list[tuple[float | None, int, int, int]] = []
    batch_seconds = 1.0
    for i in range(ITERATIONS + 1):
        kill_at = plan[i] if i < len(plan) else None
        if i >= len(plan):
            kill_at = (
                -float(rnd.randint(1, PHOTOS - 1))
                if rnd.random() < 0.25
                else rnd.uniform(0.0, batch_seconds)
            )
        lines, ran = run_worker(
            box.data, passphrase_file, photos, kill_at, tmp_path / f"worker{i}.err"
        )
        if kill_at is None:
            assert "done" in lines, "the unkilled run did not finish"
            batch_seconds = max(ran, 0.2)
        got = [ln.split() for ln in lines if ln.startswith("attached")]
        assert {sha for _, _, sha in got} <= shas
        acked.update({aid: sha for _, aid, sha in got})
        unseen, swept = check_vault(box.data, acked)
        assert unseen <= 1, f"run {i}: {unseen} photos committed unacknowledged; at most 1 may"
        verify = kpfield(box, "verify", passphrase_file=passphrase_file, check=False)
        assert verify.returncode == 0, f"run {i}: kpfield verify failed:\n{verify.stderr}"
        outcomes.append((kill_at, len(got), unseen, swept))

    print(f"batch of {PHOTOS} photos: {batch_seconds:.2f} s")
    for k, (kill_at, n, unseen, swept) in enumerate(outcomes):
        print(f"  run {k:2}: kill at {kill_at}, {n} acknowledged, {unseen} unseen, {swept} swept")
    # The kills landed where it matters: photos staged (blobs written) but not committed.
    assert any(swept > 0 for *_, swept in outcomes)
    assert sum(n for _, n, _, _ in outcomes) > PHOTOS  # real work was killed, not idle processes
