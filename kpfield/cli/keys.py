"""HQ key commands: keys export-identity, remove-backup, show."""

from __future__ import annotations

import argparse
import sys

from kpfield.cli.common import (
    Subcommands,
    command,
    confirm,
    group,
    hq_session,
    write_new_file,
)


def cmd_keys_export_identity(args: argparse.Namespace) -> int:
    from kpfield.services.hq_keys import BACKUP, PRIMARY

    with hq_session(args) as s:
        which = BACKUP if args.backup else PRIMARY
        write_new_file(args.out, s.keys.identity_file(which).encode("ascii"))
        s.keys.exported(which)
    print(
        f"WARNING: {args.out} holds the HQ {which} secret key UNENCRYPTED. Anyone with it can"
        " read every bundle. Move it to offline storage and delete this copy.",
        file=sys.stderr,
    )
    return 0


def cmd_keys_export_public(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        data = s.keys.public_file()
        fingerprint = s.keys.summary().signing_fingerprint
    write_new_file(args.out, data)
    print(f"Wrote the HQ public keys (nothing secret) to {args.out}.")
    print(f"HQ fingerprint: {fingerprint}")
    return 0


def cmd_keys_remove_backup(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        if not confirm(args, "Remove the backup key from this vault?"):
            print("Nothing was removed.")
            return 1
        s.keys.remove_backup()
    print("The backup key was removed from this vault; keep the exported copy safe.")
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        keys = s.keys.summary()
    if args.minisign:
        sys.stdout.write(keys.signing_public_text)
        return 0
    print(f"HQ signing key fingerprint: {keys.signing_fingerprint}")
    for label, r in zip(("primary", "backup"), keys.recipients, strict=False):
        print(f"{label} recipient: {r}")
    print(f"identities held in this vault: {keys.identities_held}")
    return 0


def register(sub: Subcommands) -> None:
    ksub = group(sub, "keys", "HQ keys: export an identity, remove the backup")
    sp = command(
        ksub,
        "export-identity",
        cmd_keys_export_identity,
        "write an HQ identity file the age CLI accepts (secret!)",
    )
    sp.add_argument("--out", required=True)
    sp.add_argument("--backup", action="store_true", help="export the backup key, not the primary")
    sp = command(
        ksub,
        "export-public",
        cmd_keys_export_public,
        "write HQ's public signing key and recipients (for kpfield relay init --hq-public)",
    )
    sp.add_argument("--out", required=True)
    sp = command(
        ksub,
        "remove-backup",
        cmd_keys_remove_backup,
        "remove the (exported) backup key from the vault",
    )
    sp.add_argument("--yes", action="store_true")
    sp = command(ksub, "show", cmd_keys_show, "show HQ recipients and the signing key fingerprint")
    sp.add_argument("--minisign", action="store_true", help="print the HQ signing public key")
