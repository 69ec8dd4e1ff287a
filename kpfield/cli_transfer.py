"""CLI commands for keys, profile, enrollment, bundles and receipts (registered by kpfield.cli).

``kpfield import`` exits 0 when every bundle was imported (or some were, and the rest were
already imported), 3 when any bundle was rejected or when nothing new was imported (a replay).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpfield.errors import N_, BundleError, IntegrityError, UsageError


def _session(args: argparse.Namespace) -> Any:
    from kpfield.cli import _open

    return _open(args)


def _now(session: Any) -> str:
    from kpfield.services.clock import iso

    return iso(session.clock.now())


def _read_input(path: str, limit: int = 4 << 20) -> bytes:
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(N_("{name} does not exist."), name=path) from None
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be read ({reason})."), name=path, reason=exc.strerror
        ) from None
    if len(data) > limit:
        raise UsageError(N_("{name} is too large."), name=path)
    return data


def _write_new(path: str, data: bytes) -> None:
    from kpfield.fsutil import atomic_write

    out = Path(path)
    if out.exists():
        raise UsageError(N_("{name} already exists; choose a new file name."), name=path)
    try:
        atomic_write(out, data)
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be written ({reason})."), name=path, reason=exc.strerror
        ) from None


def _fingerprint_confirmed(args: argparse.Namespace, actual: str, question: str) -> bool:
    """``--fingerprint`` compares what was read aloud with the real one; else ask (or --yes)."""
    expected = getattr(args, "fingerprint", None)
    if expected:
        if "".join(ch for ch in expected if ch.isdigit()) != "".join(
            ch for ch in actual if ch.isdigit()
        ):
            raise IntegrityError(
                N_("The fingerprints differ. Do not accept this key; call the other side again.")
            )
        return True
    return _confirm(args, question)


def _confirm(args: argparse.Namespace, question: str) -> bool:
    if getattr(args, "yes", False):
        return True
    if not sys.stdin.isatty():
        raise UsageError(N_("Confirm with --yes when not at a terminal."))
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


# ---------------------------------------------------------------------- keys (HQ)
def cmd_keys_export_identity(args: argparse.Namespace) -> int:
    from kpfield.hq import keys as hq_keys

    s = _session(args)
    try:
        which = hq_keys.BACKUP if args.backup else hq_keys.PRIMARY
        text = hq_keys.identity_file(s.vault, which)
        _write_new(args.out, text.encode("ascii"))
        if which == hq_keys.BACKUP:
            hq_keys.mark_backup_exported(s.vault, _now(s))
    finally:
        s.close()
    print(
        f"WARNING: {args.out} holds the HQ {which} secret key UNENCRYPTED. Anyone with it can"
        " read every bundle. Move it to offline storage and delete this copy.",
        file=sys.stderr,
    )
    return 0


def cmd_keys_remove_backup(args: argparse.Namespace) -> int:
    from kpfield.hq import keys as hq_keys

    s = _session(args)
    try:
        if not _confirm(args, "Remove the backup key from this vault?"):
            print("Nothing was removed.")
            return 1
        hq_keys.remove_backup_identity(s.vault)
    finally:
        s.close()
    print("The backup key was removed from this vault; keep the exported copy safe.")
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    from kpfield.hq import keys as hq_keys

    s = _session(args)
    try:
        signer = hq_keys.hq_signer(s.vault)
        recips = hq_keys.recipients(s.vault)
        held = len(hq_keys.identities(s.vault))
    finally:
        s.close()
    if args.minisign:
        sys.stdout.write(signer.public.to_text("KP Field HQ signing key"))
        return 0
    print(f"HQ signing key fingerprint: {signer.fingerprint}")
    for label, r in zip(("primary", "backup"), recips, strict=False):
        print(f"{label} recipient: {r}")
    print(f"identities held in this vault: {held}")
    return 0


# ---------------------------------------------------------------------- profile
def cmd_profile_export(args: argparse.Namespace) -> int:
    from kpfield.hq.profile import export_profile, parse_profile

    s = _session(args)
    try:
        data = export_profile(
            s.vault,
            issued_at=_now(s),
            relay_url=args.relay_url,
            purge_after_acknowledgement=args.purge_after_ack,
            idle_lock_minutes=args.idle_lock_minutes,
        )
    finally:
        s.close()
    _write_new(args.out, data)
    profile = parse_profile(data)
    print(f"Wrote the coalition profile (serial {profile.serial}) to {args.out}.")
    print(f"HQ fingerprint: {profile.fingerprint}")
    return 0


def cmd_profile_import(args: argparse.Namespace) -> int:
    from kpfield.hq.profile import install_profile, installed_profile, parse_profile

    data = _read_input(args.file)
    profile = parse_profile(data)
    s = _session(args)
    try:
        first = installed_profile(s.vault) is None
        print(f"HQ fingerprint: {profile.fingerprint}")
        if first:
            print("Compare it with the one HQ reads to you (phone, in person) before accepting.")
            if not _fingerprint_confirmed(args, profile.fingerprint, "Does the fingerprint match?"):
                print("The profile was not installed.")
                return 1
        installed = install_profile(s.vault, data)
    finally:
        s.close()
    print(f"Coalition profile serial {installed.serial} installed.")
    return 0


def cmd_profile_show(args: argparse.Namespace) -> int:
    from kpfield.hq.profile import installed_profile

    s = _session(args)
    try:
        profile = installed_profile(s.vault)
    finally:
        s.close()
    if profile is None:
        print("No coalition profile is installed.")
        return 1
    print(f"Serial:         {profile.serial}")
    print(f"HQ fingerprint: {profile.fingerprint}")
    print(f"Relay URL:      {profile.doc['relay_url'] or '—'}")
    print(f"Purge after acknowledgement: {profile.purge_after_acknowledgement}")
    return 0


# ---------------------------------------------------------------------- enrollment
def cmd_enroll_request(args: argparse.Namespace) -> int:
    from kpfield.hq.enrollment import make_request, parse_request

    s = _session(args)
    try:
        data = make_request(s.vault, _now(s))
    finally:
        s.close()
    _write_new(args.out, data)
    req = parse_request(data)
    print(f"Wrote the enrollment request to {args.out}.")
    print(f"Device fingerprint (read it to HQ): {req.fingerprint}")
    return 0


def cmd_enroll_approve(args: argparse.Namespace) -> int:
    from kpfield.hq.enrollment import approve, parse_request

    req = parse_request(_read_input(args.file))
    print(f"Device {req.device_id} ({req.name or 'no name'})")
    print(f"Fingerprint: {req.fingerprint}")
    s = _session(args)
    try:
        from kpfield.hq.keys import require_hq

        require_hq(s.vault)
        if not _fingerprint_confirmed(
            args, req.fingerprint, "Does this match the fingerprint the monitor reads to you?"
        ):
            print("The device was not enrolled.")
            return 1
        dev = approve(s.vault, req, _now(s))
    finally:
        s.close()
    print(f"Enrolled device {dev.device_id}.")
    return 0


def cmd_enroll_revoke(args: argparse.Namespace) -> int:
    from kpfield.hq.enrollment import revoke

    s = _session(args)
    try:
        dev = revoke(s.vault, args.device, _now(s))
    finally:
        s.close()
    print(f"Revoked device {dev.device_id}; every bundle from it will now be refused.")
    return 0


def cmd_enroll_list(args: argparse.Namespace) -> int:
    from kpfield.hq.enrollment import list_devices
    from kpfield.hq.importer import gaps

    s = _session(args)
    try:
        devices = list_devices(s.vault)
        missing = gaps(s.vault)
    finally:
        s.close()
    for d in devices:
        state = f"revoked {d.revoked_at}" if d.revoked_at else "active"
        gap = (
            f"  missing bundles: {_ranges(missing[d.device_id])}" if d.device_id in missing else ""
        )
        print(f"{d.device_id}  {state:<8}  {d.fingerprint}  {d.name}{gap}")
    if not devices:
        print("No devices are enrolled.")
    return 0


def _ranges(seqs: list[int]) -> str:
    out: list[str] = []
    start = prev = seqs[0]
    for n in [*seqs[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


# ---------------------------------------------------------------------- export / import
def cmd_export(args: argparse.Namespace) -> int:
    from kpfield.services.transfer import DEFAULT_MAX_BUNDLE_BYTES, export_to_dir

    limit = args.max_bundle_mib << 20 if args.max_bundle_mib else DEFAULT_MAX_BUNDLE_BYTES
    s = _session(args)
    try:
        result = export_to_dir(s, Path(args.to), again=args.again, max_bundle_bytes=limit)
    finally:
        s.close()
    if not result.bundles:
        print("Nothing to export: every sealed report was exported already (see --again).")
        return 0
    for b in result.bundles:
        print(f"{b.path}  bundle {b.sequence}  {b.reports} report(s)  {b.size} bytes  verified")
    print(f"Exported {result.reports} report(s) in {len(result.bundles)} bundle(s).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from kpfield.services.transfer import import_paths

    s = _session(args)
    try:
        result = import_paths(
            s,
            [Path(p) for p in args.paths],
            receipts_dir=Path(args.write_receipts) if args.write_receipts else None,
        )
    finally:
        s.close()
    for o in result.outcomes:
        print(o.line())
    for device, missing in sorted(result.gaps.items()):
        print(f"gap: device {device} is missing bundle(s) {_ranges(missing)}")
    if result.receipts:
        print(f"Wrote {len(result.receipts)} receipt(s) to {args.write_receipts}.")
    if not result.outcomes:
        raise UsageError(N_("No bundles were found in the given paths."))
    if result.rejected:
        print(
            f"kpfield: {result.rejected} bundle(s) rejected; nothing from them was imported.",
            file=sys.stderr,
        )
        return BundleError.exit_code
    if not result.imported:
        print(
            "kpfield: nothing new was imported (every bundle was imported before).", file=sys.stderr
        )
        return BundleError.exit_code
    return 0


def cmd_receipts_import(args: argparse.Namespace) -> int:
    from kpfield.services.transfer import import_receipts

    s = _session(args)
    try:
        r = import_receipts(s, Path(args.dir))
    finally:
        s.close()
    print(
        f"{r.receipts} new receipt(s), {r.already_seen} seen before; {r.acknowledged} report(s)"
        f" acknowledged, {r.purged} purged from this laptop."
    )
    if r.gaps:
        print(f"HQ is missing bundle(s) {_ranges(r.gaps)} from this laptop: export them again.")
    for p in r.problems:
        print(f"kpfield: {p}", file=sys.stderr)
    return 3 if r.problems else 0


def register(sub: Any, leaf: Callable[..., Any]) -> None:
    """Add the transfer commands to the ``kpfield`` parser."""
    kp = sub.add_parser("keys", help="HQ keys: export an identity, remove the backup")
    ksub = kp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(
        ksub,
        "export-identity",
        cmd_keys_export_identity,
        "write an HQ identity file the age CLI accepts (secret!)",
    )
    sp.add_argument("--out", required=True)
    sp.add_argument("--backup", action="store_true", help="export the backup key, not the primary")
    sp = leaf(
        ksub,
        "remove-backup",
        cmd_keys_remove_backup,
        "remove the (exported) backup key from the vault",
    )
    sp.add_argument("--yes", action="store_true")
    sp = leaf(ksub, "show", cmd_keys_show, "show HQ recipients and the signing key fingerprint")
    sp.add_argument("--minisign", action="store_true", help="print the HQ signing public key")

    pp = sub.add_parser("profile", help="the coalition profile (HQ exports, field imports)")
    psub = pp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(psub, "export", cmd_profile_export, "write the signed coalition profile (HQ)")
    sp.add_argument("--out", required=True)
    sp.add_argument("--relay-url")
    sp.add_argument("--idle-lock-minutes", type=int)
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--purge-after-ack", dest="purge_after_ack", action="store_true", default=None)
    g.add_argument("--keep-after-ack", dest="purge_after_ack", action="store_false")
    sp = leaf(psub, "import", cmd_profile_import, "verify and install a profile (field)")
    sp.add_argument("file")
    sp.add_argument("--yes", action="store_true", help="the fingerprint was compared already")
    sp.add_argument("--fingerprint", help="the HQ fingerprint as read to you; must match")
    leaf(psub, "show", cmd_profile_show, "show the installed profile")

    ep = sub.add_parser("enroll", help="enroll field devices at HQ")
    esub = ep.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(esub, "request", cmd_enroll_request, "write this device's enrollment request")
    sp.add_argument("--out", required=True)
    sp = leaf(esub, "approve", cmd_enroll_approve, "pin a device key at HQ")
    sp.add_argument("file")
    sp.add_argument("--yes", action="store_true", help="the fingerprint was compared already")
    sp.add_argument("--fingerprint", help="the device fingerprint as read to you; must match")
    sp = leaf(
        esub,
        "revoke",
        cmd_enroll_revoke,
        "refuse every bundle from a device (a lost or seized laptop)",
    )
    sp.add_argument("device")
    leaf(esub, "list", cmd_enroll_list, "list enrolled devices and their missing bundles")

    sp = leaf(sub, "export", cmd_export, "write sealed reports as encrypted bundles to a folder")
    sp.add_argument("--to", required=True, metavar="DIR")
    sp.add_argument("--again", action="store_true", help="also reports exported before")
    sp.add_argument("--max-bundle-mib", type=int, help="split bundles below this size")

    sp = leaf(sub, "import", cmd_import, "import bundles from files or folders (HQ)")
    sp.add_argument("paths", nargs="+")
    sp.add_argument("--write-receipts", metavar="DIR", help="write HQ receipts to DIR")

    rp = sub.add_parser("receipts", help="HQ receipts (field)")
    rsub = rp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(rsub, "import", cmd_receipts_import, "verify receipts, acknowledge and purge")
    sp.add_argument("dir")
