"""The coalition profile: HQ recipients, HQ signing key, relay URL, taxonomy and policy, signed.

A profile file is canonical JSON ``{"profile": {...}, "signature": "<minisign text>"}``; the
signature covers the canonical JSON of ``profile``. A field vault installs the first profile it is
given after the monitor compares the HQ fingerprint out of band; every later profile must be signed
by the same HQ key and carry a serial at least as high (no rollback to an older profile).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kpfield.crypto import age, keys, minisign
from kpfield.custody.canonical import canonical_json
from kpfield.errors import N_, CryptoError, IntegrityError, UsageError, ValidationError
from kpfield.hq import keys as hq_keys
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

FORMAT = "kpfield.profile/1"
MAX_PROFILE_BYTES = 1 << 20
DEFAULT_POLICY = {"idle_lock_minutes": 10, "purge_after_acknowledgement": False}


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
    def purge_after_acknowledgement(self) -> bool:
        return bool(self.doc["policy"]["purge_after_acknowledgement"])


def hq_policy(vault: Vault) -> dict[str, Any]:
    raw = vault.meta("hq_policy_json")
    return dict(DEFAULT_POLICY, **json.loads(raw)) if raw else dict(DEFAULT_POLICY)


def export_profile(
    vault: Vault,
    *,
    issued_at: str,
    relay_url: str | None = None,
    purge_after_acknowledgement: bool | None = None,
    idle_lock_minutes: int | None = None,
) -> bytes:
    """Sign and return a new profile file (HQ); settings given here are remembered."""
    signer = hq_keys.hq_signer(vault)
    policy = hq_policy(vault)
    if purge_after_acknowledgement is not None:
        policy["purge_after_acknowledgement"] = purge_after_acknowledgement
    if idle_lock_minutes is not None:
        if not 1 <= idle_lock_minutes <= 24 * 60:
            raise UsageError(N_("The idle lock must be between 1 and 1440 minutes."))
        policy["idle_lock_minutes"] = idle_lock_minutes
    url = vault.meta("hq_relay_url") if relay_url is None else relay_url
    serial = int(vault.meta("hq_profile_serial", "0")) + 1
    doc = {
        "format": FORMAT,
        "serial": serial,
        "issued_at": issued_at,
        "hq": {
            "signing_key": signer.public.to_base64(),
            "key_id": signer.key_id_hex,
            "fingerprint": signer.fingerprint,
            "recipients": hq_keys.recipients(vault),
        },
        "relay_url": url,
        "taxonomy": _taxonomy_json(vault),
        "policy": policy,
    }
    body = canonical_json(doc)
    signature = minisign.sign(
        signer.key,
        signer.public.key_id,
        body,
        trusted_comment=f"kpfield coalition profile serial {serial}",
        untrusted_comment="KP Field coalition profile",
    )
    with transaction(vault.conn):
        vault.set_meta("hq_profile_serial", str(serial))
        vault.set_meta("hq_policy_json", json.dumps(policy, sort_keys=True))
        vault.set_meta("hq_relay_url", url)
    return canonical_json({"profile": doc, "signature": signature}) + b"\n"


def _taxonomy_json(vault: Vault) -> Any:
    raw = vault.meta("taxonomy_json")
    if raw:
        return json.loads(raw)
    from kpfield.paths import resources_dir

    return json.loads((resources_dir() / "taxonomy.json").read_text(encoding="utf-8"))


def parse_profile(data: bytes) -> Profile:
    """Check a profile file's structure and self-signature (not yet whether we trust the key)."""
    if len(data) > MAX_PROFILE_BYTES:
        raise IntegrityError(N_("The profile file is too large."))
    try:
        raw = json.loads(data.decode("utf-8"))
        doc = raw["profile"]
        signature = raw["signature"]
        if set(raw) != {"profile", "signature"} or doc.get("format") != FORMAT:
            raise ValueError
        pub = minisign.parse_public_key(doc["hq"]["signing_key"])
        recips = [age.parse_recipient(r) for r in doc["hq"]["recipients"]]
        if not recips or not isinstance(doc["serial"], int) or not isinstance(signature, str):
            raise ValueError
        policy = doc["policy"]
        if not isinstance(policy.get("purge_after_acknowledgement"), bool):
            raise ValueError
        if not isinstance(doc["relay_url"], str):
            raise ValueError
        from kpfield.domain.taxonomy import Taxonomy

        Taxonomy.from_json(doc["taxonomy"])
    except (
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        CryptoError,
        RecursionError,
        ValidationError,
    ):
        raise IntegrityError(N_("This is not a valid KP Field coalition profile.")) from None
    try:
        minisign.verify(pub, signature, canonical_json(doc))
    except CryptoError:
        raise IntegrityError(
            N_("The profile's signature does not verify; it was altered.")
        ) from None
    return Profile(doc)


def installed_profile(vault: Vault) -> Profile | None:
    raw = vault.meta("profile_json")
    return Profile(json.loads(raw)) if raw else None


def install_profile(vault: Vault, data: bytes) -> Profile:
    """Verify and install a profile on a field vault; a later one needs the same HQ key."""
    hq_keys.require_field(vault)
    profile = parse_profile(data)
    current = installed_profile(vault)
    if current is not None:
        if current.signing_key != profile.signing_key:
            raise IntegrityError(
                N_(
                    "This profile is signed by a different HQ key than the installed one; "
                    "it was refused."
                )
            )
        if profile.serial < current.serial:
            raise IntegrityError(
                N_("This profile is older than the installed one (serial {old} < {new}); refused."),
                old=profile.serial,
                new=current.serial,
            )
    with transaction(vault.conn):
        vault.set_meta("profile_json", canonical_json(profile.doc).decode("utf-8"))
        vault.set_meta("taxonomy_json", json.dumps(profile.doc["taxonomy"], sort_keys=True))
    return profile


def require_profile(vault: Vault) -> Profile:
    profile = installed_profile(vault)
    if profile is None:
        raise UsageError(
            N_(
                "No coalition profile is installed. Ask HQ for one, then install it with "
                "Vault → Install coalition profile (or: kpfield profile import)."
            )
        )
    return profile
