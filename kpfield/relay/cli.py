"""``kpfield relay init`` and ``kpfield relay serve``; building the parser imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``relay`` command group to a ``kpfield`` sub-parser set."""
    relay = sub.add_parser("relay", help="run the relay server (ciphertext only)")
    cmds = relay.add_subparsers(dest="relay_command", required=True)
    init = cmds.add_parser("init", help="make the relay's key and record HQ's public key")
    init.add_argument("--data-dir", type=Path, required=True)
    init.add_argument("--hq-public", type=Path, required=True, help="kpfield.hq-public/1 file")
    _backend_options(init)
    init.set_defaults(func=_init)
    serve = cmds.add_parser("serve", help="accept bundles until interrupted")
    serve.add_argument("--data-dir", type=Path, required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--cert", type=Path, help="TLS certificate (PEM)")
    serve.add_argument("--key", type=Path, help="TLS private key (PEM)")
    _backend_options(serve)
    serve.add_argument("--read-timeout", type=float, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)


def _backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="postgresql://USER@HOST:PORT/DB",
        help="shared PostgreSQL ledger (password from PGPASSWORD or ~/.pgpass); with --objects",
    )
    parser.add_argument(
        "--objects",
        metavar="s3://BUCKET?endpoint=URL",
        help="shared S3-compatible bucket for bundle bytes (credentials from AWS_* variables)",
    )


def _init(args: argparse.Namespace) -> int:
    from kpfield.errors import N_, UsageError
    from kpfield.relay.backends import check_urls, open_storage
    from kpfield.relay.config import init_data_dir

    check_urls(args.database, args.objects)
    try:
        data = args.hq_public.read_bytes()
    except OSError:
        raise UsageError(N_("Cannot read {path}."), path=str(args.hq_public)) from None
    if args.database is not None:  # reach the shared store before making a key for it
        open_storage(args.data_dir, args.database, args.objects).close()
    identity = init_data_dir(args.data_dir, data)
    print(f"relay key fingerprint: {identity.fingerprint}")
    print(f"HQ key fingerprint:    {identity.hq.fingerprint}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kpfield.errors import N_, UsageError
    from kpfield.relay.config import Limits
    from kpfield.relay.server import serve

    if (args.cert is None) != (args.key is None):
        raise UsageError(N_("--cert and --key go together."))
    if args.cert is not None:
        _check_tls(args.cert, args.key)
    limits = Limits()
    if args.read_timeout is not None:
        limits = replace(limits, read_timeout=args.read_timeout)
    serve(
        args.data_dir,
        args.host,
        args.port,
        cert=args.cert,
        key=args.key,
        limits=limits,
        database=args.database,
        objects=args.objects,
    )
    return 0


def _check_tls(cert: Path, key: Path) -> None:
    """Load the certificate and key once before serving: a wrong file is one clear line, not a
    failure inside the server."""
    import ssl

    from kpfield.errors import N_, UsageError

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise UsageError(
            N_("Cannot use the TLS certificate {cert} with the key {key} ({reason})."),
            cert=str(cert),
            key=str(key),
            reason=type(exc).__name__,
        ) from None
