"""Verify what a version-2 bundle carries besides reports, after its reports have verified.

A witness identity must name reports of the same bundle, each citing the witness with a sealed
``identity_sha256`` equal to the salted hash of the details it carries; a withdrawal notice must
verify with the device key that signed the manifest. Anything else rejects the whole bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kpfield.bundle import manifest as mf
from kpfield.crypto import minisign
from kpfield.errors import N_, BundleError, IntegrityError
from kpfield.protocol.withdrawal import Withdrawal, parse_withdrawal
from kpfield.protocol.witness_identity import TravellingIdentity, parse_identity


@dataclass(frozen=True)
class VerifiedWithdrawal:
    notice: Withdrawal
    data: bytes  # the signed notice, as received
    sha256: str


def _cited(doc: dict[str, Any], witness_id: str) -> dict[str, Any] | None:
    for w in doc.get("witnesses") or []:
        if isinstance(w, dict) and w.get("id") == witness_id:
            return w
    return None


def verify_identities(
    manifest: mf.Manifest, small: dict[str, bytes], docs: dict[str, dict[str, Any]]
) -> list[TravellingIdentity]:
    """Each identity's salted hash equals what every report it names sealed for the witness."""
    out = []
    for entry in manifest.identities:
        ident = parse_identity(small[entry.member])
        short = entry.witness_id[:8]
        if ident.witness_id != entry.witness_id:
            raise BundleError(
                N_("witness identity {witness} is filed under another id"), witness=short
            )
        commitment = ident.commitment
        for rid in ident.reports:
            doc = docs.get(rid)
            cited = None if doc is None else _cited(doc, ident.witness_id)
            if cited is None or cited.get("identity_sha256") != commitment:
                raise BundleError(
                    N_(
                        "witness identity {witness} does not match the salted hash sealed in"
                        " report {report}"
                    ),
                    witness=short,
                    report=rid[:8],
                )
        out.append(ident)
    return out


def verify_withdrawals(
    manifest: mf.Manifest, small: dict[str, bytes], signer: minisign.MinisignPublicKey
) -> list[VerifiedWithdrawal]:
    out = []
    for entry in manifest.withdrawals:
        data = small[entry.member]
        try:
            notice, signed = parse_withdrawal(data, signer)
        except IntegrityError as exc:
            raise BundleError(exc.template, **exc.params) from None
        if notice.notice_id != entry.notice_id:
            raise BundleError(N_("a consent withdrawal notice is filed under another id"))
        out.append(VerifiedWithdrawal(notice, data, signed.sha256))
    return out
