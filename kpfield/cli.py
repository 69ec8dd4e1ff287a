"""The ``kpfield`` command: the headless twin of every GUI action.

Exit codes: 0 success, 1 unexpected internal error, 2 usage/vault/validation error,
3 verification or integrity failure, 130 cancelled.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kpfield import __version__
from kpfield.app import Session, configure_logging, create_session, harden_process, open_session
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, KpfieldError, UsageError
from kpfield.paths import default_data_dir
from kpfield.vault import keyslots
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.vault import VaultPaths, wipe

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


# ---------------------------------------------------------------------- passphrases
def _read_secret_file(path: str) -> str:
    try:
        # utf-8-sig: a file saved by Notepad starts with a BOM that must not become part of it.
        with open(path, encoding="utf-8-sig") as fh:
            line = fh.readline()
    except OSError as exc:
        raise UsageError(
            N_("The passphrase file {name} cannot be read ({reason})."),
            name=path,
            reason=exc.strerror,
        ) from None
    except UnicodeDecodeError:
        raise UsageError(N_("The passphrase file {name} is not UTF-8 text."), name=path) from None
    secret = line.rstrip("\r\n")
    if not secret:
        raise UsageError(N_("The passphrase file {name} is empty."), name=path)
    return secret


def _passphrase(
    args: argparse.Namespace, *, prompt: str = "Passphrase: ", confirm: bool = False
) -> str:
    if getattr(args, "passphrase_file", None):
        return _read_secret_file(args.passphrase_file)
    return _prompt(prompt, confirm)


def _prompt(prompt: str, confirm: bool) -> str:
    if not sys.stdin.isatty():
        raise UsageError(
            N_("No passphrase given: use --passphrase-file FILE when not at a terminal.")
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat: ") != first:
        raise UsageError(N_("The two passphrases differ."))
    if not first:
        raise UsageError(N_("The passphrase must not be empty."))
    return first


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def _open(args: argparse.Namespace) -> Session:
    return open_session(_data_dir(args), _passphrase(args))


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------------- vault commands
def cmd_init(args: argparse.Namespace) -> int:
    params: KdfParams | None = None
    if args.kdf_memory_mib or args.kdf_iterations:
        # Explicit, for tests and slow machines; never chosen silently.
        base = KdfParams.cheap_for_tests()
        params = KdfParams(
            memory_kib=max((args.kdf_memory_mib or 8) * 1024, keyslots.MIN_MEMORY_KIB),
            iterations=args.kdf_iterations or 1,
            lanes=1,
            salt=base.salt,
        )
    passphrase = _passphrase(args, prompt="New passphrase: ", confirm=True)
    s = create_session(
        _data_dir(args), passphrase, role=args.role, params=params, device_name=args.device_name
    )
    try:
        from kpfield.custody.seal import device_identity

        ident = device_identity(s.vault)
        print(f"Created a {args.role} vault in {_data_dir(args)}")
        print(f"Device fingerprint: {ident.fingerprint}")
    finally:
        s.close()
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        from kpfield.custody.seal import device_identity

        ident = device_identity(s.vault)
        if args.minisign:
            from kpfield.crypto import minisign

            sys.stdout.write(
                minisign.MinisignPublicKey(ident.key_id, ident.public_key).to_text(
                    f"KP Field device {ident.device_id}"
                )
            )
            return 0
        print(f"Device id:   {ident.device_id}")
        print(f"Role:        {s.vault.role}")
        print(f"Fingerprint: {ident.fingerprint}")
    finally:
        s.close()
    return 0


def cmd_passphrase_change(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        old = _passphrase(args)
        new = (
            _read_secret_file(args.new_passphrase_file)
            if args.new_passphrase_file
            else _prompt("New passphrase: ", True)
        )
        s.vault.change_passphrase(old, new)
        print("Passphrase changed.")
    finally:
        s.close()
    return 0


def cmd_passphrase_duress(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        current = _passphrase(args)
        if args.remove:
            s.vault.set_duress_passphrase(current, None)
            print("Duress passphrase removed.")
            return 0
        duress = (
            _read_secret_file(args.duress_passphrase_file)
            if args.duress_passphrase_file
            else _prompt("Duress passphrase: ", True)
        )
        s.vault.set_duress_passphrase(current, duress)
        print("Duress passphrase set. Entering it at unlock erases this vault without a warning.")
    finally:
        s.close()
    return 0


def cmd_passphrase_limit(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        s.vault.set_failed_unlock_limit(args.limit)
        if args.limit:
            print(f"The vault will erase itself after {args.limit} failed unlocks in a row.")
        else:
            print("No limit on failed unlocks.")
    finally:
        s.close()
    return 0


def cmd_wipe(args: argparse.Namespace) -> int:
    root = _data_dir(args)
    if not VaultPaths(root).exists() and not (root / "vault.db").exists():
        raise UsageError(N_("No vault was found in {path}."), path=str(root))
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(N_("Refusing to wipe without --yes when not at a terminal."))
        answer = input("Type WIPE to erase this vault for ever: ")
        if answer.strip() != "WIPE":
            print("Nothing was erased.")
            return 1
    removed = wipe(root)
    print("Vault erased. Removed: " + ", ".join(removed))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from kpfield.services.repair import repair_derivatives
    from kpfield.services.verify import verify_vault

    s = _open(args)
    try:
        result = verify_vault(s.vault)
        if args.repair and result.repairable:
            for d in result.repairable:
                print(f"REPAIRABLE: {d}", file=sys.stderr)
            repaired = repair_derivatives(s.vault, result.repairable)
            for f in repaired.failed:
                print(f"NOT REPAIRED: {f}", file=sys.stderr)
            print(f"Regenerated {repaired.regenerated} damaged thumbnails; verifying again.")
            result = verify_vault(s.vault)
    finally:
        s.close()
    print(
        f"Checked {result.custody_entries} custody entries, {result.sealed_reports} sealed reports,"
        f" {result.attachments} attachments, {result.thumbnails} thumbnails"
        + (
            f", {result.imported_attachments} imported attachments"
            if result.imported_attachments
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


# ---------------------------------------------------------------------- reports
def _row_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status.value,
        "title": r.title,
        "incident_date": r.incident_date,
        "country": r.country,
        "categories": list(r.categories),
        "updated_at": r.updated_at,
        "version": r.version,
    }


def _print_rows(rows: Sequence[Any], as_json: bool) -> None:
    if as_json:
        _print_json([_row_json(r) for r in rows])
        return
    for r in rows:
        print(f"{r.id}  {r.status.value:<12} {r.incident_date or '—':<10}  {r.title}")
    if not rows:
        print("No reports.")


def cmd_report_new(args: argparse.Namespace) -> int:
    path = Path(args.from_file)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise UsageError(
                N_("{name} is too large for a report document (limit {mib} MiB)."),
                name=str(path),
                mib=MAX_DOCUMENT_BYTES >> 20,
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(N_("{name} does not exist."), name=str(path)) from None
    except (OSError, UnicodeDecodeError):
        raise UsageError(N_("{name} cannot be read as UTF-8 text."), name=str(path)) from None
    except json.JSONDecodeError as exc:
        raise UsageError(
            N_("{name} is not valid JSON (line {line}, column {col}: {msg})."),
            name=str(path),
            line=exc.lineno,
            col=exc.colno,
            msg=exc.msg,
        ) from None
    s = _open(args)
    try:
        rid = s.reports.create_from_document(raw)
    finally:
        s.close()
    print(rid)
    return 0


def cmd_report_show(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        rid = s.reports.resolve(args.id)
        doc = s.reports.document(rid)
    finally:
        s.close()
    if args.json:
        _print_json(doc)
        return 0
    print(f"{doc['title']}  [{doc['status']}, version {doc['version']}]")
    print(f"Id: {doc['id']}")
    inc = doc["incident"]
    if inc.get("date"):
        print(f"Date: {inc['date']['date']} ({inc['date']['precision']})")
    place = doc["place"]
    print(f"Place: {', '.join(p for p in (place['site'], place['area'], place['country']) if p)}")
    print(f"Categories: {', '.join(inc['categories'])}")
    print(f"Witnesses: {', '.join(w['pseudonym'] for w in doc['witnesses']) or '—'}")
    print(f"Attachments: {len(doc['attachments'])}")
    print()
    print(doc["narrative"])
    return 0


def cmd_report_list(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        status = ReportStatus(args.status) if args.status else None
        rows = s.reports.list_reports(status=status, category=args.category)
    finally:
        s.close()
    _print_rows(rows, args.json)
    return 0


def cmd_report_search(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        rows = s.reports.search(" ".join(args.query))
    finally:
        s.close()
    _print_rows(rows, args.json)
    return 0


def cmd_report_seal(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        report = s.reports.seal(s.reports.resolve(args.id))
    finally:
        s.close()
    print(f"Sealed {report.id} (version {report.version}).")
    return 0


def cmd_report_amend(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        new = s.reports.amend(s.reports.resolve(args.id))
    finally:
        s.close()
    print(new.id)
    return 0


def cmd_report_trail(args: argparse.Namespace) -> int:
    s = _open(args)
    try:
        entries = s.reports.custody_trail(s.reports.resolve(args.id))
    finally:
        s.close()
    if args.json:
        _print_json(
            [
                {
                    "seq": e.seq,
                    "event": e.event,
                    "at": e.at,
                    "details": e.details,
                    "hash": e.entry_hash,
                }
                for e in entries
            ]
        )
        return 0
    for e in entries:
        print(f"{e.seq:>6}  {e.at}  {e.event:<12} {e.entry_hash[:16]}")
    return 0


def cmd_attach(args: argparse.Namespace) -> int:
    s = _open(args)
    failures = 0
    try:
        rid = s.reports.resolve(args.report)
        for name in args.files:
            try:
                att = s.reports.attach_file(rid, Path(name))
            except KpfieldError as exc:
                failures += 1
                print(f"kpfield: {name}: {exc.message}", file=sys.stderr)
                continue
            print(f"{att.id}  {att.sha256}  {att.original_name}")
    finally:
        s.close()
    return 2 if failures else 0


def cmd_attachment_stripped(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists():
        raise UsageError(N_("{name} already exists; choose a new file name."), name=str(out))
    s = _open(args)
    try:
        data = s.reports.stripped_copy(args.id)
    finally:
        s.close()
    from kpfield.fsutil import atomic_write

    atomic_write(out, data)
    print(f"Wrote a metadata-free copy to {out}. It is NOT encrypted: keep it safe or delete it.")
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from kpfield.gui.main import run_gui
    except ImportError as exc:
        raise UsageError(
            N_("The desktop interface is not available ({reason})."), reason=str(exc)
        ) from None
    return int(run_gui(args.data_dir))


# ---------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="vault folder (default: the platform's data folder)")
    common.add_argument(
        "--passphrase-file", metavar="FILE", help="read the passphrase from FILE's first line"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log ids and counts to stderr")

    p = argparse.ArgumentParser(
        prog="kpfield",
        description="KP Field: encrypted field documentation for Kimberley Process monitors.",
    )
    p.add_argument("--version", action="version", version=f"kpfield {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def leaf(parent: Any, name: str, func: Handler, help_: str) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=help_)
        sp.set_defaults(func=func)
        return sp

    sp = leaf(sub, "init", cmd_init, "create a new vault")
    sp.add_argument("--role", choices=["field", "hq"], default="field")
    sp.add_argument("--device-name", default="")
    sp.add_argument("--kdf-memory-mib", type=int, help=argparse.SUPPRESS)
    sp.add_argument("--kdf-iterations", type=int, help=argparse.SUPPRESS)

    sp = leaf(sub, "identity", cmd_identity, "show this vault's device fingerprint")
    sp.add_argument(
        "--minisign", action="store_true", help="print the public key in minisign format"
    )

    pp = sub.add_parser(
        "passphrase", help="change the passphrase, set a duress passphrase or limit"
    )
    psub = pp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(psub, "change", cmd_passphrase_change, "change the passphrase")
    sp.add_argument("--new-passphrase-file", metavar="FILE")
    sp = leaf(psub, "duress", cmd_passphrase_duress, "set or remove the duress passphrase")
    sp.add_argument("--duress-passphrase-file", metavar="FILE")
    sp.add_argument("--remove", action="store_true")
    sp = leaf(psub, "limit", cmd_passphrase_limit, "erase after N failed unlocks (0: off)")
    sp.add_argument("limit", type=int)

    sp = leaf(sub, "wipe", cmd_wipe, "erase the vault now (keys first)")
    sp.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sp = leaf(sub, "verify", cmd_verify, "check the custody chain, seals and every stored file")
    sp.add_argument(
        "--repair", action="store_true", help="regenerate damaged thumbnails from their originals"
    )

    rp = sub.add_parser("report", help="create, list, search, show, seal and amend reports")
    rsub = rp.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(rsub, "new", cmd_report_new, "create a draft from a JSON document")
    sp.add_argument("--from", dest="from_file", required=True, metavar="FILE.json")
    sp = leaf(rsub, "show", cmd_report_show, "show one report")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")
    sp = leaf(rsub, "list", cmd_report_list, "list reports")
    sp.add_argument("--status", choices=[s.value for s in ReportStatus])
    sp.add_argument("--category")
    sp.add_argument("--json", action="store_true")
    sp = leaf(rsub, "search", cmd_report_search, "full-text search")
    sp.add_argument("query", nargs="+")
    sp.add_argument("--json", action="store_true")
    sp = leaf(
        rsub, "seal", cmd_report_seal, "seal a complete draft (signs it; it can no longer change)"
    )
    sp.add_argument("id")
    sp = leaf(rsub, "amend", cmd_report_amend, "start a new draft version of a sealed report")
    sp.add_argument("id")
    sp = leaf(rsub, "trail", cmd_report_trail, "show a report's custody trail")
    sp.add_argument("id")
    sp.add_argument("--json", action="store_true")

    sp = leaf(sub, "attach", cmd_attach, "add photos or files to a draft")
    sp.add_argument("report")
    sp.add_argument("files", nargs="+")

    ap = sub.add_parser("attachment", help="work with stored attachments")
    asub = ap.add_subparsers(dest="subcommand", metavar="ACTION", required=True)
    sp = leaf(asub, "stripped", cmd_attachment_stripped, "write a metadata-free copy of a photo")
    sp.add_argument("id")
    sp.add_argument("--out", required=True)

    leaf(sub, "gui", cmd_gui, "start the desktop app (the default)")

    from kpfield import cli_transfer

    cli_transfer.register(sub, leaf)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    harden_process()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:
            return cmd_gui(argparse.Namespace(data_dir=None))
        parser.print_help()
        return 2
    configure_logging(getattr(args, "verbose", False))
    try:
        return int(args.func(args))
    except KpfieldError as exc:
        print(f"kpfield: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kpfield: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence: never show a traceback
        log.error("unexpected %s", type(exc).__name__)
        print(
            f"kpfield: internal error ({type(exc).__name__}). Nothing was changed by this failed "
            "step; please report it with the command you ran.",
            file=sys.stderr,
        )
        return 1
