"""``kpfield verify``: the custody chain, every seal signature and every attachment hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from kpfield.custody.canonical import sha256_hex
from kpfield.custody.log import CustodyLog, verify_chain
from kpfield.custody.seal import device_identity, verify_seal
from kpfield.errors import KpfieldError
from kpfield.vault.records import RecordStore
from kpfield.vault.vault import Vault


@dataclass
class VerifyResult:
    custody_entries: int = 0
    sealed_reports: int = 0
    attachments: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_vault(vault: Vault, progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    result = VerifyResult()
    log = CustodyLog(vault.conn)
    rows = log.raw_entries()
    result.custody_entries = len(rows)
    problem = verify_chain(rows)
    if problem is not None:
        result.problems.append(f"custody log entry {problem.seq}: {problem.what}")
    sealed_hashes = {
        (e.report_id, e.details.get("sha256")) for e in log.entries() if e.event == "sealed"
    }
    store = RecordStore(vault.conn)
    ident = device_identity(vault)
    reports = [
        r
        for r in vault.conn.execute(
            "SELECT id, sealed_json, seal_sha256, seal_signature FROM reports "
            "WHERE status != 'draft' ORDER BY sealed_at, id"
        )
    ]
    total = len(reports)
    for i, (rid, sealed_json, seal_sha, signature) in enumerate(reports):
        result.sealed_reports += 1
        if sealed_json is None:  # purged after HQ acknowledged it: only the hash remains
            if (rid, seal_sha) not in sealed_hashes:
                result.problems.append(f"report {rid[:8]}: no custody log entry records this seal")
            continue
        data = bytes(sealed_json)
        short = rid[:8]
        if sha256_hex(data) != seal_sha:
            result.problems.append(f"report {short}: sealed content does not match its hash")
            continue
        if (rid, seal_sha) not in sealed_hashes:
            result.problems.append(f"report {short}: no custody log entry records this seal")
        try:
            verify_seal(ident.public_key, signature, data)
        except KpfieldError:
            result.problems.append(f"report {short}: the seal signature does not verify")
        doc = json.loads(data)
        recorded = {a["id"]: a["sha256"] for a in doc.get("attachments", [])}
        for att in store.attachments_for(rid):
            result.attachments += 1
            blob, _ = store.blob_refs(att.id)
            try:
                h = vault.blobs.sha256_of(blob.name, blob.key)
            except KpfieldError as exc:
                result.problems.append(f"report {short}: attachment {att.id[:8]}: {exc.message}")
                continue
            if h != att.sha256 or recorded.get(att.id) != h:
                result.problems.append(
                    f"report {short}: attachment {att.id[:8]} does not match its sealed hash"
                )
        if progress is not None:
            progress(i + 1, total)
    # Drafts' attachments are checked too: a damaged blob must be found before it is sealed.
    for aid, sha in vault.conn.execute(
        "SELECT a.id, a.sha256 FROM attachments a JOIN reports r ON r.id = a.report_id "
        "WHERE r.status = 'draft'"
    ).fetchall():
        result.attachments += 1
        blob, _ = store.blob_refs(aid)
        try:
            h = hashlib.sha256(vault.blobs.get(blob.name, blob.key)).hexdigest()
        except KpfieldError as exc:
            result.problems.append(f"draft attachment {aid[:8]}: {exc.message}")
            continue
        if h != sha:
            result.problems.append(f"draft attachment {aid[:8]} does not match its hash")
    return result
