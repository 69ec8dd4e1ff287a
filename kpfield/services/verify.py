"""``kpfield verify``: the custody chain, every seal signature and every blob the vault holds.

The custody log is the reference: every ``sealed`` entry must still have its report, with the
same hash, the same content shown to the monitor, and the same attachments; every report that is
not a draft must have its ``sealed`` entry; a purged report must have its ``purged`` entry.

Every blob is decrypted (each chunk authenticated): originals must also match the SHA-256 recorded
at import. A damaged original is a failure. A damaged derivative (a thumbnail) whose original is
sound is *repairable*: :mod:`kpfield.services.repair` makes it again from the original.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kpfield.custody.log import CustodyLog, verify_chain
from kpfield.custody.seal import device_identity, verify_seal
from kpfield.domain.document import parse_report_document
from kpfield.errors import KpfieldError
from kpfield.protocol.canonical import sha256_hex
from kpfield.vault.blobs import BlobStore
from kpfield.vault.hq_store import HqStore
from kpfield.vault.outbox_store import OutboxStore
from kpfield.vault.records import BlobRef, RecordStore
from kpfield.vault.vault import Vault

# The fields a monitor sees in the editor; for sealed reports they must equal the signed ones.
_SHOWN_FIELDS = ("title", "incident", "place", "narrative", "monitor_notes", "language")


@dataclass(frozen=True)
class DamagedDerivative:
    """A thumbnail that no longer decrypts, of an attachment whose original verified."""

    attachment_id: str
    label: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label}: thumbnail {self.reason}"


@dataclass
class VerifyResult:
    custody_entries: int = 0
    sealed_reports: int = 0
    attachments: int = 0
    thumbnails: int = 0
    imported_attachments: int = 0
    imported_bundles: int = 0
    imported_reports: int = 0
    problems: list[str] = field(default_factory=list)
    repairable: list[DamagedDerivative] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything verified: nothing broken and nothing waiting for a repair."""
        return not self.problems and not self.repairable


def verify_vault(vault: Vault, progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    result = VerifyResult()
    problems = result.problems
    log = CustodyLog(vault.conn)
    rows = log.raw_entries()
    result.custody_entries = len(rows)
    problem = verify_chain(rows)
    if problem is not None:
        problems.append(f"custody log entry {problem.seq}: {problem.what}")
    entries = log.entries()
    sealed_entries = {
        (e.report_id, e.details.get("sha256")): e.seq for e in entries if e.event == "sealed"
    }
    purged_entries = {
        (e.report_id, e.details.get("sha256")) for e in entries if e.event == "purged"
    }
    store = RecordStore(vault.conn)
    ident = device_identity(vault)
    reports = vault.conn.execute(
        "SELECT id, status, doc, sealed_json, seal_sha256, seal_signature, purged_at FROM reports "
        "WHERE status != 'draft' ORDER BY sealed_at, id"
    ).fetchall()
    present = {(r[0], r[4]) for r in reports}
    for (rid, sha), seq in sorted(sealed_entries.items(), key=lambda kv: kv[1]):
        if (rid, sha) not in present:
            problems.append(
                f"custody log entry {seq}: sealed report {str(rid)[:8]} is missing or was changed"
            )
    total = len(reports)
    for i, (rid, _status, doc_text, sealed_json, seal_sha, signature, purged_at) in enumerate(
        reports
    ):
        result.sealed_reports += 1
        short = rid[:8]
        if (rid, seal_sha) not in sealed_entries:
            problems.append(f"report {short}: no custody log entry records this seal")
        if sealed_json is None:
            if purged_at is None or (rid, seal_sha) not in purged_entries:
                problems.append(f"report {short}: sealed content is gone without a recorded purge")
            continue
        data = bytes(sealed_json)
        if sha256_hex(data) != seal_sha:
            problems.append(f"report {short}: sealed content does not match its hash")
            continue
        try:
            verify_seal(ident.public_key, signature, data)
        except KpfieldError:
            problems.append(f"report {short}: the seal signature does not verify")
        sealed = json.loads(data)
        if sealed.get("id") != rid:
            problems.append(f"report {short}: the sealed content belongs to another report")
        if _shown(json.loads(doc_text)) != _shown(sealed):
            problems.append(f"report {short}: what is shown differs from what was sealed")
        _check_attachments(vault, store, rid, sealed, result)
        if progress is not None:
            progress(i + 1, total)
    _check_anchors(vault, {seq: h for seq, _text, _prev, h in rows}, problems)
    # Drafts' attachments are checked too: a damaged blob must be found before it is sealed.
    for (aid,) in vault.conn.execute(
        "SELECT a.id FROM attachments a JOIN reports r ON r.id = a.report_id "
        "WHERE r.status = 'draft'"
    ).fetchall():
        result.attachments += 1
        _check_blob(
            vault,
            store,
            aid,
            expected=store.get_attachment(aid).sha256,
            label=f"draft attachment {aid[:8]}",
            result=result,
        )
    _check_imported(vault, result)
    _check_audit(vault, result)
    return result


def _shown(doc: dict[str, Any]) -> dict[str, Any]:
    """The monitor-visible fields, normalised through the document parser."""
    picked = {k: doc.get(k) for k in _SHOWN_FIELDS}
    picked["schema"] = "kpfield.report/1"
    f = parse_report_document(picked, lenient=True).report
    return {
        "title": f.title,
        "date": f.incident_date,
        "place": f.place,
        "categories": f.categories,
        "perpetrators": f.perpetrators,
        "people": f.people_affected,
        "narrative": f.narrative,
        "notes": f.monitor_notes,
        "language": f.language,
    }


def _check_attachments(
    vault: Vault, store: RecordStore, rid: str, sealed: dict[str, Any], result: VerifyResult
) -> None:
    short = rid[:8]
    recorded = {a["id"]: a["sha256"] for a in sealed.get("attachments", [])}
    stored = {a.id: a.sha256 for a in store.attachments_for(rid)}
    for aid in sorted(set(recorded) - set(stored)):
        result.problems.append(f"report {short}: sealed attachment {aid[:8]} is missing")
    for aid in sorted(set(stored) - set(recorded)):
        result.problems.append(f"report {short}: attachment {aid[:8]} was not sealed with it")
    for aid in sorted(set(stored) & set(recorded)):
        result.attachments += 1
        if stored[aid] != recorded[aid]:
            result.problems.append(f"report {short}: attachment {aid[:8]} hash was changed")
            continue
        _check_blob(
            vault,
            store,
            aid,
            expected=recorded[aid],
            label=f"report {short}: attachment {aid[:8]}",
            result=result,
        )


def _check_blob(
    vault: Vault, store: RecordStore, aid: str, *, expected: str, label: str, result: VerifyResult
) -> None:
    """The original against its recorded hash, then its thumbnail, if it has one."""
    blob, thumb = store.blob_refs(aid)
    original_ok = _check_original(vault.blobs, blob, expected, label, result.problems)
    if thumb is None:
        return
    result.thumbnails += 1
    reason = _unreadable(vault.blobs, thumb)
    if reason is None:
        return
    if original_ok:
        result.repairable.append(DamagedDerivative(aid, label, reason))
    else:
        result.problems.append(
            f"{label}: its thumbnail is damaged too ({reason}); it cannot be made again from a"
            " damaged original"
        )


def _check_original(
    blobs: BlobStore, blob: BlobRef, expected: str, label: str, problems: list[str]
) -> bool:
    try:
        actual = blobs.sha256_of(blob.name, blob.key)
    except KpfieldError as exc:
        problems.append(f"{label}: {exc.message}")
        return False
    except OSError as exc:  # e.g. the file was replaced by a folder or made unreadable
        problems.append(f"{label}: the stored file cannot be read ({exc.strerror})")
        return False
    if actual != expected:
        problems.append(f"{label} does not match its recorded hash")
        return False
    return True


def _unreadable(blobs: BlobStore, blob: BlobRef) -> str | None:
    """Why a blob does not decrypt and authenticate to its end, or ``None`` when it does."""
    try:
        for _chunk in blobs.iter_chunks(blob.name, blob.key):
            pass
    except KpfieldError as exc:
        return f"is damaged: {exc.message}"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    return None


def _check_imported(vault: Vault, result: VerifyResult) -> None:
    """HQ's imported originals: each must still decrypt to the hash its sealed report names."""
    if vault.role != "hq":
        return
    from kpfield.hq.verify_imported import verify_imported

    check = verify_imported(vault)
    result.imported_bundles = check.bundles
    result.imported_reports = check.reports
    result.custody_entries += check.custody_entries
    result.problems.extend(check.problems)
    rows = HqStore(vault.conn).attachments()
    if not rows:
        return  # do not create HQ's blob folder for nothing
    from kpfield.hq.intake import hq_blobs

    blobs = hq_blobs(vault)
    for a in rows:
        result.imported_attachments += 1
        label = f"imported report {a.report_id[:8]}: attachment {a.attachment_id[:8]}"
        _check_original(blobs, BlobRef(a.blob_name, a.blob_key), a.sha256, label, result.problems)


def _check_audit(vault: Vault, result: VerifyResult) -> None:
    """HQ's audit log of analyst actions: its hash chain must be unbroken."""
    if vault.role != "hq":
        return
    from kpfield.hq.audit import verify_audit

    for problem in verify_audit(vault.conn):
        result.problems.append(f"audit log entry {problem.seq}: {problem.what}")


def _check_anchors(vault: Vault, heads: dict[int, str], problems: list[str]) -> None:
    """Receipts HQ signed carry the custody head of the bundle they acknowledge: the local log
    must still hold that entry, so a log cut back (or rewritten) before it is caught."""
    from kpfield.crypto import minisign
    from kpfield.protocol.canonical import canonical_json
    from kpfield.services.profiles import FieldProfileService

    if vault.role != "field":
        return
    profile = FieldProfileService(vault).installed()
    for receipt_text, signature, sequence in OutboxStore(vault.conn).receipts():
        doc = json.loads(receipt_text)
        label = f"receipt for bundle {sequence}"
        if profile is None:
            problems.append(f"{label}: no coalition profile to check HQ's signature with")
            continue
        try:
            minisign.verify(profile.signing_key, signature, canonical_json(doc))
        except KpfieldError:
            problems.append(f"{label}: HQ's signature does not verify")
            continue
        head = doc.get("custody_head")
        if not isinstance(head, dict):
            continue  # receipts made before heads were countersigned
        seq, entry_hash = head.get("seq"), head.get("entry_hash")
        if isinstance(seq, int) and seq > 0 and heads.get(seq) != entry_hash:
            problems.append(
                f"custody log entry {seq}: HQ acknowledged it, but the log no longer holds it"
            )
