"""Network commands: sync (field) and pull (HQ).

``kpfield sync`` exits 0 only when everything pending was delivered and HQ's documents were all
accepted; otherwise it prints one line saying why and exits 4 (the relay could not be reached or
refused the work), 3 (something failed verification: a forged receipt, a wrong relay key, a
document not signed by HQ) or 2 (usage). ``kpfield pull`` exits 0 when every new bundle was
imported (or none was new), 3 when one was rejected, 4 when the relay could not be reached.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from kpfield.cli.common import Subcommands, command, field_session, format_ranges, hq_session

EXIT_NETWORK = 4
EXIT_INTEGRITY = 3


def _terminal_progress(label: str) -> Callable[[int, int], None] | None:
    """Progress on stderr, only when it is a terminal (scripts get the summary alone)."""
    if not sys.stderr.isatty():
        return None
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-3)
        sys.stderr.write(
            f"\r{label}: {done / 1e6:7.2f} of {total / 1e6:.2f} MB  ({rate / 1e3:6.1f} kB/s)"
        )
        sys.stderr.flush()

    return show


def _settings(args: argparse.Namespace) -> object:
    from kpfield.services.sync_common import SyncSettings

    settings = SyncSettings()
    if args.stall_floor is not None:
        settings.min_stall = args.stall_floor
        settings.connect_timeout = min(settings.connect_timeout, args.stall_floor)
    if args.retry_base is not None:
        settings.backoff_base = args.retry_base
        settings.backoff_cap = max(args.retry_base, min(settings.backoff_cap, args.retry_base * 8))
    if args.max_failures is not None:
        settings.max_failures = args.max_failures
    if args.relay_ca is not None:
        settings.ca_file = str(args.relay_ca)
    return settings


def cmd_sync(args: argparse.Namespace) -> int:
    with field_session(args) as s:
        s.sync.settings = _settings(args)  # type: ignore[assignment]
        r = s.sync.run(relay_url=args.relay, proxy=args.proxy, progress=_terminal_progress("sync"))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    a = r.receipts
    print(
        f"{r.exported} new bundle(s), {r.delivered} delivered to the relay, {r.pending} still"
        f" pending; {a.receipts} receipt(s) from HQ: {a.acknowledged} report(s) acknowledged,"
        f" {a.purged} purged from this laptop."
    )
    if r.gaps:
        print(f"HQ is missing bundle(s) {format_ranges(r.gaps)} from this laptop.")
    if r.resend:
        print(f"Bundle(s) {format_ranges(r.resend)} will be sent again.")
    if r.profile_serial is not None:
        print(f"Coalition profile serial {r.profile_serial} installed.")
    for p in [*a.problems, *r.problems]:
        print(f"kpfield: {p}", file=sys.stderr)
    if r.revoked:
        print(
            "kpfield: HQ has revoked this laptop; nothing more is accepted from it.",
            file=sys.stderr,
        )
        return EXIT_INTEGRITY
    if r.refused_by_security or r.problems or a.problems:
        reason = r.failures[0] if r.failures else "a document from the relay was refused"
        print(f"kpfield: sync refused: {reason}", file=sys.stderr)
        return EXIT_INTEGRITY
    if r.failures or r.pending:
        reason = r.failures[0] if r.failures else f"{r.pending} bundle(s) not delivered"
        print(f"kpfield: sync incomplete: {reason}", file=sys.stderr)
        return EXIT_NETWORK
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        s.pull.settings = _settings(args)  # type: ignore[assignment]
        r = s.pull.run(relay_url=args.relay, proxy=args.proxy)
    if r.device_list_serial is not None:
        print(f"Device list serial {r.device_list_serial} is on the relay.")
    for o in r.outcomes:
        print(o.line())
    print(
        f"{r.imported} bundle(s) imported, {r.rejected} rejected; {r.receipts_posted} receipt(s),"
        f" {r.gap_notices} gap notice(s), {r.profiles_posted} profile(s) posted for devices."
    )
    for device, missing in sorted(r.gaps.items()):
        print(f"gap: device {device} is missing bundle(s) {format_ranges(missing)}")
    if r.failures:
        print(f"kpfield: pull incomplete: {r.failures[0]}", file=sys.stderr)
        return EXIT_NETWORK
    if r.rejected:
        print(
            f"kpfield: {r.rejected} bundle(s) rejected; nothing from them was imported.",
            file=sys.stderr,
        )
        return EXIT_INTEGRITY
    return 0


def _network_options(sp: argparse.ArgumentParser, relay_default: str = "the profile's") -> None:
    sp.add_argument("--relay", metavar="URL", help=f"relay URL (default: {relay_default})")
    sp.add_argument("--proxy", metavar="URL", help="proxy, e.g. socks5h://127.0.0.1:9050 (Tor)")
    sp.add_argument(
        "--relay-ca",
        metavar="FILE",
        help="trust only this CA certificate (PEM) for an https:// relay, not the system's CAs"
        " (sync's default: the CA kept in the vault from the sync dialog, if one was chosen)",
    )
    # For tests and benchmarks on 127.0.0.1: shorter waits than a real slow link needs.
    sp.add_argument("--stall-floor", type=float, help=argparse.SUPPRESS)
    sp.add_argument("--retry-base", type=float, help=argparse.SUPPRESS)
    sp.add_argument("--max-failures", type=int, help=argparse.SUPPRESS)


def register(sub: Subcommands) -> None:
    sp = command(sub, "sync", cmd_sync, "send sealed reports to the relay, fetch HQ's receipts")
    _network_options(sp, "the one set in the sync panel, else the profile's")
    sp = command(
        sub, "pull", cmd_pull, "HQ: publish the device list, import bundles from the relay"
    )
    _network_options(sp)
