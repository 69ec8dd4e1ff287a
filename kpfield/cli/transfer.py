"""Bundle commands: export (field), import (HQ), receipts import (field).

``kpfield import`` exits 0 when every bundle was imported (or some were, and the rest were
already imported), 3 when any bundle was rejected or when nothing new was imported (a replay).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpfield.cli.common import (
    Subcommands,
    command,
    field_session,
    format_ranges,
    group,
    hq_session,
)
from kpfield.domain.display import safe_text
from kpfield.errors import N_, BundleError, UsageError


def cmd_export(args: argparse.Namespace) -> int:
    from kpfield.services.export import DEFAULT_MAX_BUNDLE_BYTES

    limit = args.max_bundle_mib << 20 if args.max_bundle_mib else DEFAULT_MAX_BUNDLE_BYTES
    with field_session(args) as s:
        result = s.export.to_folder(Path(args.to), again=args.again, max_bundle_bytes=limit)
    if not result.bundles:
        print("Nothing to export: every sealed report was exported already (see --again).")
        return 0
    for b in result.bundles:
        where = safe_text(str(b.path))
        print(f"{where}  bundle {b.sequence}  {b.reports} report(s)  {b.size} bytes  verified")
    print(f"Exported {result.reports} report(s) in {len(result.bundles)} bundle(s).")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with hq_session(args) as s:
        result = s.intake.import_paths(
            [Path(p) for p in args.paths],
            receipts_dir=Path(args.write_receipts) if args.write_receipts else None,
        )
    for o in result.outcomes:
        print(o.line())
    for device, missing in sorted(result.gaps.items()):
        print(f"gap: device {device} is missing bundle(s) {format_ranges(missing)}")
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
    with field_session(args) as s:
        r = s.acknowledgements.import_receipts(Path(args.dir))
    print(
        f"{r.receipts} new receipt(s), {r.already_seen} seen before; {r.acknowledged} report(s)"
        f" acknowledged, {r.purged} purged from this laptop."
    )
    if r.gaps:
        print(
            f"HQ is missing bundle(s) {format_ranges(r.gaps)} from this laptop: export them again."
        )
    for p in r.problems:
        print(f"kpfield: {p}", file=sys.stderr)
    return 3 if r.problems else 0


def register(sub: Subcommands) -> None:
    sp = command(sub, "export", cmd_export, "write sealed reports as encrypted bundles to a folder")
    sp.add_argument("--to", required=True, metavar="DIR")
    sp.add_argument("--again", action="store_true", help="also reports exported before")
    sp.add_argument("--max-bundle-mib", type=int, help="split bundles below this size")

    sp = command(sub, "import", cmd_import, "import bundles from files or folders (HQ)")
    sp.add_argument("paths", nargs="+")
    sp.add_argument("--write-receipts", metavar="DIR", help="write HQ receipts to DIR")

    rsub = group(sub, "receipts", "HQ receipts (field)")
    sp = command(rsub, "import", cmd_receipts_import, "verify receipts, acknowledge and purge")
    sp.add_argument("dir")
