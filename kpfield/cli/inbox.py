"""HQ inbox: every bundle intake has seen, accepted or rejected, with each check's result."""

from __future__ import annotations

import argparse

from kpfield.cli.common import Subcommands, command, hq_session, print_json


def cmd_inbox(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        entries = s.inbox.entries(args.limit)
    if args.json:
        print_json(
            [
                {
                    "number": e.seen_no,
                    "seen_at": e.seen_at,
                    "source": e.source,
                    "status": e.status,
                    "reason": e.reason(),
                    "device": {"id": e.device_id, "name": e.device_name,
                               "fingerprint": e.fingerprint},
                    "sequence": e.sequence,
                    "manifest_sha256": e.manifest_sha256,
                    "new_reports": e.new_reports,
                    "checks": [{"check": c, "result": r} for c, r in e.checks],
                }
                for e in entries
            ]
        )  # fmt: skip
        return 0
    for e in entries:
        who = f"{e.device_name} ({e.fingerprint})" if e.device_name else "unknown device"
        seq = f" bundle {e.sequence}" if e.sequence is not None else ""
        print(f"{e.seen_at}  {e.status:<16} {who}{seq}")
        if e.status == "rejected":
            print(f"  reason: {e.reason()}")
        elif e.status == "imported":
            print(f"  {e.new_reports} new report(s)")
        print("  " + " · ".join(f"{c}: {r}" for c, r in e.checks))
    if not entries:
        print("The inbox is empty: no bundle has been imported yet.")
    return 0


def register(sub: Subcommands) -> None:
    sp = command(sub, "inbox", cmd_inbox, "HQ: every bundle seen, with each check's result")
    sp.add_argument("--limit", type=int, default=1000)
    sp.add_argument("--json", action="store_true")
