"""Report commands: report new/show/list/search/seal/amend/trail, attach, attachment …"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kpfield.cli.common import (
    FileMessages,
    Subcommands,
    command,
    group,
    print_json,
    read_small_file,
    session,
    write_new_file,
)
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, KpfieldError, StateError, UsageError

if TYPE_CHECKING:
    from kpfield.services.reports import ReportRow

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_DOCUMENT_FILE = FileMessages(
    too_large=N_("{name} is too large for a report document (limit {mib} MiB)."),
    unreadable=N_("{name} cannot be read as UTF-8 text."),
)


def _row_json(r: ReportRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status.value,
        "title": r.title,
        "incident_date": r.incident_date,
        "country": r.country,
        "categories": list(r.categories),
        "updated_at": r.updated_at,
        "version": r.version,
    }


def _print_rows(rows: Sequence[ReportRow], as_json: bool) -> None:
    if as_json:
        print_json([_row_json(r) for r in rows])
        return
    for r in rows:
        print(f"{r.id}  {r.status.value:<12} {r.incident_date or '—':<10}  {r.title}")
    if not rows:
        print("No reports.")


def _read_document(path: Path) -> Any:
    data = read_small_file(path, MAX_DOCUMENT_BYTES, _DOCUMENT_FILE)
    try:
        # Line breaks as text mode reads them, so error positions count a lone \r as a line.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise UsageError(_DOCUMENT_FILE.unreadable, name=str(path)) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            N_("{name} is not valid JSON (line {line}, column {col}: {msg})."),
            name=str(path),
            line=exc.lineno,
            col=exc.colno,
            msg=exc.msg,
        ) from None
    except (RecursionError, ValueError):
        # Nesting deeper than the parser's stack, or an integer past Python's 4,300-digit limit.
        raise UsageError(
            N_(
                "{name} is not a report document KP Field can read (nested too deeply, or a"
                " number too long)."
            ),
            name=str(path),
        ) from None
    try:
        # A lone surrogate (e.g. "\ud800") parses but can never be stored as UTF-8 text.
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        raise UsageError(
            N_("{name} holds text that is not valid Unicode (a lone surrogate escape)."),
            name=str(path),
        ) from None
    return doc


def cmd_report_new(args: argparse.Namespace) -> int:
    raw = _read_document(Path(args.from_file))
    with session(args) as s:
        rid = s.reports.create_from_document(raw)
    print(rid)
    return 0


def cmd_report_show(args: argparse.Namespace) -> int:
    with session(args) as s:
        rid = s.reports.resolve(args.id)
        doc = s.reports.document(rid)
    if args.json:
        print_json(doc)
        return 0
    print(f"{doc['title']}  [{doc['status']}, version {doc['version']}]")
    print(f"Id: {doc['id']}")
    inc = doc["incident"]
    if inc.get("date"):
        print(f"Date: {inc['date']['date']} ({inc['date']['precision']})")
    place = doc["place"]
    print(f"Place: {', '.join(p for p in (place['site'], place['area'], place['country']) if p)}")
    print(f"Categories: {', '.join(inc['categories'])}")
    print(f"Witnesses: {', '.join(w['pseudonym'] for w in doc['witnesses']) or '—'}")
    print(f"Attachments: {len(doc['attachments'])}")
    print()
    print(doc["narrative"])
    return 0


def _hq_points_to_cases(s: Any) -> None:
    from kpfield.domain.models import VaultRole

    if s.role is VaultRole.HQ:
        raise UsageError(
            N_(
                "This is an HQ vault: imported reports are cases."
                " Use `kpfield cases list` (or `kpfield cases list --search WORDS`)."
            )
        )


def cmd_report_list(args: argparse.Namespace) -> int:
    with session(args) as s:
        _hq_points_to_cases(s)
        status = ReportStatus(args.status) if args.status else None
        rows = s.reports.list_reports(status=status, category=args.category)
    _print_rows(rows, args.json)
    return 0


def cmd_report_search(args: argparse.Namespace) -> int:
    with session(args) as s:
        _hq_points_to_cases(s)
        rows = s.reports.search(" ".join(args.query))
    _print_rows(rows, args.json)
    return 0


def cmd_report_seal(args: argparse.Namespace) -> int:
    with session(args) as s:
        report = s.reports.seal(s.reports.resolve(args.id))
    print(f"Sealed {report.id} (version {report.version}).")
    return 0


def cmd_report_amend(args: argparse.Namespace) -> int:
    with session(args) as s:
        new = s.reports.amend(s.reports.resolve(args.id))
    print(new.id)
    return 0


def cmd_report_delete(args: argparse.Namespace) -> int:
    with session(args) as s:
        rid = s.reports.resolve(args.id)
        report = s.reports.get(rid)
        if not report.is_draft:
            raise StateError(N_("Sealed reports cannot be deleted."))
        if not args.yes:
            print(
                f"This deletes draft {rid} (version {report.version}) and its attachments for "
                "good. Run again with --yes to do it.",
                file=sys.stderr,
            )
            return 2
        s.reports.delete_draft(rid)
    print(f"Deleted draft {rid}; the custody log records the deletion.")
    return 0


def cmd_report_trail(args: argparse.Namespace) -> int:
    with session(args) as s:
        entries = s.reports.custody_trail(s.reports.resolve(args.id))
    if args.json:
        print_json(
            [
                {
                    "seq": e.seq,
                    "event": e.event,
                    "at": e.at,
                    "details": e.details,
                    "hash": e.entry_hash,
                }
                for e in entries
            ]
        )
        return 0
    for e in entries:
        print(f"{e.seq:>6}  {e.at}  {e.event:<12} {e.entry_hash[:16]}")
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    failures = 0
    with session(args) as s:
        rid = s.reports.resolve(args.report)
        paths = [Path(n) for n in args.files]
        for path, result in s.reports.attach_files(
            rid, paths, allow_duplicate=args.allow_duplicate
        ):
            if isinstance(result, KpfieldError):
                failures += 1
                print(f"kpfield: {path}: {result.message}", file=sys.stderr)
                if getattr(result, "same_report", True) is False:
                    print("kpfield: (--allow-duplicate attaches it anyway)", file=sys.stderr)
                continue
            print(f"{result.id}  {result.sha256}  {result.original_name}")
    return 2 if failures else 0


def cmd_attachment_caption(args: argparse.Namespace) -> int:
    with session(args) as s:
        att = s.reports.set_caption(args.id, args.text)
    print(f"{att.id}  caption: {att.caption or '(none)'}")
    return 0


def cmd_attachment_stripped(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        raise UsageError(N_("{name} already exists; choose a new file name."), name=str(out))
    with session(args) as s:
        data = s.reports.stripped_copy(args.id)
    write_new_file(out, data)
    print(f"Wrote a metadata-free copy to {out}. It is NOT encrypted: keep it safe or delete it.")
    return 0


def register(sub: Subcommands) -> None:
    rsub = group(sub, "report", "create, list, search, show, seal and amend reports")
    sp = command(rsub, "new", cmd_report_new, "create a draft from a JSON document")
    sp.add_argument("--from", dest="from_file", required=True, metavar="FILE.json")
    sp = command(rsub, "show", cmd_report_show, "show one report")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")
    sp = command(rsub, "list", cmd_report_list, "list reports")
    sp.add_argument("--status", choices=[s.value for s in ReportStatus])
    sp.add_argument("--category")
    sp.add_argument("--json", action="store_true")
    sp = command(rsub, "search", cmd_report_search, "full-text search")
    sp.add_argument("query", nargs="+")
    sp.add_argument("--json", action="store_true")
    sp = command(
        rsub, "seal", cmd_report_seal, "seal a complete draft (signs it; it can no longer change)"
    )
    sp.add_argument("id")
    sp = command(rsub, "amend", cmd_report_amend, "start a new draft version of a sealed report")
    sp.add_argument("id")
    sp = command(rsub, "delete", cmd_report_delete, "delete a draft (sealed reports stay)")
    sp.add_argument("id")
    sp.add_argument("--yes", action="store_true", help="really delete (no question asked)")
    sp = command(rsub, "trail", cmd_report_trail, "show a report's custody trail")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")

    sp = command(sub, "attach", cmd_attach, "add photos or files to a draft")
    sp.add_argument("report")
    sp.add_argument("files", nargs="+")
    sp.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="attach a file even if another report of this vault already has it",
    )

    asub = group(sub, "attachment", "work with stored attachments")
    sp = command(asub, "stripped", cmd_attachment_stripped, "write a metadata-free copy of a photo")
    sp.add_argument("id")
    sp.add_argument("--out", required=True)
    sp = command(asub, "caption", cmd_attachment_caption, "set a draft attachment's caption")
    sp.add_argument("id")
    sp.add_argument("text", help='the caption ("" removes it)')
