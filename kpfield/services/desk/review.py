"""What an analyst does to a case: review state, links, notes, a witness's identity revealed.

Each action is written to the hash-chained audit log in the same transaction; exports and
consent overrides made by other services are logged through :meth:`CaseReview.log_action`.
"""

from __future__ import annotations

from typing import Any

from kpfield.domain.desk import REASON_REQUIRED, ReviewState
from kpfield.domain.jobs import Changes
from kpfield.errors import N_, NotFound, UsageError
from kpfield.hq import audit, cases
from kpfield.services.desk.base import CaseBase
from kpfield.services.desk.reading import held_identity
from kpfield.services.desk.views import AuditEntry, audit_entry
from kpfield.vault.db import transaction


class CaseReview(CaseBase):
    """Review, link, annotate and reveal; and the audit log all of it is written to."""

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
            ident = held_identity(self._vault, w)
            if ident is None or not cases.consent_scope(w)["coalition_use"]:
                return {}
            with transaction(self._vault.conn):
                audit.append(
                    self._vault.conn, "identity_reveal", self._now(), report_id,
                    {"witness": witness_id},
                )  # fmt: skip
            return {str(k): str(v) for k, v in ident.items() if isinstance(v, str) and v}
        raise NotFound(N_("No witness has the id {id}."), id=witness_id)

    # ------------------------------------------------------------------ audit
    def log_action(
        self, action: str, details: dict[str, Any], report_id: str | None = None
    ) -> AuditEntry:
        """Record an analyst action made elsewhere (an export, a consent override)."""
        with transaction(self._vault.conn):
            rec = audit.append(self._vault.conn, action, self._now(), report_id, details)
        return audit_entry(rec)

    def audit_log(self, report_id: str | None = None) -> list[AuditEntry]:
        """The audit log, oldest first (of one report, or all)."""
        return [audit_entry(r) for r in self._store.audit(report_id)]

    def verify_audit(self) -> list[audit.AuditProblem]:
        return audit.verify_audit(self._vault.conn)
