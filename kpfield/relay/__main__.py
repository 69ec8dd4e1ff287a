"""``python -m kpfield.relay``: the relay commands alone (what tests and a bare server run)."""

from __future__ import annotations

import argparse
import logging
import sys

from kpfield.errors import KpfieldError, missing_extra
from kpfield.relay.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kpfield")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except KpfieldError as exc:
        print(f"kpfield: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except ModuleNotFoundError as exc:
        missing = missing_extra(exc)  # e.g. --database without the relay-scale extra
        if missing is None:
            raise
        print(f"kpfield: {missing.message}", file=sys.stderr)
        return missing.exit_code


if __name__ == "__main__":
    sys.exit(main())
