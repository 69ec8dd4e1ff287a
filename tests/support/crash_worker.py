"""A monitor's session in a loop, to be killed at random: saves drafts, attaches photos, seals.

Run as ``python -m tests.support.crash_worker DATA_DIR PASSPHRASE_FILE SEED``. After each
operation has *returned*, one acknowledgement line is written to stdout and flushed:

    opened
    created <report id> <sha256 of narrative>
    saved <report id> <sha256 of narrative>
    attached <report id> <attachment id> <sha256 of photo>
    sealed <report id>

A line the parent has read is therefore a promise the vault must keep after any crash. Texts are a
pure function of (report id, revision) so the parent can tell "the acknowledged version" from
"the one after it, which committed but was not acknowledged" without any other channel.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

INITIAL_NARRATIVE = "Initial account, before any autosave."
_REV = re.compile(r"^rev (\d+) of ([0-9a-f-]{36}):")
# Letters a Krio, Kono or French testimony may contain, and one astral character.
_ALPHABET = "abcdefghijklmnopqrstuvwxyz      .,éèɛɔŋ’—🙂0123456789"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draft_text(rid: str, rev: int) -> str:
    """The narrative of revision ``rev`` of draft ``rid`` (revision 0 is the created one)."""
    if rev == 0:
        return INITIAL_NARRATIVE
    rnd = random.Random(f"{rid}:{rev}")
    roll = rnd.random()
    # Mostly short edits; some long enough to spill over many database pages.
    n = (
        rnd.randint(20, 2_000)
        if roll < 0.7
        else rnd.randint(5_000, 20_000)
        if roll < 0.95
        else rnd.randint(50_000, 150_000)
    )
    body = "".join(rnd.choices(_ALPHABET, k=n))
    return f"rev {rev} of {rid}: {body}"


def revision_of(rid: str, text: str) -> int:
    """The revision a stored narrative claims to be (0 for the created text); -1 if foreign."""
    if text == INITIAL_NARRATIVE:
        return 0
    m = _REV.match(text)
    if not m or m.group(2) != rid:
        return -1
    return int(m.group(1))


def report_document(n: int) -> dict[str, Any]:
    """A sealable ``kpfield.report/1`` document (the shipped example, renamed)."""
    repo = Path(__file__).resolve().parents[2]
    doc: dict[str, Any] = json.loads((repo / "docs" / "example-report.json").read_text("utf-8"))
    doc["title"] = f"Crash-test report {n}"
    doc["narrative"] = INITIAL_NARRATIVE
    doc["witnesses"][0]["pseudonym"] = f"W-crash-{n}"
    return doc


def ack(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    from kpfield.app import harden_process, open_session
    from kpfield.domain.models import ReportStatus
    from tests.support.photos import small_photo

    data_dir, passphrase_file, seed = Path(argv[0]), Path(argv[1]), int(argv[2])
    harden_process()
    rnd = random.Random(seed)
    passphrase = passphrase_file.read_text("utf-8").splitlines()[0]
    session = open_session(data_dir, passphrase)
    reports = session.reports
    ack("opened")
    n = 0
    while True:  # until killed
        n += 1
        drafts = [r.id for r in reports.list_reports(status=ReportStatus.DRAFT)]
        if len(drafts) < 2 or (len(drafts) < 5 and rnd.random() < 0.03):
            rid = reports.create_from_document(report_document(seed * 1000 + n))
            ack("created", rid, sha256_text(reports.get(rid).narrative))
            continue
        rid = rnd.choice(drafts)
        roll = rnd.random()
        if roll < 0.70:
            current = reports.get(rid)
            rev = revision_of(rid, current.narrative)
            if rev < 0:
                raise SystemExit(f"draft {rid} holds a narrative this worker never wrote")
            text = draft_text(rid, rev + 1)
            reports.save_draft(replace(current, narrative=text, monitor_notes=text[:300]))
            ack("saved", rid, sha256_text(text))
        elif roll < 0.83:
            data = small_photo(rnd.randrange(1 << 30))
            att = reports.attach_bytes(rid, data, f"photo-{n}.jpg")
            ack("attached", rid, att.id, hashlib.sha256(data).hexdigest())
        elif roll < 0.96:
            # The pipelined path: later photos are decoded in workers while one is stored,
            # so a kill lands while a worker decodes and this thread encrypts or commits.
            incoming = data_dir.parent / "incoming"
            incoming.mkdir(exist_ok=True)
            paths = []
            for k in range(3):
                path = incoming / f"photo-{n}-{k}.jpg"
                path.write_bytes(small_photo(rnd.randrange(1 << 30)))
                paths.append(path)
            for path, result in reports.attach_files(rid, paths):
                if isinstance(result, Exception):
                    raise SystemExit(f"attach_files refused a good photo: {result!r}")
                ack("attached", rid, result.id, hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            reports.seal(rid)
            ack("sealed", rid)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
