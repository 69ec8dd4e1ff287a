"""One batch of photos through ``attach_files``, to be killed at random (issue 12).

Run as ``python -m tests.support.attach_worker DATA_DIR PASSPHRASE_FILE PHOTO...``. It opens the
vault, makes a new draft and attaches the photos (copies of photos in other drafts are allowed),
writing one line per step to stdout, flushed, after the step has returned:

    opened <report id>
    attached <attachment id> <sha256 of the file>
    done

A line the parent has read is a promise the vault must keep after any crash.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def ack(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    from kpfield.app import harden_process, open_session

    data_dir, passphrase_file = Path(argv[0]), Path(argv[1])
    photos = [Path(a) for a in argv[2:]]
    harden_process()
    passphrase = passphrase_file.read_text("utf-8").splitlines()[0]
    repo = Path(__file__).resolve().parents[2]
    doc = json.loads((repo / "docs" / "example-report.json").read_text("utf-8"))
    session = open_session(data_dir, passphrase)
    rid = session.reports.create_from_document(doc)
    ack("opened", rid)
    for path, result in session.reports.attach_files(rid, photos, allow_duplicate=True):
        if isinstance(result, Exception):
            raise SystemExit(f"attach_files refused a good photo: {result!r}")
        ack("attached", result.id, hashlib.sha256(path.read_bytes()).hexdigest())
    session.close()
    ack("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
