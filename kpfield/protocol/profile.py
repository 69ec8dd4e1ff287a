"""The coalition profile: HQ recipients, HQ signing key, relay URL, taxonomy and policy, signed.

A profile file is ``{"profile": {...}, "signature": "<minisign text>"}``. A field vault installs
the first profile after the monitor compares the HQ fingerprint out of band; every later profile
must be signed by the same HQ key and carry a serial at least as high (no rollback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kpfield.crypto import age, keys, minisign
from kpfield.domain.taxonomy import Taxonomy
from kpfield.errors import N_, IntegrityError
from kpfield.protocol.signed import Signer, parse_document, sign_document

FORMAT = "kpfield.profile/1"
MAX_PROFILE_BYTES = 1 << 20
DEFAULT_POLICY: dict[str, Any] = {"idle_lock_minutes": 10, "purge_after_acknowledgement": False}


MAX_RELAY_URL = 2048


def valid_relay_url(url: str) -> bool:
    """http(s), a host, no credentials or fragment (a profile may also carry no relay: "")."""
    if url == "":
        return True
    if len(url) > MAX_RELAY_URL or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and not parts.fragment
    )


@dataclass(frozen=True)
class Profile:
    doc: dict[str, Any]

    @property
    def signing_key(self) -> minisign.MinisignPublicKey:
        return minisign.parse_public_key(str(self.doc["hq"]["signing_key"]))

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.signing_key.public_key)

    @property
    def recipients(self) -> list[age.X25519Recipient]:
        return [age.parse_recipient(r) for r in self.doc["hq"]["recipients"]]

    @property
    def serial(self) -> int:
        return int(self.doc["serial"])

    @property
    def relay_url(self) -> str:
        return str(self.doc["relay_url"])

    @property
    def purge_after_acknowledgement(self) -> bool:
        return bool(self.doc["policy"]["purge_after_acknowledgement"])


def build_profile(
    signer: Signer,
    *,
    serial: int,
    issued_at: str,
    recipients: list[str],
    relay_url: str,
    taxonomy: Any,
    policy: dict[str, Any],
) -> bytes:
    """Sign and return a new profile file."""
    doc = {
        "format": FORMAT,
        "serial": serial,
        "issued_at": issued_at,
        "hq": {
            "signing_key": signer.public.to_base64(),
            "key_id": signer.key_id_hex,
            "fingerprint": signer.fingerprint,
            "recipients": recipients,
        },
        "relay_url": relay_url,
        "taxonomy": taxonomy,
        "policy": policy,
    }
    return (
        sign_document(
            "profile",
            doc,
            signer,
            trusted=f"kpfield coalition profile serial {serial}",
            untrusted="KP Field coalition profile",
        )
        + b"\n"
    )


def _check(doc: dict[str, Any]) -> minisign.MinisignPublicKey:
    pub = minisign.parse_public_key(doc["hq"]["signing_key"])
    recips = [age.parse_recipient(r) for r in doc["hq"]["recipients"]]
    if not recips or not isinstance(doc["serial"], int):
        raise ValueError
    if not isinstance(doc["policy"].get("purge_after_acknowledgement"), bool):
        raise ValueError
    if not isinstance(doc["relay_url"], str) or not valid_relay_url(doc["relay_url"]):
        raise ValueError
    Taxonomy.from_json(doc["taxonomy"])
    return pub


def parse_profile(data: bytes) -> Profile:
    """Check a profile file's structure and self-signature (not yet whether we trust the key)."""
    signed, pub = parse_document(
        data,
        kind="profile",
        format=FORMAT,
        max_bytes=MAX_PROFILE_BYTES,
        too_large=N_("The profile file is too large."),
        invalid=N_("This is not a valid KP Field coalition profile."),
        check=_check,
    )
    assert pub is not None  # noqa: S101 - _check returns the key or raises
    signed.verify(pub, N_("The profile's signature does not verify; it was altered."))
    return Profile(signed.doc)


def check_update(current: Profile | None, new: Profile) -> None:
    """A later profile must come from the same HQ key and must not roll back the serial."""
    if current is None:
        return
    if current.signing_key != new.signing_key:
        raise IntegrityError(
            N_(
                "This profile is signed by a different HQ key than the installed one; "
                "it was refused."
            )
        )
    if new.serial < current.serial:
        raise IntegrityError(
            N_("This profile is older than the installed one (serial {old} < {new}); refused."),
            old=new.serial,
            new=current.serial,
        )

