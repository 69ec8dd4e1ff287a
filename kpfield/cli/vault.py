"""Vault commands: init, identity, passphrase change/duress/limit, wipe, verify."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from typing import TYPE_CHECKING

from kpfield.cli.common import (
    Subcommands,
    command,
    data_dir,
    group,
    prompt_secret,
    read_passphrase,
    read_secret_file,
    session,
)
from kpfield.errors import N_, UsageError

if TYPE_CHECKING:
    from kpfield.services.vaults import KdfParams


def cmd_init(args: argparse.Namespace) -> int:
    from kpfield.app import create_session
    from kpfield.services.vaults import kdf_params

    params: KdfParams | None = None
    if args.kdf_memory_mib or args.kdf_iterations:
        # Explicit, for tests and slow machines; never chosen silently.
        params = kdf_params(args.kdf_memory_mib, args.kdf_iterations)
    passphrase = read_passphrase(args, prompt="New passphrase: ", confirm=True)
    with closing(
        create_session(
            data_dir(args), passphrase, role=args.role, params=params, device_name=args.device_name
        )
    ) as s:
        print(f"Created a {args.role} vault in {data_dir(args)}")
        print(f"Device fingerprint: {s.identity.fingerprint()}")
    from kpfield.services.memory_exposure import how_to_fix, memory_exposures, warnings

    found = warnings(memory_exposures())
    for template, where in found:
        print(f"kpfield: warning: {template.format(where=where)}", file=sys.stderr)
    if found:
        print(f"kpfield: {how_to_fix()}", file=sys.stderr)
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    with session(args) as s:
        if args.minisign:
            sys.stdout.write(s.identity.minisign_public_key())
            return 0
        ident = s.identity.identity()
        print(f"Device id:   {ident.device_id}")
        print(f"Role:        {s.role}")
        print(f"Fingerprint: {ident.fingerprint}")
    return 0


def cmd_passphrase_change(args: argparse.Namespace) -> int:
    with session(args) as s:
        old = read_passphrase(args)
        new = (
            read_secret_file(args.new_passphrase_file)
            if args.new_passphrase_file
            else prompt_secret("New passphrase: ", True)
        )
        s.passphrases.change(old, new)
        print("Passphrase changed.")
    return 0


def cmd_passphrase_duress(args: argparse.Namespace) -> int:
    with session(args) as s:
        current = read_passphrase(args)
        if args.remove:
            s.passphrases.set_duress(current, None)
            print("Duress passphrase removed.")
            return 0
        duress = (
            read_secret_file(args.duress_passphrase_file)
            if args.duress_passphrase_file
            else prompt_secret("Duress passphrase: ", True)
        )
        s.passphrases.set_duress(current, duress)
        print("Duress passphrase set. Entering it at unlock erases this vault without a warning.")
    return 0


def cmd_passphrase_limit(args: argparse.Namespace) -> int:
    with session(args) as s:
        s.passphrases.set_failed_unlock_limit(args.limit)
        if args.limit:
            print(f"The vault will erase itself after {args.limit} failed unlocks in a row.")
        else:
            print("No limit on failed unlocks.")
    return 0


def cmd_wipe(args: argparse.Namespace) -> int:
    from kpfield.services.vaults import VaultLocation

    root = data_dir(args)
    location = VaultLocation(root)
    if not location.has_vault_files():
        raise UsageError(N_("No vault was found in {path}."), path=str(root))
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(N_("Refusing to wipe without --yes when not at a terminal."))
        answer = input("Type WIPE to erase this vault for ever: ")
        if answer.strip() != "WIPE":
            print("Nothing was erased.")
            return 1
    removed = location.wipe()
    print("Vault erased. Removed: " + ", ".join(removed))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    with session(args) as s:
        result = s.verify()
        if args.repair and result.repairable:
            for d in result.repairable:
                print(f"REPAIRABLE: {d}", file=sys.stderr)
            repaired = s.repair(result.repairable)
            for f in repaired.failed:
                print(f"NOT REPAIRED: {f}", file=sys.stderr)
            print(f"Regenerated {repaired.regenerated} damaged thumbnails; verifying again.")
            result = s.verify()
    print(
        f"Checked {result.custody_entries} custody entries, {result.sealed_reports} sealed reports,"
        f" {result.attachments} attachments, {result.thumbnails} thumbnails"
        + (
            f", {result.imported_bundles} imported bundles, {result.imported_reports} imported"
            f" reports, {result.imported_attachments} imported attachments"
            if result.imported_bundles
            else ""
        )
        + "."
    )
    if result.ok:
        print("All verified.")
        return 0
    for p in result.problems:
        print(f"BROKEN: {p}", file=sys.stderr)
    for d in result.repairable:
        print(f"REPAIRABLE: {d}", file=sys.stderr)
    if result.repairable and not args.repair:
        print(
            "Run `kpfield verify --repair` to make the damaged thumbnails again from their"
            " verified originals.",
            file=sys.stderr,
        )
    return 3


def register(sub: Subcommands) -> None:
    sp = command(sub, "init", cmd_init, "create a new vault")
    sp.add_argument("--role", choices=["field", "hq"], default="field")
    sp.add_argument("--device-name", default="")
    sp.add_argument("--kdf-memory-mib", type=int, help=argparse.SUPPRESS)
    sp.add_argument("--kdf-iterations", type=int, help=argparse.SUPPRESS)

    sp = command(sub, "identity", cmd_identity, "show this vault's device fingerprint")
    sp.add_argument(
        "--minisign", action="store_true", help="print the public key in minisign format"
    )

    psub = group(sub, "passphrase", "change the passphrase, set a duress passphrase or limit")
    sp = command(psub, "change", cmd_passphrase_change, "change the passphrase")
    sp.add_argument("--new-passphrase-file", metavar="FILE")
    sp = command(psub, "duress", cmd_passphrase_duress, "set or remove the duress passphrase")
    sp.add_argument("--duress-passphrase-file", metavar="FILE")
    sp.add_argument("--remove", action="store_true")
    sp = command(psub, "limit", cmd_passphrase_limit, "erase after N failed unlocks (0: off)")
    sp.add_argument("limit", type=int)

    sp = command(sub, "wipe", cmd_wipe, "erase the vault now (keys first)")
    sp.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sp = command(sub, "verify", cmd_verify, "check the custody chain, seals and every stored file")
    sp.add_argument(
        "--repair", action="store_true", help="regenerate damaged thumbnails from their originals"
    )
