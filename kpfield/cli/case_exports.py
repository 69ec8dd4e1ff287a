"""``kpfield cases export``: CSV, de-identified incident CSV, JSON or PDF brief, with a manifest.

Follows the same filter options as ``cases list``. Writes ``OUT`` and ``OUT.manifest.json``
(signed with the HQ key) and prints what was included and left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kpfield.cli.common import Subcommands, command, hq_session
from kpfield.errors import N_, UsageError

_KINDS = {
    "csv": "cases_csv",
    "incidents_csv": "incidents_csv",
    "json": "events_json",
    "pdf": "pdf_brief",
}


def cmd_cases_export(args: argparse.Namespace) -> int:
    from kpfield.cli.cases import filter_from_args
    from kpfield.i18n import I18n
    from kpfield.services.exports.service import ExportKind

    chosen = [(k, getattr(args, k)) for k in _KINDS if getattr(args, k)]
    if len(chosen) != 1:
        raise UsageError(N_("Choose one of --csv, --incidents-csv, --json or --pdf."))
    key, out = chosen[0]
    if args.include and not args.reason:
        raise UsageError(N_("Give the reason for including reports without consent."))
    i18n = I18n(args.language)
    with hq_session(args) as s:
        result = s.exports.export(
            ExportKind(_KINDS[key]),
            Path(out),
            filter_from_args(args),
            gettext=i18n.gettext,
            language=i18n.language,
            override=args.include,
            override_reason=args.reason,
        )
    print(f"{result.path}  sha256 {result.sha256}")
    print(f"{result.manifest_path}  (signed with the HQ key)")
    print(
        f"{result.included} report(s) included, {result.left_out} left out for consent"
        + (f", {result.overridden} included by override (logged)" if result.overridden else "")
        + "."
    )
    return 0


def add_export(csub: Subcommands) -> None:
    from kpfield.cli.cases import add_filter_options

    sp = command(csub, "export", cmd_cases_export, "export the cases matching a filter")
    out = sp.add_mutually_exclusive_group(required=True)
    out.add_argument("--csv", metavar="OUT", help="one row per report (docs/exports.md)")
    out.add_argument(
        "--incidents-csv", dest="incidents_csv", metavar="OUT",
        help="de-identified incidents, for conflict-data analysts",
    )  # fmt: skip
    out.add_argument("--json", metavar="OUT", help="events after the HURIDOCS ESF")
    out.add_argument("--pdf", metavar="OUT", help="the brief for KP working groups")
    add_filter_options(sp)
    sp.add_argument(
        "--include", action="append", default=[], metavar="ID",
        help="PDF only: include this report although a witness did not consent to sharing"
        " with KP bodies (logged; needs --reason)",
    )  # fmt: skip
    sp.add_argument("--reason", default="", help="why reports are included by override")
    sp.add_argument("--language", default="en", choices=["en", "fr", "pt"])
