"""Enrollment commands: enroll request (field), approve, revoke, list (HQ)."""

from __future__ import annotations

import argparse

from kpfield.cli.common import (
    MAX_SIGNED_FILE_BYTES,
    Subcommands,
    command,
    confirm_fingerprint,
    field_session,
    format_ranges,
    group,
    hq_session,
    read_small_file,
    write_new_file,
)


def cmd_enroll_request(args: argparse.Namespace) -> int:
    with field_session(args) as s:
        data, fingerprint = s.enrollment.request()
    write_new_file(args.out, data)
    print(f"Wrote the enrollment request to {args.out}.")
    print(f"Device fingerprint (read it to HQ): {fingerprint}")
    return 0


def cmd_enroll_approve(args: argparse.Namespace) -> int:
    from kpfield.protocol.enrollment import parse_request

    req = parse_request(read_small_file(args.file, MAX_SIGNED_FILE_BYTES))
    print(f"Device {req.device_id} ({req.name or 'no name'})")
    print(f"Fingerprint: {req.fingerprint}")
    with hq_session(args) as s:
        if not confirm_fingerprint(
            args, req.fingerprint, "Does this match the fingerprint the monitor reads to you?"
        ):
            print("The device was not enrolled.")
            return 1
        dev = s.devices.approve(req)
    print(f"Enrolled device {dev.device_id}.")
    return 0


def cmd_enroll_revoke(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        dev = s.devices.revoke(args.device)
    print(f"Revoked device {dev.device_id}; every bundle from it will now be refused.")
    return 0


def cmd_enroll_list(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        devices = s.devices.enrolled()
        missing = s.devices.gaps()
    for d in devices:
        state = f"revoked {d.revoked_at}" if d.revoked_at else "active"
        gap = (
            f"  missing bundles: {format_ranges(missing[d.device_id])}"
            if d.device_id in missing
            else ""
        )
        print(f"{d.device_id}  {state:<8}  {d.fingerprint}  {d.name}{gap}")
    if not devices:
        print("No devices are enrolled.")
    return 0


def register(sub: Subcommands) -> None:
    esub = group(sub, "enroll", "enroll field devices at HQ")
    sp = command(esub, "request", cmd_enroll_request, "write this device's enrollment request")
    sp.add_argument("--out", required=True)
    sp = command(esub, "approve", cmd_enroll_approve, "pin a device key at HQ")
    sp.add_argument("file")
    sp.add_argument("--yes", action="store_true", help="the fingerprint was compared already")
    sp.add_argument("--fingerprint", help="the device fingerprint as read to you; must match")
    sp = command(
        esub,
        "revoke",
        cmd_enroll_revoke,
        "refuse every bundle from a device (a lost or seized laptop)",
    )
    sp.add_argument("device")
    command(esub, "list", cmd_enroll_list, "list enrolled devices and their missing bundles")
