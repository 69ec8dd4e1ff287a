"""One case in full: the sealed report parsed, its checks, custody, amendments and photos.

Witness identities are never in a :class:`CaseView`; :func:`held_identity` finds them for the
logged reveal (:meth:`CaseReview.reveal`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from kpfield.custody.seal import verify_seal
from kpfield.errors import N_, CryptoError, NotFound
from kpfield.hq import cases
from kpfield.services.case_documents import DocumentText, read_text
from kpfield.services.desk.base import CaseBase
from kpfield.services.desk.views import (
    AttachmentView,
    CaseView,
    Check,
    CustodyStep,
    FieldChange,
    WitnessView,
)
from kpfield.vault.hq_store import HqStore
from kpfield.vault.hq_witness_store import HqWitnessStore
from kpfield.vault.vault import Vault

_COMPARED = (
    ("title", ("title",)),
    ("narrative", ("narrative",)),
    ("monitor_notes", ("monitor_notes",)),
    ("incident_date", ("incident", "date")),
    ("categories", ("incident", "categories")),
    ("perpetrators", ("incident", "perpetrators")),
    ("people_affected", ("incident", "people_affected")),
    ("place", ("place",)),
    ("witnesses", ("witnesses",)),
    ("attachments", ("attachments",)),
)


def _at(doc: dict[str, Any], path: Sequence[str]) -> Any:
    cur: Any = doc
    for p in path:
        cur = cur.get(p) if isinstance(cur, dict) else None
    return cur


def _shown(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def _without_identities(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["witnesses"] = [
        {k: v for k, v in w.items() if k != "identifying"} for w in cases.witnesses(doc)
    ]
    return out


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of a report (identities left out)."""
    old, new = _without_identities(old), _without_identities(new)
    return tuple(
        FieldChange(name, _shown(_at(old, path)), _shown(_at(new, path)))
        for name, path in _COMPARED
        if _at(old, path) != _at(new, path)
    )


def held_identity(vault: Vault, witness: dict[str, Any]) -> dict[str, Any] | None:
    """Identifying details HQ holds for a witness: inside a format-1 sealed report, or
    (format 2) received as a separate member and kept apart from the seal."""
    inline = witness.get("identifying")
    if isinstance(inline, dict) and inline:
        return inline
    stored = HqWitnessStore(vault.conn).identity(str(witness.get("id", "")))
    if stored is None or not isinstance(stored.identifying, dict):
        return None
    return stored.identifying


class CaseReading(CaseBase):
    """Read one case: the report as sealed, what HQ checked and recorded, what changed."""

    # ------------------------------------------------------------------ one case
    def report(self, report_id: str) -> CaseView:
        """One case in full (identities of witnesses are never in it)."""
        store = self._store
        sealed = store.sealed(report_id)
        records = store.case_records([report_id])
        if sealed is None or not records:
            raise NotFound(N_("No imported report has the id {id}."), id=report_id)
        rec = records[0]
        device_id, version, data, signature, sha256, manifest_sha, imported_at = sealed
        doc = cases.parse_sealed(data)
        devices = {d.device_id: d for d in HqStore(self._vault.conn).devices()}
        dev = devices.get(device_id)
        checks_ = self._checks(dev.public_key if dev else None, signature, data, sha256, doc)
        custody = self._custody(device_id, report_id, manifest_sha, imported_at)
        changes: tuple[FieldChange, ...] = ()
        amends = rec.amends
        if amends:
            prev = store.sealed(amends)
            if prev is not None:
                changes = diff(cases.parse_sealed(prev[2]), doc)
        blobs = HqStore(self._vault.conn)
        atts = tuple(
            AttachmentView(
                str(a.get("id", "")),
                str(a.get("kind", "")),
                str(a.get("mime", "")),
                str(a.get("original_name", "")),
                int(a.get("size") or 0),
                str(a.get("sha256", "")),
                dict(a.get("capture_claims") or {}),
                cases.photo_flags(doc, dict(a.get("capture_claims") or {})),
                blobs.attachment_blob(str(a.get("id", ""))) is not None,
                str(a.get("caption") or ""),
            )
            for a in cases.attachments(doc)
        )
        witnesses = tuple(
            WitnessView(
                str(w.get("id", "")),
                str(w.get("pseudonym", "")),
                str(w.get("age_group", "")),
                str(w.get("gender", "")),
                str(w.get("role", "")),
                cases.consent_scope(w),
                held_identity(self._vault, w) is not None,
                cases.consent_method(w),
                cases.consent_recording(w),
                identity_apart=HqWitnessStore(self._vault.conn).identity_device(
                    str(w.get("id", ""))
                )
                is not None,
            )
            for w in cases.witnesses(doc)
        )
        when, precision = cases.incident_date(doc)
        return CaseView(
            report_id=report_id,
            case_no=rec.case_no,
            device_id=device_id,
            device_name=dev.name if dev else "",
            device_fingerprint=dev.fingerprint if dev else "",
            version=version,
            sha256=sha256,
            document=_without_identities(doc),
            title=rec.title,
            narrative=str(doc.get("narrative", "")),
            monitor_notes=str(doc.get("monitor_notes", "")),
            incident_date=when,
            date_precision=precision,
            place=dict(doc.get("place") or {}),
            categories=rec.categories,
            perpetrators=rec.perpetrators,
            people_affected=rec.people_affected,
            witnesses=witnesses,
            attachments=atts,
            checks=checks_,
            verification=rec.verification,
            custody=custody,
            amends=amends,
            amended_by=tuple(store.amended_by(report_id)),
            changes=changes,
            review_state=rec.review_state,
            review_reason=rec.review_reason,
            links=tuple(store.links(report_id)),
            notes=tuple(store.notes(report_id)),
            imported_at=imported_at,
            consent=cases.allowed_uses(doc),
        )

    def _checks(
        self,
        public_key: bytes | None,
        signature: str,
        data: bytes,
        sha256: str,
        doc: dict[str, Any],
    ) -> tuple[Check, ...]:
        sig_ok = False
        if public_key is not None:
            try:
                verify_seal(public_key, signature, data)
                sig_ok = True
            except CryptoError:
                sig_ok = False
        hash_ok = hashlib.sha256(data).hexdigest() == sha256
        flags = sorted(
            {
                f
                for a in cases.attachments(doc)
                for f in cases.photo_flags(doc, dict(a.get("capture_claims") or {}))
            }
        )
        return (
            Check("signature", sig_ok, N_("The seal verifies with the device's enrolled key.")),
            Check("hash", hash_ok, N_("The report matches the SHA-256 in its bundle's manifest.")),
            Check("custody", True, N_("The seal is recorded in the device's custody chain.")),
            Check("photos", not flags, ",".join(flags)),
        )

    def _custody(
        self, device_id: str, report_id: str, manifest_sha: str, imported_at: str
    ) -> tuple[CustodyStep, ...]:
        steps: list[CustodyStep] = []
        for raw in self._store.custody_for(device_id, report_id):
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            detail = entry.get("details")
            steps.append(
                CustodyStep(str(entry.get("at", "")), str(entry.get("event", "")), _shown(detail))
            )
        bundle = self._store.bundle_info(manifest_sha)
        if bundle is not None:
            steps.append(
                CustodyStep(bundle[1], "imported", json.dumps({"bundle_sequence": bundle[0]}))
            )
        else:
            steps.append(CustodyStep(imported_at, "imported", ""))
        return tuple(steps)

    def original(self, attachment_id: str) -> bytes:
        """An imported photo's original bytes, decrypted into memory (never to disk)."""
        from kpfield.hq.intake import original_bytes

        return b"".join(original_bytes(self._vault, attachment_id))

    def text_of(
        self, report_id: str, attachment_id: str, limit: int | None = None
    ) -> DocumentText:
        """A plain-text document of the case, in memory, cut at a size cap (not logged: like
        the photos, it is the sealed report's own content)."""
        return read_text(self._vault, report_id, attachment_id, limit)
