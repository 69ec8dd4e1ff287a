"""HQ: ``kpfield cases identities list|delete`` — witness identities received from laptops.

The list names witnesses by id and code name, never by their details; a deletion is logged in
the HQ audit log, and the sealed reports (which hold only a salted hash) still verify.
"""

from __future__ import annotations

import argparse

from kpfield.cli.common import Subcommands, command, hq_session, print_json


def cmd_identities_list(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        held = s.identities.held()
    if args.json:
        print_json(
            [
                {"witness": h.witness_id, "device": {"id": h.device_id, "name": h.device_name},
                 "received_at": h.received_at, "pseudonyms": list(h.pseudonyms),
                 "reports": list(h.reports)}
                for h in held
            ]
        )  # fmt: skip
        return 0
    if not held:
        print("HQ holds no witness identities apart from the sealed reports.")
        return 0
    for h in held:
        names = ", ".join(h.pseudonyms) or "-"
        device = f"{h.device_name} ({h.device_id})" if h.device_name else h.device_id
        print(f"{h.witness_id}  {names}  from {device}  received {h.received_at}"
              f"  reports: {len(h.reports)}")  # fmt: skip
    print(f"{len(held)} identities held. Reports sealed before bundle format 2 may hold more,"
          " inside their seal (they cannot be deleted there).")  # fmt: skip
    return 0


def cmd_identities_delete(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        gone = s.identities.delete(args.witness, args.reason)
    print(f"Deleted the identity of witness {gone.witness_id}; the audit log records it."
          " The sealed reports citing this witness are unchanged and still verify.")  # fmt: skip
    return 0


def add_identities(csub: Subcommands) -> None:
    gp = csub.add_parser("identities", help="witness identities received from laptops")
    isub = gp.add_subparsers(dest="identities_action", metavar="ACTION", required=True)
    sp = command(isub, "list", cmd_identities_list, "list them (ids and code names only)")
    sp.add_argument("--json", action="store_true")
    sp = command(isub, "delete", cmd_identities_delete, "delete one (logged in the audit log)")
    sp.add_argument("witness", help="the witness id")
    sp.add_argument("--reason", required=True, help="why it is deleted (kept in the audit log)")
