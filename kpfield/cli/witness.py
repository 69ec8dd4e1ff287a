"""Witness commands: list witnesses, record a withdrawal of consent, name the recording of a
spoken consent (the GUI's twins)."""

from __future__ import annotations

import argparse
from datetime import date

from kpfield.cli.common import Subcommands, command, field_session, group, print_json, session
from kpfield.domain.models import SCOPE_NAMES
from kpfield.errors import N_, UsageError


def cmd_witness_list(args: argparse.Namespace) -> int:
    with session(args) as s:
        witnesses = s.reports.list_witnesses()
    rows = [
        {
            "id": w.id,
            "pseudonym": w.pseudonym,
            "consent": None if w.consent is None else w.consent.given,
            "identifying_details_on_laptop": w.identifying is not None,
            "identity_goes_to_hq": w.identity_may_travel,
        }
        for w in witnesses
    ]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['id']}  {r['pseudonym']}")
    if not rows:
        print("No witnesses.")
    return 0


def _scopes(text: str) -> frozenset[str] | None:
    if text == "all":
        return None
    names = frozenset(p.strip() for p in text.split(",") if p.strip())
    unknown = sorted(names - set(SCOPE_NAMES))
    if unknown or not names:
        raise UsageError(
            N_("Name what is withdrawn: one or more of {names}, or all."),
            names=", ".join(SCOPE_NAMES),
        )
    return names


def cmd_withdraw_consent(args: argparse.Namespace) -> int:
    scopes = _scopes(args.scope)
    with field_session(args) as s:
        result = s.witnesses.withdraw_consent(
            args.witness, scopes, withdrawn_on=args.on or date.today().isoformat()
        )
    print(f"Consent withdrawn for {result.witness.pseudonym}: {', '.join(result.scopes)}.")
    if result.identity_purged:
        print("Their identifying details were erased from this laptop.")
    if result.drafts_uncited:
        print(f"Removed from {len(result.drafts_uncited)} draft(s).")
    if result.sealed_reports:
        print(
            f"{len(result.sealed_reports)} sealed report(s) cite them and cannot change;"
            " HQ will mark them."
        )
    print("A signed notice goes to HQ with the next export or sync.")
    return 0


def cmd_consent_recording(args: argparse.Namespace) -> int:
    if (args.attachment is None) == (not args.none):
        raise UsageError(N_("Give the recording's attachment id, or --none."))
    with field_session(args) as s:
        w = s.reports.set_consent_recording(args.witness, None if args.none else args.attachment)
    sha = w.consent.recording_sha256 if w.consent else ""
    if sha:
        print(f"The consent of {w.pseudonym} is recorded in {sha}.")
    else:
        print(f"The consent of {w.pseudonym} names no recording.")
    return 0


def register(sub: Subcommands) -> None:
    wsub = group(sub, "witness", "list witnesses and record withdrawals of consent")
    sp = command(wsub, "list", cmd_witness_list, "list the witnesses in this vault")
    sp.add_argument("--json", action="store_true")
    sp = command(
        wsub,
        "withdraw-consent",
        cmd_withdraw_consent,
        "record that a witness withdrew consent (erases their identity from this laptop)",
    )
    sp.add_argument("witness", help="the witness id")
    sp.add_argument(
        "--scope",
        required=True,
        help=f"'all', or a comma-separated list of: {', '.join(SCOPE_NAMES)}",
    )
    sp.add_argument("--on", help="the day the witness withdrew (YYYY-MM-DD; default today)")
    sp = command(
        wsub,
        "consent-recording",
        cmd_consent_recording,
        "name the audio attachment that holds a witness's spoken consent (optional)",
    )
    sp.add_argument("witness", help="the witness id")
    sp.add_argument(
        "attachment", nargs="?", help="the id of an audio attachment of a report citing them"
    )
    sp.add_argument("--none", action="store_true", help="name no recording")
