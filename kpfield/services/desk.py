"""The HQ desk's cases (Qt-free): filter, page, read, review, link, annotate, audit.

``CaseService.ids(filter, sort)`` runs one SQL query and returns report ids; ``rows(ids)`` reads one
page of them; ``report(id)`` reads one case in full. Every analyst action (review state, link,
note, identity reveal, and exports or overrides logged by their services through
:meth:`CaseService.log_action`) is written to the hash-chained audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from kpfield.custody.seal import verify_seal
from kpfield.domain.desk import (
    ALL_CASES,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    REASON_REQUIRED,
    CaseFilter,
    CaseSort,
    ConsentUse,
    CountBy,
    ReviewState,
    VerificationState,
)
from kpfield.domain.jobs import Changes
from kpfield.errors import N_, CryptoError, NotFound, UsageError
from kpfield.hq import audit, cases
from kpfield.services.case_documents import DocumentText, read_text
from kpfield.services.clock import Clock, iso
from kpfield.vault.db import transaction
from kpfield.vault.desk_store import AuditRecord, CaseRecord, DeskStore
from kpfield.vault.hq_store import HqStore
from kpfield.vault.hq_witness_store import HqWitnessStore
from kpfield.vault.vault import Vault

__all__ = [
    "ALL_CASES",
    "AttachmentView",
    "AuditEntry",
    "CaseFilter",
    "CaseRow",
    "CaseService",
    "CaseSort",
    "CaseView",
    "Check",
    "ConsentUse",
    "CountBy",
    "CustodyStep",
    "FieldChange",
    "ReviewState",
    "VerificationState",
    "WitnessView",
]

log = logging.getLogger(__name__)

CASE_CHANGES = Changes(cases=True)


@dataclass(frozen=True)
class CaseRow:
    """One line of the cases list."""

    report_id: str
    case_no: int
    title: str
    incident_date: str
    country: str
    area: str
    site: str
    device_id: str
    device_name: str
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    people_affected: int | None
    witnesses: int
    photos: int
    version: int
    amends: str | None
    verification: str
    review_state: str
    review_reason: str
    imported_at: str
    snippet: str = ""
    """Text around the search match, the matched words between HIGHLIGHT_START/END marks."""

    def snippet_html(self) -> str:
        """The snippet as HTML with matches in <b>, everything else escaped."""
        return escape(self.snippet).replace(HIGHLIGHT_START, "<b>").replace(HIGHLIGHT_END, "</b>")

    def snippet_text(self) -> str:
        """The snippet as plain text with matches in «»."""
        return self.snippet.replace(HIGHLIGHT_START, "«").replace(HIGHLIGHT_END, "»")


def _row(r: CaseRecord) -> CaseRow:
    return CaseRow(
        r.report_id, r.case_no, r.title, r.incident_date, r.country, r.area, r.site,
        r.device_id, r.device_name, r.categories, r.perpetrators, r.people_affected,
        r.witnesses, r.photos, r.version, r.amends, r.verification, r.review_state,
        r.review_reason, r.imported_at, r.snippet,
    )  # fmt: skip


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class WitnessView:
    """A witness as the desk shows it: never the identity (see :meth:`CaseService.reveal`)."""

    witness_id: str
    pseudonym: str
    age_group: str
    gender: str
    role: str
    consent: dict[str, bool]
    has_identity: bool
    """Identifying details travelled with the report (revealing them is logged)."""
    identity_apart: bool = False
    """HQ holds them apart from the seal (bundle format 2), so an analyst may delete them;
    otherwise they are inside the sealed report and stay there."""


@dataclass(frozen=True)
class AttachmentView:
    attachment_id: str
    kind: str
    mime: str
    original_name: str
    size: int
    sha256: str
    claims: dict[str, Any]
    flags: tuple[str, ...]
    """"time" / "gps" where the capture claims disagree with the report's date or place."""
    stored: bool
    caption: str = ""
    """The monitor's caption, sealed with the report (empty in reports sealed before captions)."""


@dataclass(frozen=True)
class CustodyStep:
    at: str
    event: str
    detail: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class CaseView:
    """One case in full: the parsed sealed report and what HQ knows about it."""

    report_id: str
    case_no: int
    device_id: str
    device_name: str
    device_fingerprint: str
    version: int
    sha256: str
    document: dict[str, Any]
    """The sealed report as signed (witness identities removed; see ``reveal``)."""
    title: str
    narrative: str
    monitor_notes: str
    incident_date: str
    date_precision: str
    place: dict[str, Any]
    categories: tuple[str, ...]
    perpetrators: tuple[str, ...]
    people_affected: int | None
    witnesses: tuple[WitnessView, ...]
    attachments: tuple[AttachmentView, ...]
    checks: tuple[Check, ...]
    verification: str
    custody: tuple[CustodyStep, ...]
    amends: str | None
    amended_by: tuple[str, ...]
    changes: tuple[FieldChange, ...]
    """What changed from the version this one amends (empty for a first version)."""
    review_state: str
    review_reason: str
    links: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]
    imported_at: str
    consent: tuple[str, ...] = field(default=())
    """The uses every witness allows."""


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    action: str
    report_id: str | None
    details: dict[str, Any]
    entry_hash: str


def _audit_entry(r: AuditRecord) -> AuditEntry:
    return AuditEntry(r.seq, r.at, r.action, r.report_id, audit.details(r), r.entry_hash)


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


class CaseService:
    """Every imported report as a case: filter, page, read, review, link, annotate."""

    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    @property
    def _store(self) -> DeskStore:
        return DeskStore(self._vault.conn)

    def _now(self) -> str:
        return iso(self._clock.now())

    # ------------------------------------------------------------------ index
    def ensure_indexed(self) -> int:
        """Index imported reports the desk has not indexed yet (vaults older than the desk)."""
        done = 0
        while batch := self._store.unindexed_reports():
            with transaction(self._vault.conn):
                for rid, dev, version, sealed, imported_at in batch:
                    cases.index_report(self._store, rid, dev, version, sealed, imported_at)
            done += len(batch)
        if done:
            log.info("indexed %d imported reports", done)
        return done

    # ------------------------------------------------------------------ lists
    def ids(
        self,
        filter: CaseFilter = ALL_CASES,  # noqa: A002 - the word the desk uses
        sort: CaseSort = CaseSort.INCIDENT_DATE,
        *,
        descending: bool = True,
    ) -> list[str]:
        """Report ids matching ``filter``, in ``sort`` order (one SQL query)."""
        _check_filter(filter)
        return self._store.case_ids(filter, sort, descending)

    def rows(self, ids: Sequence[str], *, highlight: str = "") -> list[CaseRow]:
        """The rows of ``ids`` (one page), in that order; snippets of ``highlight`` if given."""
        return [_row(r) for r in self._store.case_records(ids, highlight)]

    def counts(
        self,
        filter: CaseFilter = ALL_CASES,  # noqa: A002
        by: CountBy = CountBy.CATEGORY,
    ) -> list[tuple[str, int]]:
        """(key, number of cases) for the cases matching ``filter``; months ascending, the
        others by count descending. A case with two categories counts once in each."""
        _check_filter(filter)
        return self._store.counts(filter, by)

    def ids_with_keys(
        self,
        filter: CaseFilter,  # noqa: A002
        by: CountBy,
        keys: Sequence[str],
    ) -> list[str]:
        """Ids of the cases matching ``filter`` that :meth:`counts` counts under ``keys``."""
        _check_filter(filter)
        return self._store.ids_with_keys(filter, by, keys)

    def resolve(self, prefix: str) -> str:
        """A report id from an unambiguous prefix (at least 4 characters)."""
        prefix = prefix.strip().lower()
        ok = len(prefix) >= 4 and all(ch in "0123456789abcdef-" for ch in prefix)
        ids = self._store.ids_with_prefix(prefix) if ok else []
        if len(ids) == 1:
            return ids[0]
        if ids:
            raise UsageError(N_("The id {id} matches more than one case."), id=prefix)
        raise NotFound(N_("No imported report has the id {id}."), id=prefix)

    def total(self) -> int:
        return self._store.count_all()

    def choices(self, what: str) -> list[str]:
        """Values present for a filter field: "country", "site" or "device"."""
        return self._store.distinct(what)

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
                self._identity_of(w) is not None,
                HqWitnessStore(self._vault.conn).identity_device(str(w.get("id", ""))) is not None,
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

    # ------------------------------------------------------------------ review
    def review(self, report_id: str, state: ReviewState | str, reason: str = "") -> Changes:
        """Set a case's review state (duplicate and rejected need a reason); logged."""
        try:
            st = ReviewState(state)
        except ValueError:
            raise UsageError(
                N_("Unknown review state {state}; use one of: {states}."),
                state=str(state),
                states=", ".join(s.value for s in ReviewState),
            ) from None
        reason = reason.strip()
        if st in REASON_REQUIRED and not reason:
            raise UsageError(N_("Say why: a case marked {state} needs a reason."), state=st.value)
        with transaction(self._vault.conn):
            before = self._store.case_records([report_id])
            if not before:
                raise NotFound(N_("No imported report has the id {id}."), id=report_id)
            self._store.set_review(report_id, st.value, reason)
            audit.append(
                self._vault.conn, "review", self._now(), report_id,
                {"from": before[0].review_state, "to": st.value, "reason": reason},
            )  # fmt: skip
        return Changes(reports=frozenset({report_id}), cases=True)

    def link(self, a: str, b: str) -> Changes:
        """Link two reports that describe the same incident; logged."""
        if a == b:
            raise UsageError(N_("A report cannot be linked to itself."))
        with transaction(self._vault.conn):
            for rid in (a, b):
                if self._store.sealed(rid) is None:
                    raise NotFound(N_("No imported report has the id {id}."), id=rid)
            if self._store.add_link(a, b, self._now()):
                audit.append(self._vault.conn, "link", self._now(), a, {"with": b})
        return Changes(reports=frozenset({a, b}), cases=True)

    def unlink(self, a: str, b: str) -> Changes:
        with transaction(self._vault.conn):
            if self._store.remove_link(a, b):
                audit.append(self._vault.conn, "unlink", self._now(), a, {"with": b})
        return Changes(reports=frozenset({a, b}), cases=True)

    def add_note(self, report_id: str, text: str) -> Changes:
        """Add an analyst note (notes are append-only); logged."""
        text = text.strip()
        if not text:
            raise UsageError(N_("The note is empty."))
        with transaction(self._vault.conn):
            if self._store.sealed(report_id) is None:
                raise NotFound(N_("No imported report has the id {id}."), id=report_id)
            self._store.add_note(report_id, self._now(), text)
            audit.append(self._vault.conn, "note", self._now(), report_id, {"chars": len(text)})
        return Changes(reports=frozenset({report_id}), cases=True)

    def reveal(self, report_id: str, witness_id: str) -> dict[str, str]:
        """A witness's identifying details, when they travelled and consent to coalition use was
        given; the reveal is logged. Empty when there is nothing the analyst may see."""
        sealed = self._store.sealed(report_id)
        if sealed is None:
            raise NotFound(N_("No imported report has the id {id}."), id=report_id)
        for w in cases.witnesses(cases.parse_sealed(sealed[2])):
            if str(w.get("id", "")) != witness_id:
                continue
            ident = self._identity_of(w)
            if ident is None or not cases.consent_scope(w)["coalition_use"]:
                return {}
            with transaction(self._vault.conn):
                audit.append(
                    self._vault.conn, "identity_reveal", self._now(), report_id,
                    {"witness": witness_id},
                )  # fmt: skip
            return {str(k): str(v) for k, v in ident.items() if isinstance(v, str) and v}
        raise NotFound(N_("No witness has the id {id}."), id=witness_id)

    def _identity_of(self, witness: dict[str, Any]) -> dict[str, Any] | None:
        """Identifying details HQ holds for a witness: inside a format-1 sealed report, or
        (format 2) received as a separate member and kept apart from the seal."""
        inline = witness.get("identifying")
        if isinstance(inline, dict) and inline:
            return inline
        stored = HqWitnessStore(self._vault.conn).identity(str(witness.get("id", "")))
        if stored is None or not isinstance(stored.identifying, dict):
            return None
        return stored.identifying

    def log_action(
        self, action: str, details: dict[str, Any], report_id: str | None = None
    ) -> AuditEntry:
        """Record an analyst action made elsewhere (an export, a consent override)."""
        with transaction(self._vault.conn):
            rec = audit.append(self._vault.conn, action, self._now(), report_id, details)
        return _audit_entry(rec)

    def audit_log(self, report_id: str | None = None) -> list[AuditEntry]:
        """The audit log, oldest first (of one report, or all)."""
        return [_audit_entry(r) for r in self._store.audit(report_id)]

    def verify_audit(self) -> list[audit.AuditProblem]:
        return audit.verify_audit(self._vault.conn)


def _check_filter(f: CaseFilter) -> None:
    if f.review and f.review not in {s.value for s in ReviewState}:
        raise UsageError(N_("Unknown review state {state}."), state=f.review)
    if f.verification and f.verification not in {s.value for s in VerificationState}:
        raise UsageError(N_("Unknown verification state {state}."), state=f.verification)
    if f.consent and f.consent not in {s.value for s in ConsentUse}:
        raise UsageError(N_("Unknown consent scope {scope}."), scope=f.consent)
