"""Use cases on reports, witnesses and attachments, called by both the CLI and the GUI."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any

from kpfield.custody.log import CustodyLog
from kpfield.custody.seal import seal_signature
from kpfield.domain.document import (
    ReportFields,
    WitnessFields,
    completeness_problems,
    parse_report_document,
    report_doc,
    report_from_fields,
)
from kpfield.domain.identity import new_salt
from kpfield.domain.ids import (
    ReportId,
    WitnessId,
    new_attachment_id,
    new_report_id,
    new_witness_id,
)
from kpfield.domain.jobs import CancelCheck
from kpfield.domain.models import (
    Attachment,
    AttachmentKind,
    ConsentMethod,
    CustodyEntry,
    Report,
    ReportStatus,
    Witness,
)
from kpfield.domain.taxonomy import Taxonomy
from kpfield.errors import (
    N_,
    Cancelled,
    StateError,
    UsageError,
    ValidationError,
)
from kpfield.protocol.canonical import canonical_json, sha256_hex
from kpfield.services.attachments import AttachmentUseCases
from kpfield.services.clock import Clock, iso
from kpfield.vault.db import transaction
from kpfield.vault.records import BlobRef, RecordStore, ReportRow
from kpfield.vault.vault import Vault

__all__ = ["ReportRow", "ReportService", "ReportView", "SearchPage"]

log = logging.getLogger(__name__)

MAX_DRAFT_TEXT = 5_000_000  # a memory guard only; sealing applies the document's limits


@dataclass(frozen=True)
class ReportView:
    """Everything a screen needs to show one report."""

    report: Report
    witnesses: list[Witness]
    attachments: list[Attachment]


SEARCH_PAGE = 100
"""Results in one page of a search (the first page is what a monitor waits for)."""


@dataclass(frozen=True)
class SearchPage:
    """Some search results and the cursor of the next page (``None``: this was the last)."""

    rows: list[ReportRow]
    next: int | None


def with_salt(w: Witness) -> Witness:
    """The witness with an identity salt if it has identifying details (kept once made)."""
    if w.identifying is not None and not w.identity_salt:
        return replace(w, identity_salt=new_salt())
    return w


class ReportService(AttachmentUseCases):
    def __init__(self, vault: Vault, taxonomy: Taxonomy, clock: Clock) -> None:
        self.vault = vault
        self.taxonomy = taxonomy
        self.clock = clock
        self.store = RecordStore(vault.conn)
        self.custody = CustodyLog(vault.conn)

    def _now(self) -> str:
        return iso(self.clock.now())

    # ------------------------------------------------------------------ drafts
    def new_draft(self, fields: ReportFields | None = None) -> Report:
        f = fields or ReportFields()
        now = self._now()
        report = report_from_fields(
            f, id=new_report_id(), status=ReportStatus.DRAFT, created_at=now, updated_at=now
        )
        with transaction(self.vault.conn):
            self.store.insert_report(report)
            self.custody.append("created", report.id, now, {"version": 1})
        log.info("draft created")
        return report

    def create_from_document(self, raw: Any) -> ReportId:
        """Validate a ``kpfield.report/1`` document and store it, with its witnesses, as a draft."""
        doc = parse_report_document(raw, self.taxonomy.category_ids, self.taxonomy.perpetrator_ids)
        now = self._now()
        rid = new_report_id()
        f = doc.report
        with transaction(self.vault.conn):
            wids = [self._upsert_witness(w, now) for w in doc.witnesses]
            report = report_from_fields(
                f,
                id=rid,
                status=ReportStatus.DRAFT,
                witness_ids=tuple(wids),
                created_at=now,
                updated_at=now,
            )
            self.store.insert_report(report)
            self.custody.append("created", rid, now, {"version": 1})
        return rid

    def _upsert_witness(self, w: WitnessFields, now: str) -> WitnessId:
        """Create the witness a document describes, or update the existing one it names."""
        if w.id is not None:
            existing = self.store.get_witness(w.id)
            if not w.pseudonym:  # a bare reference: cite the witness as stored
                return existing.id
            wid, created = existing.id, existing.created_at
        else:
            wid, created = new_witness_id(), now
        salt = self.store.get_witness(wid).identity_salt if w.id is not None else ""
        self.store.save_witness(
            with_salt(
                Witness(
                    id=wid,
                    pseudonym=w.pseudonym,
                    age_group=w.age_group,
                    gender=w.gender,
                    role=w.role,
                    identifying=w.identifying,
                    consent=w.consent,
                    risk_notes=w.risk_notes,
                    created_at=created,
                    updated_at=now,
                    identity_salt=salt,
                    send_identity=w.send_identity,
                )
            )
        )
        return wid

    def save_draft(self, report: Report) -> Report:
        """Save a draft's editable fields atomically. Saving the same draft twice is harmless.

        A draft is stored as typed, even half-finished (a one-letter country, a date a wrong clock
        calls future): refusing a save would lose words. The document rules are enforced at seal.
        """
        for name in ("title", "narrative", "monitor_notes", "private_notes"):
            value = getattr(report, name)
            if "\x00" in value:
                report = replace(report, **{name: value.replace("\x00", "")})
            if len(value) > MAX_DRAFT_TEXT:
                raise ValidationError(
                    N_("The {field} is too long to save ({count} characters)."),
                    field=name,
                    count=len(value),
                )
        saved = replace(report, updated_at=self._now())
        with transaction(self.vault.conn):
            self.store.update_draft(saved)
        return saved

    def delete_draft(self, rid: ReportId) -> Report:
        """Delete a draft and its attachments; the custody log records that it existed."""
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Sealed reports cannot be deleted."))
        with transaction(self.vault.conn):
            refs = [self.store.delete_attachment(a.id) for a in self.store.attachments_for(rid)]
            self.store.unindex_report(rid)
            self.store.delete_draft(rid)
            # Ids and counts only: the log outlives the draft and must not keep its content.
            self.custody.append(
                "deleted",
                report.id,
                self._now(),
                {"version": report.version, "amends": report.amends, "attachments": len(refs)},
            )
        for blob, thumb in refs:
            self.vault.blobs.delete(blob.name)
            if thumb:
                self.vault.blobs.delete(thumb.name)
        self.store.optimize_search()
        return report

    # ------------------------------------------------------------------ reading
    def resolve(self, rid: str) -> ReportId:
        return self.store.resolve_report_id(rid)

    def get(self, rid: str) -> Report:
        return self.store.get_report(rid)

    def view(self, rid: str) -> ReportView:
        report = self.store.get_report(rid)
        return ReportView(
            report,
            self.store.get_witnesses(report.witness_ids),
            self.store.attachments_for(rid),
        )

    def document(self, rid: str) -> dict[str, Any]:
        """The report as a ``kpfield.report/1`` document (sealed: exactly what was signed)."""
        report = self.store.get_report(rid)
        if not report.is_draft:
            sealed, _, _ = self.store.sealed_record(report.id)
            doc: dict[str, Any] = json.loads(sealed)
            doc["status"] = report.status.value
            return doc
        v = self.view(rid)
        doc = report_doc(v.report, v.witnesses, v.attachments)
        # Shown on this laptop only (and read back by ``report new``); never sealed or sent.
        doc["private_notes"] = v.report.private_notes
        return doc

    def list_reports(
        self, *, status: ReportStatus | None = None, category: str | None = None
    ) -> list[ReportRow]:
        return self.store.list_reports(status=status, category=category)

    def search(self, query: str) -> list[ReportRow]:
        ids = self.store.search(query)
        if not ids:
            return []
        rows = {r.id: r for r in self.store.list_reports(ids=list(ids))}
        return [rows[i] for i in ids if i in rows]

    def search_page(
        self, query: str, *, limit: int = SEARCH_PAGE, after: int | None = None
    ) -> SearchPage:
        """One page of search results, newest first; pass ``page.next`` for the following one."""
        ids, cursor = self.store.search_page(query, limit, after)
        if not ids:
            return SearchPage([], None)
        rows = {r.id: r for r in self.store.list_reports(ids=list(ids))}
        return SearchPage([rows[i] for i in ids if i in rows], cursor)

    def custody_trail(self, rid: str) -> list[CustodyEntry]:
        return self.custody.entries(report_id=rid)

    def counts(self) -> dict[ReportStatus, int]:
        return self.store.count_by_status()

    def last_delivery_at(self) -> str | None:
        """When a bundle last left this laptop (USB export or sync), from the custody log."""
        row = self.vault.conn.execute(
            "SELECT max(at) FROM custody_log WHERE event IN ('exported', 'sent')"
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    # ------------------------------------------------------------------ witnesses
    def list_witnesses(self) -> list[Witness]:
        return self.store.list_witnesses()

    def save_witness(self, witness: Witness) -> Witness:
        """Create or update a witness (a blank id creates one)."""
        if not witness.pseudonym.strip():
            raise ValidationError(
                N_("The witness needs a pseudonym."), [("pseudonym", "is required")]
            )
        now = self._now()
        salt = witness.identity_salt
        if witness.id and not salt:
            salt = self.store.get_witness(witness.id).identity_salt
        w = with_salt(
            replace(
                witness,
                id=witness.id or new_witness_id(),
                created_at=witness.created_at or now,
                updated_at=now,
                identity_salt=salt,
            )
        )
        with transaction(self.vault.conn):
            self.store.save_witness(w)
            for rid in self.store.reports_citing(w.id):
                report = self.store.get_report(rid)
                if report.is_draft:
                    self.store.index_report(report)
        return w

    def set_consent_recording(self, wid: str, aid: str | None) -> Witness:
        """Name the audio attachment holding a witness's spoken consent (None: name none)."""
        w = self.store.get_witness(wid)
        c = w.consent
        if c is None or c.method is not ConsentMethod.VERBAL_RECORDED:
            raise UsageError(
                N_("Only a consent given aloud and audio recorded can name its recording.")
            )
        sha = ""
        if aid is not None:
            att = self.store.get_attachment(aid)
            if att.kind is not AttachmentKind.AUDIO:
                raise UsageError(N_("This attachment is not a recording."))
            if w.id not in self.store.get_report(att.report_id).witness_ids:
                raise UsageError(
                    N_("The report this recording belongs to does not cite the witness.")
                )
            sha = att.sha256
        return self.save_witness(replace(w, consent=replace(c, recording_sha256=sha)))

    def set_witnesses(self, rid: ReportId, wids: list[WitnessId]) -> Report:
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Only drafts can be changed; this report is sealed."))
        for w in wids:
            self.store.get_witness(w)
        return self.save_draft(replace(report, witness_ids=tuple(dict.fromkeys(wids))))

    # ------------------------------------------------------------------ seal & amend
    def missing_for_seal(self, rid: str) -> list[tuple[str, str]]:
        """Everything that stops this draft from being sealed (empty: ready)."""
        v = self.view(rid)
        return self._seal_problems(v)

    def _seal_problems(self, v: ReportView) -> list[tuple[str, str]]:
        doc = report_doc(v.report, v.witnesses, [])
        doc.pop("attachments")
        for w in doc["witnesses"]:
            if w.get("consent") is None:
                w.pop("consent")
        try:
            parse_report_document(doc, self.taxonomy.category_ids, self.taxonomy.perpetrator_ids)
            rule_problems: list[tuple[str, str]] = []
        except ValidationError as exc:
            rule_problems = exc.problems
        missing = completeness_problems(v.report, v.witnesses)
        seen = {f for f, _ in missing}
        return missing + [p for p in rule_problems if p[0] not in seen]

    def seal(self, rid: str, *, cancel: CancelCheck | None = None) -> Report:
        """Check completeness, sign the canonical JSON, make immutable, append to custody log."""
        v = self.view(rid)
        if not v.report.is_draft:
            raise StateError(N_("This report is already sealed."))
        problems = self._seal_problems(v)
        if problems:
            raise ValidationError(N_("The report cannot be sealed yet. Missing:"), problems)
        # Verify before use: every attachment still matches the hash recorded at import.
        for att in v.attachments:
            if cancel is not None and cancel():
                raise Cancelled(N_("Cancelled."))
            blob, _ = self.store.blob_refs(att.id)
            if self.vault.blobs.sha256_of(blob.name, blob.key) != att.sha256:
                from kpfield.errors import IntegrityError

                raise IntegrityError(
                    N_(
                        "A photo of this report no longer matches its fingerprint; "
                        "it was not sealed."
                    )
                )
        now = self._now()
        sealed = replace(v.report, status=ReportStatus.SEALED, sealed_at=now, updated_at=now)
        # Witnesses stored before salts existed get theirs now: the seal commits to a salted hash.
        witnesses = [with_salt(w) for w in v.witnesses]
        doc = report_doc(sealed, witnesses, v.attachments, sealed=True)
        doc["device"] = self.device_info()
        data = canonical_json(doc)
        digest = sha256_hex(data)
        signature = seal_signature(self.vault, data, report_id=sealed.id, version=sealed.version)
        with transaction(self.vault.conn):
            for before, after in zip(v.witnesses, witnesses, strict=True):
                if after.identity_salt != before.identity_salt:
                    self.store.save_witness(after)
            self.store.set_sealed(sealed.id, now, data, digest, signature)
            self.custody.append(
                "sealed", sealed.id, now, {"version": sealed.version, "sha256": digest}
            )
        log.info("report sealed")
        return self.get(sealed.id)

    def device_info(self) -> dict[str, str]:
        from kpfield.custody.seal import device_identity

        ident = device_identity(self.vault)
        return {"id": ident.device_id, "public_key": ident.public_key_b64}

    def amend(self, rid: str) -> Report:
        """Start a new draft version linked to a sealed report; photos are carried over."""
        v = self.view(rid)
        if v.report.is_draft:
            raise StateError(N_("Drafts can be edited directly; only sealed reports are amended."))
        now = self._now()
        new = replace(
            v.report,
            id=new_report_id(),
            status=ReportStatus.DRAFT,
            version=v.report.version + 1,
            amends=v.report.id,
            created_at=now,
            updated_at=now,
            sealed_at=None,
        )
        copies: list[tuple[Attachment, BlobRef, BlobRef | None]] = []
        for att in v.attachments:
            blob, thumb = self.store.blob_refs(att.id)
            new_blob = BlobRef(self.vault.blobs.copy(blob.name), blob.key)
            new_thumb = BlobRef(self.vault.blobs.copy(thumb.name), thumb.key) if thumb else None
            copies.append(
                (replace(att, id=new_attachment_id(), report_id=new.id), new_blob, new_thumb)
            )
        with transaction(self.vault.conn):
            self.store.insert_report(new)
            for pos, (att, blob, thumb) in enumerate(copies):
                self.store.insert_attachment(att, blob, thumb, pos)
            self.custody.append(
                "amended", new.id, now, {"version": new.version, "amends": v.report.id}
            )
        return new
