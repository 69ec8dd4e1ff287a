"""HQ case commands: cases list/show/review/link/note/audit/export/identities (the desk's
headless twin).

``add_filter_options`` and ``filter_from_args`` are shared with every command that follows the
desk's filter (lists, counts, exports).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kpfield.cli.case_exports import add_export
from kpfield.cli.case_identities import add_identities
from kpfield.cli.common import Subcommands, command, group, hq_session, print_json
from kpfield.domain.desk import CaseFilter, CaseSort, ConsentUse, ReviewState, VerificationState

if TYPE_CHECKING:
    from kpfield.services.desk import CaseRow, CaseView


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """The desk's filter as options (every one optional; all given must match)."""
    p.add_argument("--category", default="", help="taxonomy category id")
    p.add_argument("--perpetrator", default="", help="perpetrator type id")
    p.add_argument("--country", default="", help="ISO country code, e.g. SL")
    p.add_argument("--site", default="", help="site name, exactly")
    p.add_argument(
        "--from", dest="date_from", default="", metavar="DATE", help="incident on or after"
    )
    p.add_argument("--to", dest="date_to", default="", metavar="DATE", help="incident on or before")
    p.add_argument("--device", default="", help="device id")
    p.add_argument(
        "--consent", default="", choices=["", *[c.value for c in ConsentUse]],
        help="a use every witness consented to",
    )  # fmt: skip
    p.add_argument(
        "--verification", default="", choices=["", *[v.value for v in VerificationState]]
    )
    p.add_argument("--review", default="", choices=["", *[r.value for r in ReviewState]])
    p.add_argument("--search", default="", metavar="WORDS", help="full text, accents ignored")


def filter_from_args(args: argparse.Namespace) -> CaseFilter:
    return CaseFilter(
        category=args.category,
        perpetrator=args.perpetrator,
        country=args.country.upper(),
        site=args.site,
        date_from=args.date_from,
        date_to=args.date_to,
        device=args.device.lower(),
        consent=args.consent,
        verification=args.verification,
        review=args.review,
        text=args.search,
    )


def _row_json(r: CaseRow) -> dict[str, Any]:
    out = {
        "id": r.report_id,
        "case": r.case_no,
        "title": r.title,
        "incident_date": r.incident_date,
        "country": r.country,
        "area": r.area,
        "site": r.site,
        "device": {"id": r.device_id, "name": r.device_name},
        "categories": list(r.categories),
        "perpetrators": list(r.perpetrators),
        "people_affected": r.people_affected,
        "witnesses": r.witnesses,
        "photos": r.photos,
        "version": r.version,
        "amends": r.amends,
        "verification": r.verification,
        "review": {"state": r.review_state, "reason": r.review_reason},
        "imported_at": r.imported_at,
    }
    if r.snippet:
        out["snippet"] = r.snippet_text()
    return out


def cmd_cases_list(args: argparse.Namespace) -> int:
    f = filter_from_args(args)
    sort = CaseSort(args.sort) if args.sort else (
        CaseSort.RELEVANCE if f.text else CaseSort.INCIDENT_DATE
    )  # fmt: skip
    with hq_session(args) as s:
        ids = s.cases.ids(f, sort, descending=not args.ascending)
        shown = ids[: args.limit] if args.limit else ids
        rows = [
            r
            for i in range(0, len(shown), 500)
            for r in s.cases.rows(shown[i : i + 500], highlight=f.text)
        ]
    if args.json:
        print_json(
            {"total": len(ids), "filter": f.as_dict(), "cases": [_row_json(r) for r in rows]}
        )
        return 0
    for r in rows:
        place = " · ".join(x for x in (r.country, r.site) if x)
        print(
            f"{r.report_id}  {r.incident_date or '—':<10}  {r.review_state:<15} {place:<30}"
            f"  {r.title}"
        )
        if r.snippet:
            print(f"    {r.snippet_text()}")
    if not rows:
        print("No cases match." if not f.is_empty() else "No cases yet: import bundles first.")
    elif len(rows) < len(ids):
        print(f"({len(rows)} of {len(ids)} cases shown; raise --limit to see more)")
    return 0


def _view_json(v: CaseView) -> dict[str, Any]:
    return {
        "id": v.report_id,
        "case": v.case_no,
        "device": {"id": v.device_id, "name": v.device_name, "fingerprint": v.device_fingerprint},
        "version": v.version,
        "sha256": v.sha256,
        "verification": v.verification,
        "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in v.checks],
        "review": {"state": v.review_state, "reason": v.review_reason},
        "links": list(v.links),
        "notes": [{"at": at, "text": text} for at, text in v.notes],
        "amends": v.amends,
        "amended_by": list(v.amended_by),
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in v.changes],
        "custody": [{"at": c.at, "event": c.event, "detail": c.detail} for c in v.custody],
        "attachments": [
            {
                "id": a.attachment_id,
                "kind": a.kind,
                "mime": a.mime,
                "size": a.size,
                "sha256": a.sha256,
                "capture_claims": a.claims,
                "flags": list(a.flags),
            }
            for a in v.attachments
        ],  # fmt: skip
        "consent": list(v.consent),
        "report": v.document,
    }


def cmd_cases_show(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        v = s.cases.report(_resolve(s, args.id))
    if args.json:
        print_json(_view_json(v))
        return 0
    print(f"{v.title}")
    print(f"Case {v.case_no} · report {v.report_id} · version {v.version}")
    print(f"Device: {v.device_name} ({v.device_id}) · fingerprint {v.device_fingerprint}")
    print(f"Incident: {v.incident_date or '—'} · {', '.join(v.categories) or '—'}")
    where = ", ".join(str(v.place[k]) for k in ("site", "area", "country") if v.place.get(k))
    print(f"Place: {where or '—'}")
    print(f"Verification: {v.verification}")
    for c in v.checks:
        print(f"  [{'ok' if c.ok else 'FAIL'}] {c.name} {c.detail}")
    print(f"Review: {v.review_state}{' — ' + v.review_reason if v.review_reason else ''}")
    print(f"Witnesses: {', '.join(w.pseudonym for w in v.witnesses) or '—'}")
    for a in v.attachments:
        flags = f"  flags: {', '.join(a.flags)}" if a.flags else ""
        print(f"  {a.kind} {a.original_name} {a.size} B sha256 {a.sha256}{flags}")
    print("Custody:")
    for step in v.custody:
        print(f"  {step.at}  {step.event}")
    print()
    print(v.narrative)
    return 0


def _resolve(s: Any, prefix: str) -> str:
    return str(s.cases.resolve(prefix))


def cmd_cases_review(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        rid = _resolve(s, args.id)
        s.cases.review(rid, args.state, args.reason)
    print(f"Case {rid} is now {args.state}.")
    return 0


def cmd_cases_link(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        a, b = _resolve(s, args.id), _resolve(s, args.other)
        s.cases.link(a, b)
    print(f"Linked {a} and {b} as one incident.")
    return 0


def cmd_cases_note(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        rid = _resolve(s, args.id)
        s.cases.add_note(rid, args.text)
    print(f"Added a note to {rid}.")
    return 0


def cmd_cases_audit(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        entries = s.cases.audit_log()
        problems = s.cases.verify_audit()
    if args.json:
        print_json(
            {
                "entries": [
                    {"seq": e.seq, "at": e.at, "action": e.action, "report": e.report_id,
                     "details": e.details, "hash": e.entry_hash}
                    for e in entries
                ],
                "problems": [{"seq": p.seq, "what": p.what} for p in problems],
            }
        )  # fmt: skip
    else:
        for e in entries:
            print(f"{e.seq:>5}  {e.at}  {e.action:<16} {e.report_id or ''}")
        print("The audit chain is intact." if not problems else "The audit chain is BROKEN:")
        for p in problems:
            print(f"  entry {p.seq}: {p.what}")
    return 3 if problems else 0


def register(sub: Subcommands) -> None:
    csub = group(sub, "cases", "HQ: every imported report as a case (list, show, review)")
    sp = command(csub, "list", cmd_cases_list, "list cases matching a filter")
    add_filter_options(sp)
    sp.add_argument("--sort", choices=[c.value for c in CaseSort], default="")
    sp.add_argument("--ascending", action="store_true", help="oldest or A first")
    sp.add_argument("--limit", type=int, default=0, help="show at most N")
    sp.add_argument("--json", action="store_true")
    sp = command(csub, "show", cmd_cases_show, "show one case with its checks and custody")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")
    sp = command(csub, "review", cmd_cases_review, "set a case's review state")
    sp.add_argument("id")
    sp.add_argument("--state", required=True, choices=[r.value for r in ReviewState])
    sp.add_argument("--reason", default="", help="why (required for duplicate and rejected)")
    sp = command(csub, "link", cmd_cases_link, "link two reports of one incident")
    sp.add_argument("id")
    sp.add_argument("other")
    sp = command(csub, "note", cmd_cases_note, "add an analyst note to a case")
    sp.add_argument("id")
    sp.add_argument("text")
    sp = command(csub, "audit", cmd_cases_audit, "show and check the HQ audit log")
    sp.add_argument("--json", action="store_true")
    add_export(csub)
    add_identities(csub)
