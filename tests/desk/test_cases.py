"""The desk's services on real bundles: inbox, devices, filters, search, counts, review, audit."""

from __future__ import annotations

import pytest

from kpfield.domain.desk import CaseFilter, CaseSort, CountBy, ReviewState
from kpfield.errors import UsageError
from kpfield.hq import cases
from kpfield.hq.checks import FAILED, NOT_REACHED, PASSED
from tests.desk.world import Desk


def test_inbox_lists_every_bundle_with_its_result(desk: Desk) -> None:
    entries = desk.s.inbox.entries()
    assert [e.status for e in entries].count("imported") == 3
    [bad] = [e for e in entries if e.status == "rejected"]
    assert "altered" in bad.reason() or "damaged" in bad.reason()
    assert bad.checks[0] == ("recipients", FAILED)
    assert all(state == NOT_REACHED for _, state in bad.checks[1:])
    good = [e for e in entries if e.status == "imported"]
    assert all(state == PASSED for e in good for _, state in e.checks)
    assert {e.device_name for e in good} == {"kono-laptop", "lunda-laptop"}


def test_devices_show_bundles_and_gaps(desk: Desk) -> None:
    by_name = {d.name: d for d in desk.s.inbox.devices()}
    assert by_name["lunda-laptop"].gaps == (2,)
    assert by_name["lunda-laptop"].bundles == 2
    assert by_name["kono-laptop"].gaps == ()
    assert by_name["kono-laptop"].bundles == 1
    assert by_name["kono-laptop"].last_seen


def test_filters_return_ids_from_sql(desk: Desk) -> None:
    c = desk.s.cases
    assert len(c.ids()) == 3
    assert len(c.ids(CaseFilter(country="AO"))) == 2
    assert len(c.ids(CaseFilter(category="torture"))) == 1
    assert len(c.ids(CaseFilter(perpetrator="police", country="SL"))) == 0
    assert len(c.ids(CaseFilter(consent="share_with_kp"))) == 1
    assert len(c.ids(CaseFilter(date_from="2026-09-01"))) == 1
    assert len(c.ids(CaseFilter(date_to="2026-08-31"))) == 2
    dev = next(d.device_id for d in desk.s.inbox.devices() if d.name == "lunda-laptop")
    assert len(c.ids(CaseFilter(device=dev))) == 2
    assert len(c.ids(CaseFilter(review="new"))) == 3
    asc = c.ids(sort=CaseSort.INCIDENT_DATE, descending=False)
    assert c.rows(asc[:1])[0].country == "AO"


def test_search_ignores_accents_and_highlights(desk: Desk) -> None:
    c = desk.s.cases
    ids = c.ids(CaseFilter(text="violacao"), CaseSort.RELEVANCE)
    assert len(ids) == 2
    rows = c.rows(ids, highlight="violacao")
    assert all("«Violação»" in r.snippet_text() or "«violação»" in r.snippet_text() for r in rows)
    assert "<b>" in rows[0].snippet_html()
    assert c.ids(CaseFilter(text='"; DROP TABLE hq_cases; --')) == []
    assert c.ids(CaseFilter(text="*")) == []


def test_counts_follow_the_filter(desk: Desk) -> None:
    c = desk.s.cases
    assert dict(c.counts(by=CountBy.COUNTRY)) == {"AO": 2, "SL": 1}
    assert dict(c.counts(CaseFilter(country="AO"), CountBy.CATEGORY)) == {"killing": 2}
    assert c.counts(by=CountBy.MONTH) == [("2026-08", 2), ("2026-10", 1)]
    assert dict(c.counts(by=CountBy.PERPETRATOR))["police"] == 2


def test_report_view_has_checks_custody_and_no_identity(desk: Desk) -> None:
    c = desk.s.cases
    [rid] = c.ids(CaseFilter(country="SL"))
    view = c.report(rid)
    assert all(ch.ok for ch in view.checks)
    assert [s.event for s in view.custody] == ["created", "sealed", "imported"]
    assert view.device_name == "kono-laptop"
    assert len(view.attachments) == 1
    assert len(view.attachments[0].sha256) == 64
    assert all("identifying" not in w for w in view.document["witnesses"])
    assert view.witnesses[0].has_identity


def test_review_needs_reason_for_rejection_and_is_audited(desk: Desk) -> None:
    c = desk.s.cases
    a, b, _ = c.ids()
    with pytest.raises(UsageError):
        c.review(a, ReviewState.REJECTED, "")
    with pytest.raises(UsageError):
        c.review(a, "bogus")
    c.review(a, ReviewState.DUPLICATE, "same as the other")
    c.link(a, b)
    c.add_note(a, "Called the clinic.")
    view = c.report(a)
    assert (view.review_state, view.review_reason) == ("duplicate", "same as the other")
    assert view.links == (b,)
    assert view.notes[0][1] == "Called the clinic."
    assert c.ids(CaseFilter(review="duplicate")) == [a]
    assert [e.action for e in c.audit_log()] == [
        "device_approved", "device_approved", "review", "link", "note",
    ]  # fmt: skip
    assert c.verify_audit() == []


def test_identity_reveal_is_logged(desk: Desk) -> None:
    c = desk.s.cases
    [rid] = c.ids(CaseFilter(country="SL"))
    w = c.report(rid).witnesses[0]
    details = c.reveal(rid, w.witness_id)
    assert details["contact"] == "via the clinic nurse"
    assert c.audit_log()[-1].action == "identity_reveal"


def test_audit_chain_detects_a_forged_entry(desk: Desk) -> None:
    c = desk.s.cases
    rid = c.ids()[0]
    c.review(rid, "in_review")
    seq = len(c.audit_log()) + 1
    desk.hq.vault.conn.execute(
        "INSERT INTO hq_audit(seq, at, action, report_id, entry, prev_hash, entry_hash)"
        " VALUES (?, 'x', 'review', NULL, '{}', 'ab', 'cd')",
        (seq,),
    )
    assert [p.seq for p in c.verify_audit()] == [seq, seq, seq]
    assert desk.hq.verify().ok is False


def test_sessions_index_reports_imported_before_the_desk(desk: Desk) -> None:
    conn = desk.hq.vault.conn
    conn.execute("DELETE FROM hq_case_terms")
    conn.execute("DELETE FROM hq_case_search")
    conn.execute("DELETE FROM hq_cases")
    assert desk.s.cases.ensure_indexed() == 3
    assert len(desk.s.cases.ids(CaseFilter(text="violacao"))) == 2


def test_photo_flags_compare_exif_with_the_report() -> None:
    doc = {
        "incident": {"date": {"date": "2026-10-03", "precision": "day"}},
        "place": {"coordinates": {"lat_micro": 8_643_210, "lon_micro": -10_971_230}},
    }
    assert cases.photo_flags(doc, {"taken_at": "2026-10-04T10:00:00"}) == ()
    assert cases.photo_flags(doc, {"taken_at": "2025-01-01T10:00:00"}) == ("time",)
    far = {"gps_lat_micro": 6_000_000, "gps_lon_micro": -10_971_230}
    assert cases.photo_flags(doc, far) == ("gps",)
    assert cases.photo_flags({}, {"taken_at": "garbage"}) == ()


def test_witnesses_are_read_defensively() -> None:
    doc = {"witnesses": [{"pseudonym": "W"}, "junk", {"consent": "yes"}]}
    assert cases.allowed_uses(doc) == ()
    idx = cases.index_of(doc, report_id="r", device_id="d", version=1, imported_at="t")
    assert idx.witnesses == ("W", "")


def test_approving_and_revoking_a_device_is_in_the_audit_log(desk: Desk) -> None:
    c = desk.s.cases
    approved = [e for e in c.audit_log() if e.action == "device_approved"]
    assert {e.details["name"] for e in approved} == {"kono-laptop", "lunda-laptop"}
    kono = next(d for d in desk.s.devices.enrolled() if d.name == "kono-laptop")
    assert next(e for e in approved if e.details["name"] == "kono-laptop").details == {
        "device": kono.device_id, "name": "kono-laptop", "fingerprint": kono.fingerprint,
    }  # fmt: skip
    desk.s.devices.revoke(kono.device_id)
    desk.s.devices.revoke(kono.device_id)  # already revoked: nothing more to log
    revoked = [e for e in c.audit_log() if e.action == "device_revoked"]
    assert [e.details["fingerprint"] for e in revoked] == [kono.fingerprint]
    assert c.verify_audit() == []
    # The entries are in the vault's chained log, not only in what the service returns.
    rows = desk.hq.vault.conn.execute(
        "SELECT action FROM hq_audit WHERE action LIKE 'device_%' ORDER BY seq"
    ).fetchall()
    assert [r[0] for r in rows] == ["device_approved", "device_approved", "device_revoked"]
