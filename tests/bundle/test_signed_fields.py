"""Item 6 of issue 9: every signed field is checked against its specification, types exactly.

Forged bundles are re-signed with the real device key, so only the check behind the signature
stands between them and HQ's store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from kpfield.app import Session
from kpfield.bundle import manifest as mf
from kpfield.custody.log import GENESIS, chain_hash
from kpfield.protocol.canonical import canonical_json
from tests.bundle.test_bad_input import parts, rejected
from tests.bundle.world import (
    Forger,
    export,
    hq_recipients,
    member_entry,
    resigned,
    seal_report,
    seal_to,
    stick,
    tar_of,
    write,
)


@pytest.fixture
def bundle(tmp_path: Path, field_s: Session, example_doc: dict[str, Any]) -> Path:
    seal_report(field_s, example_doc, photos=1)
    [path] = export(field_s, stick(tmp_path))
    return path


def rebuilt(manifest: mf.Manifest, body: list[tuple[str, bytes]]) -> mf.Manifest:
    """The manifest with every member's size and hash taken from ``body``."""
    return dataclasses.replace(manifest, members=tuple(member_entry(n, d) for n, d in body))


def test_checksum_signature_with_another_trusted_comment(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    forger = Forger(field_s)
    head = forger.head(m)
    head[3] = (mf.SUMS_SIG, forger.sign(m.sums_text(), "anything at all"))
    out = seal_to(hq_recipients(hq), tar_of([*head, *body]))
    rejected(hq, write(tmp_path / "b", out), "SHA256SUMS", "trusted comment")


def test_report_seal_made_for_another_version(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path
) -> None:
    m, body = parts(hq, bundle)
    forger = Forger(field_s)
    entry = m.reports[0]
    i = next(k for k, (n, _) in enumerate(body) if n == entry.signature_member)
    j = next(k for k, (n, _) in enumerate(body) if n == entry.member)
    body[i] = (
        entry.signature_member,
        forger.sign(body[j][1], f"kpfield sealed report {entry.id} version {entry.version + 1}"),
    )
    out = resigned(forger, rebuilt(m, body), body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", out), "another report or version")


@pytest.mark.parametrize("bad_seq", [True, 1.0, "1"])
def test_custody_entry_with_a_seq_that_is_not_an_integer(
    hq: Session, field_s: Session, bundle: Path, tmp_path: Path, bad_seq: Any
) -> None:
    m, body = parts(hq, bundle)
    k = next(k for k, (n, _) in enumerate(body) if n == mf.CUSTODY)
    lines = [json.loads(line) for line in body[k][1].splitlines()]
    prev = GENESIS
    out_lines = []
    for n, row in enumerate(lines):
        entry = row["entry"]
        if n == 0:
            entry["seq"] = bad_seq
        h = chain_hash(prev, entry) if not isinstance(bad_seq, float) else hashlib.sha256(
            bytes.fromhex(prev) + json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        out_lines.append({"entry": entry, "prev_hash": prev, "entry_hash": h})
        prev = h
    text = b"".join(
        (
            canonical_json(r)
            if not isinstance(bad_seq, float)
            else json.dumps(r, sort_keys=True, separators=(",", ":")).encode()
        )
        + b"\n"
        for r in out_lines
    )
    body[k] = (mf.CUSTODY, text)
    forged = dataclasses.replace(rebuilt(m, body), custody_head_hash=prev)
    out = resigned(Forger(field_s), forged, body, hq_recipients(hq))
    rejected(hq, write(tmp_path / "b", out), "custody log")
