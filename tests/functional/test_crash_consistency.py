"""Invariant 2 (DESIGN.md §2): nothing typed is lost, whatever instant the process dies at.

A worker process (``tests/support/crash_worker.py``) saves drafts, attaches photos and seals
through the public services, acknowledging each operation on stdout only after it returned. This
test kills it with SIGKILL at random moments, many times. After every kill the vault must open,
pass SQLite's and SQLCipher's integrity checks, pass ``kpfield verify``, and hold every
acknowledged operation exactly; at most one operation (the one in flight) may have landed unseen.

The kill points are random but reproducible: the seed is printed, and ``KPFIELD_CRASH_SEED`` (and
``KPFIELD_CRASH_ITERATIONS``) replay a run. SIGKILL models a process crash: the kernel's page cache
survives it, so this does not prove durability across a power cut (that needs fault injection
below the filesystem).
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kpfield.app import create_session, open_session
from kpfield.domain.models import ReportStatus
from kpfield.errors import KpfieldError
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.records import ReportRow
from tests.support.cli import REPO, Sandbox, kpfield
from tests.support.crash_worker import draft_text, revision_of, sha256_text

pytestmark = pytest.mark.slow

PASSPHRASE = "crash test passphrase"
ITERATIONS = int(os.environ.get("KPFIELD_CRASH_ITERATIONS", "25"))
# A worker that stops acknowledging for this long is hung, not slow: fail rather than wait for ever.
HANG_SECONDS = 60.0


@dataclass
class Promises:
    """What the worker acknowledged, i.e. what the vault must still hold."""

    narratives: dict[str, str] = field(default_factory=dict)  # report id -> sha256 of narrative
    attachments: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (report, sha)
    sealed: set[str] = field(default_factory=set)
    acks: int = 0

    def record(self, line: str) -> None:
        parts = line.split()
        match parts:
            case ["opened"]:
                return
            case ["created" | "saved", rid, sha]:
                self.narratives[rid] = sha
            case ["attached", rid, aid, sha]:
                self.attachments[aid] = (rid, sha)
            case ["sealed", rid]:
                self.sealed.add(rid)
            case _:
                raise AssertionError(f"the worker printed an unexpected line: {line!r}")
        self.acks += 1


@dataclass(frozen=True)
class Kill:
    after_acks: int  # -1: kill while starting up, before the vault is open
    extra_delay: float  # seconds after that ack (reading on), so kills land mid-operation


def plan(rnd: random.Random) -> Kill:
    if rnd.random() < 0.12:
        return Kill(-1, rnd.uniform(0.0, 0.6))
    return Kill(
        rnd.randint(0, 40), rnd.choice([0.0, rnd.uniform(0.0, 0.004), rnd.uniform(0, 0.03)])
    )


def run_and_kill(
    data: Path, passphrase_file: Path, seed: int, kill: Kill, stderr_path: Path
) -> list[str]:
    """Start a worker, SIGKILL it as planned, and return every line it acknowledged."""
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.crash_worker",
                str(data),
                str(passphrase_file),
                str(seed),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=err,
        )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    lines: list[str] = []
    saves_seen = 0
    deadline: float | None = time.monotonic() + kill.extra_delay if kill.after_acks < 0 else None
    last_progress = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            timeout = HANG_SECONDS if deadline is None else max(0.0, deadline - now)
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                if deadline is None and time.monotonic() - last_progress >= HANG_SECONDS:
                    raise AssertionError(f"worker hung; stderr:\n{stderr_path.read_text()}")
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(
                    f"worker exited by itself (rc {proc.wait()}); stderr:\n"
                    + stderr_path.read_text(errors="replace")
                )
            last_progress = time.monotonic()
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for raw in complete:
                lines.append(raw.decode())
                if raw != b"opened":
                    saves_seen += 1
                if (
                    deadline is None
                    and kill.after_acks >= 0
                    and (
                        (raw == b"opened" and kill.after_acks == 0) or saves_seen == kill.after_acks
                    )
                ):
                    deadline = time.monotonic() + kill.extra_delay
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # Lines already in the pipe were written (and so acknowledged) before the kill.
    rest = buf + proc.stdout.read()
    proc.stdout.close()
    lines.extend(r.decode() for r in rest.split(b"\n")[:-1])  # a torn last line is no promise
    assert proc.returncode == -signal.SIGKILL, (
        f"worker ended with {proc.returncode}, not by our SIGKILL; stderr:\n"
        + stderr_path.read_text(errors="replace")
    )
    return lines


def check_recovered(data: Path, promises: Promises) -> int:
    """Open the vault after a crash, check it, and adopt what landed unacknowledged.

    Returns how many operations committed without an acknowledgement (must be 0 or 1).
    """
    s = open_session(data, PASSPHRASE)
    try:
        conn = s.vault.conn
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        reports = s.reports
        unseen = 0

        stored: dict[str, ReportRow] = {r.id: r for r in reports.list_reports()}
        for rid, acked_sha in promises.narratives.items():
            assert rid in stored, f"acknowledged report {rid} is gone"
            text = reports.get(rid).narrative
            rev = revision_of(rid, text)
            assert rev >= 0 and text == draft_text(rid, rev), f"report {rid}: torn narrative"
            if sha256_text(text) != acked_sha:
                # Only the save after the acknowledged one may have landed unseen.
                assert rev >= 1 and sha256_text(draft_text(rid, rev - 1)) == acked_sha, (
                    f"report {rid}: holds revision {rev}, not the acknowledged one"
                )
                unseen += 1
                promises.narratives[rid] = sha256_text(text)
        for rid in stored.keys() - promises.narratives.keys():
            assert reports.get(rid).narrative == draft_text(rid, 0)
            unseen += 1
            promises.narratives[rid] = sha256_text(draft_text(rid, 0))

        for rid in promises.sealed:
            assert stored[rid].status is ReportStatus.SEALED, f"acknowledged seal of {rid} lost"
        for rid, row in stored.items():
            if row.status is ReportStatus.SEALED and rid not in promises.sealed:
                unseen += 1
                promises.sealed.add(rid)

        present: dict[str, tuple[str, str]] = {
            a.id: (a.report_id, a.sha256) for rid in stored for a in reports.attachments(rid)
        }
        for aid, (rid, sha) in promises.attachments.items():
            assert present.get(aid) == (rid, sha), f"acknowledged attachment {aid} lost or changed"
        for aid in present.keys() - promises.attachments.keys():
            unseen += 1
            promises.attachments[aid] = present[aid]
        for aid in present:
            reports.original_bytes(aid)  # decrypts and checks the SHA-256 recorded at import
            assert reports.thumbnail_bytes(aid) is not None

        referenced = {
            name
            for row in conn.execute("SELECT blob_name, thumb_name FROM attachments")
            for name in row
            if name
        }
        on_disk = s.vault.blobs.names_on_disk()
        assert referenced <= on_disk, "a database row names a blob that is not on disk"
        assert on_disk <= referenced, "opening left unreferenced blob files behind"
        assert not list((data / "blobs").glob("??/.*.tmp")), "opening left temp files behind"
    finally:
        s.close()
    return unseen


def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path) -> None:
    seed = int(os.environ.get("KPFIELD_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"crash test: seed {seed}, {ITERATIONS} kills (replay: KPFIELD_CRASH_SEED={seed})")
    rnd = random.Random(seed)
    box = Sandbox.under(tmp_path / "box")
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    create_session(box.data, PASSPHRASE, params=KdfParams.cheap_for_tests()).close()

    promises = Promises()
    kills: list[tuple[Kill, int, int]] = []
    for i in range(ITERATIONS):
        kill = plan(rnd)
        before = promises.acks
        for line in run_and_kill(
            box.data, passphrase_file, rnd.randrange(1 << 20), kill, tmp_path / f"worker{i}.err"
        ):
            promises.record(line)
        unseen = check_recovered(box.data, promises)
        assert unseen <= 1, f"kill {i}: {unseen} operations landed unacknowledged; at most 1 may"
        verify = kpfield(box, "verify", passphrase_file=passphrase_file, check=False)
        assert verify.returncode == 0, f"kill {i}: kpfield verify failed:\n{verify.stderr}"
        kills.append((kill, promises.acks - before, unseen))

    print(
        f"{len(kills)} kills; {promises.acks} acknowledged operations; "
        f"{len(promises.narratives)} reports, {len(promises.attachments)} attachments, "
        f"{len(promises.sealed)} sealed; {sum(u for _, _, u in kills)} landed unacknowledged"
    )
    for k, (kill, acks, unseen) in enumerate(kills):
        print(f"  kill {k:2}: planned {kill}, {acks} acks, {unseen} unseen")
    # The run exercised what it claims to: real work was killed, not only idle processes.
    assert promises.acks > ITERATIONS
    assert promises.attachments
    assert any(acks > 0 for _, acks, _ in kills)


# ---------------------------------------------------------------- the checker can fail
@pytest.fixture
def small_vault(tmp_path: Path) -> tuple[Path, Promises]:
    """A vault with one draft saved twice and one photo, and the promises for it."""
    from dataclasses import replace

    from tests.support.crash_worker import report_document
    from tests.support.photos import small_photo

    data = tmp_path / "vault"
    s = create_session(data, PASSPHRASE, params=KdfParams.cheap_for_tests())
    try:
        promises = Promises()
        rid = s.reports.create_from_document(report_document(1))
        promises.record(f"created {rid} {sha256_text(draft_text(rid, 0))}")
        for rev in (1, 2):
            report = s.reports.get(rid)
            s.reports.save_draft(replace(report, narrative=draft_text(rid, rev)))
            promises.record(f"saved {rid} {sha256_text(draft_text(rid, rev))}")
        photo = small_photo(3)
        att = s.reports.attach_bytes(rid, photo, "p.jpg")
        promises.record(f"attached {rid} {att.id} {hashlib.sha256(photo).hexdigest()}")
    finally:
        s.close()
    return data, promises


def test_checker_accepts_an_intact_vault(small_vault: tuple[Path, Promises]) -> None:
    data, promises = small_vault
    assert check_recovered(data, promises) == 0


def test_checker_notices_a_lost_save(small_vault: tuple[Path, Promises]) -> None:
    data, promises = small_vault
    rid = next(iter(promises.narratives))
    promises.narratives[rid] = sha256_text(draft_text(rid, 3))  # acked, but never stored
    with pytest.raises(AssertionError, match="not the acknowledged one"):
        check_recovered(data, promises)


def test_checker_notices_a_lost_attachment(small_vault: tuple[Path, Promises]) -> None:
    data, promises = small_vault
    rid = next(iter(promises.narratives))
    promises.attachments["00000000-0000-4000-8000-000000000000"] = (rid, "0" * 64)
    with pytest.raises(AssertionError, match="lost or changed"):
        check_recovered(data, promises)


def test_checker_notices_a_damaged_blob(small_vault: tuple[Path, Promises]) -> None:
    data, promises = small_vault
    blob = next(p for p in (data / "blobs").glob("??/*") if p.stat().st_size > 1000)
    raw = bytearray(blob.read_bytes())
    raw[100] ^= 1
    blob.write_bytes(bytes(raw))
    with pytest.raises(KpfieldError):
        check_recovered(data, promises)
