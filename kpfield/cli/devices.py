"""HQ device overview: devices list (bundles received, last seen, gaps, rejections, revoked)."""

from __future__ import annotations

import argparse

from kpfield.cli.common import Subcommands, command, group, hq_session, print_json
from kpfield.domain.sequences import format_ranges


def cmd_devices_list(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        devices = s.inbox.devices()
    if args.json:
        print_json(
            [
                {
                    "id": d.device_id,
                    "name": d.name,
                    "fingerprint": d.fingerprint,
                    "enrolled_at": d.enrolled_at,
                    "last_seen": d.last_seen,
                    "bundles": d.bundles,
                    "rejected": d.rejected,
                    "gaps": list(d.gaps),
                    "revoked_at": d.revoked_at,
                }
                for d in devices
            ]
        )
        return 0
    for d in devices:
        state = f"revoked {d.revoked_at}" if d.revoked_at else "active"
        print(f"{d.name}  ({d.device_id}, {state})")
        print(f"  fingerprint {d.fingerprint}")
        print(f"  enrolled {d.enrolled_at} · last seen {d.last_seen or 'never'}")
        print(f"  {d.bundles} bundle(s) received, {d.rejected} rejected")
        if d.gaps:
            print(f"  MISSING bundles: {format_ranges(list(d.gaps))}")
    if not devices:
        print("No devices are enrolled.")
    return 0


def register(sub: Subcommands) -> None:
    dsub = group(sub, "devices", "HQ: enrolled devices, bundles received and gaps")
    sp = command(dsub, "list", cmd_devices_list, "list devices with bundles, gaps and state")
    sp.add_argument("--json", action="store_true")
