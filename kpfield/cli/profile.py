"""Coalition profile commands: profile export (HQ), import (field), show."""

from __future__ import annotations

import argparse

from kpfield.cli.common import (
    MAX_SIGNED_FILE_BYTES,
    Subcommands,
    command,
    confirm_fingerprint,
    field_session,
    group,
    hq_session,
    read_small_file,
    write_new_file,
)


def cmd_profile_export(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        data, profile = s.profile.export(
            relay_url=args.relay_url,
            purge_after_acknowledgement=args.purge_after_ack,
            idle_lock_minutes=args.idle_lock_minutes,
        )
    write_new_file(args.out, data)
    print(f"Wrote the coalition profile (serial {profile.serial}) to {args.out}.")
    print(f"HQ fingerprint: {profile.fingerprint}")
    return 0


def cmd_profile_import(args: argparse.Namespace) -> int:
    from kpfield.protocol.profile import parse_profile

    data = read_small_file(args.file, MAX_SIGNED_FILE_BYTES)
    profile = parse_profile(data)
    with field_session(args) as s:
        print(f"HQ fingerprint: {profile.fingerprint}")
        if s.profile.needs_fingerprint_check():
            print("Compare it with the one HQ reads to you (phone, in person) before accepting.")
            if not confirm_fingerprint(args, profile.fingerprint, "Does the fingerprint match?"):
                print("The profile was not installed.")
                return 1
        installed = s.profile.install(data)
    print(f"Coalition profile serial {installed.serial} installed.")
    return 0


def cmd_profile_show(args: argparse.Namespace) -> int:
    with field_session(args) as s:
        profile = s.profile.installed()
    if profile is None:
        print("No coalition profile is installed.")
        return 1
    print(f"Serial:         {profile.serial}")
    print(f"HQ fingerprint: {profile.fingerprint}")
    print(f"Relay URL:      {profile.relay_url or '—'}")
    print(f"Purge after acknowledgement: {profile.purge_after_acknowledgement}")
    return 0


def register(sub: Subcommands) -> None:
    psub = group(sub, "profile", "the coalition profile (HQ exports, field imports)")
    sp = command(psub, "export", cmd_profile_export, "write the signed coalition profile (HQ)")
    sp.add_argument("--out", required=True)
    sp.add_argument("--relay-url")
    sp.add_argument("--idle-lock-minutes", type=int)
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--purge-after-ack", dest="purge_after_ack", action="store_true", default=None)
    g.add_argument("--keep-after-ack", dest="purge_after_ack", action="store_false")
    sp = command(psub, "import", cmd_profile_import, "verify and install a profile (field)")
    sp.add_argument("file")
    sp.add_argument("--yes", action="store_true", help="the fingerprint was compared already")
    sp.add_argument("--fingerprint", help="the HQ fingerprint as read to you; must match")
    command(psub, "show", cmd_profile_show, "show the installed profile")
