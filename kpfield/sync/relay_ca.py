"""The coalition's CA certificate for an https:// relay: checked before it is trusted.

A monitor picks a file the coalition sent; anything that is not one PEM certificate of a CA
(garbage, a huge file, a server's own certificate, a private key) is refused with words that say
what to ask for, so a wrong pick never silently replaces the system's CAs.
"""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kpfield.errors import N_, UsageError

MAX_CA_BYTES = 64 * 1024
"""A CA certificate is one to three kilobytes; a bigger file is something else."""


@dataclass(frozen=True)
class RelayCa:
    """One checked CA certificate, as kept in the vault (``pem``) and shown to the monitor."""

    pem: str
    subject: str
    fingerprint: str
    """SHA-256 of the certificate, in groups of four hex digits (to read out on the phone)."""
    not_after: str
    """Last day it is valid (ISO date, UTC)."""

    def expired(self, today: dt.date) -> bool:
        return dt.date.fromisoformat(self.not_after) < today


def read_ca_file(path: Path) -> RelayCa:
    """The CA certificate in ``path`` (read no further than :data:`MAX_CA_BYTES`), checked."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CA_BYTES + 1)
    except OSError:
        raise UsageError(N_("Cannot read {path}."), path=str(path)) from None
    return read_ca(data)


def read_ca(data: bytes) -> RelayCa:
    """``data`` as one PEM CA certificate, or a :class:`UsageError` that says what is wrong."""
    if len(data) > MAX_CA_BYTES:
        raise UsageError(
            N_("This file is too large to be a CA certificate (more than {limit} kB)."),
            limit=MAX_CA_BYTES // 1024,
        )
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise UsageError(
            N_(
                "This file is not a certificate in PEM form (a text file with a block that"
                " starts with -----BEGIN CERTIFICATE-----)."
            )
        )
    if len(certs) > 1:
        raise UsageError(
            N_(
                "This file holds {count} certificates; choose the file with the coalition's"
                " CA certificate alone."
            ),
            count=len(certs),
        )
    cert = certs[0]
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except (x509.ExtensionNotFound, ValueError):
        is_ca = False
    if not is_ca:
        raise UsageError(
            N_(
                "This certificate is not a CA certificate (it is a server's or a person's). Ask"
                " the coalition for the CA certificate that signed the relay's certificate."
            )
        )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    try:
        ssl.create_default_context(cadata=pem)  # what a sync will do with it
    except (ssl.SSLError, ValueError):
        raise UsageError(N_("This CA certificate cannot be used for TLS.")) from None
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return RelayCa(
        pem=pem,
        subject=cert.subject.rfc4514_string() or f"{cert.serial_number:x}",
        fingerprint=" ".join(digest[i : i + 4] for i in range(0, len(digest), 4)),
        not_after=cert.not_valid_after_utc.date().isoformat(),
    )
