"""HQ issues the coalition profile; the settings given to an export are remembered for the next."""

from __future__ import annotations

import json
from typing import Any

from kpfield.errors import N_, UsageError
from kpfield.hq import keys as hq_keys
from kpfield.paths import resources_dir
from kpfield.protocol.profile import DEFAULT_POLICY, build_profile, valid_relay_url
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

MAX_IDLE_LOCK_MINUTES = 24 * 60


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
    """Sign and return a new profile file; settings given here are remembered."""
    signer = hq_keys.hq_signer(vault)
    policy = hq_policy(vault)
    if purge_after_acknowledgement is not None:
        policy["purge_after_acknowledgement"] = purge_after_acknowledgement
    if idle_lock_minutes is not None:
        if not 1 <= idle_lock_minutes <= MAX_IDLE_LOCK_MINUTES:
            raise UsageError(N_("The idle lock must be between 1 and 1440 minutes."))
        policy["idle_lock_minutes"] = idle_lock_minutes
    url = vault.meta("hq_relay_url") if relay_url is None else relay_url.strip()
    if not valid_relay_url(url):
        raise UsageError(
            N_(
                "The relay URL must start with http:// or https:// and name a host"
                " (no password, no #fragment): {url}"
            ),
            url=url[:200],
        )
    serial = int(vault.meta("hq_profile_serial", "0")) + 1
    raw_taxonomy = vault.meta("taxonomy_json")
    data = build_profile(
        signer,
        serial=serial,
        issued_at=issued_at,
        recipients=hq_keys.recipients(vault),
        relay_url=url,
        taxonomy=json.loads(raw_taxonomy) if raw_taxonomy else _default_taxonomy(),
        policy=policy,
    )
    with transaction(vault.conn):
        vault.set_meta("hq_profile_serial", str(serial))
        # Kept so that `kpfield pull` can hand the latest profile to devices through the relay.
        vault.set_meta("hq_profile_file", data.decode("utf-8"))
        vault.set_meta("hq_policy_json", json.dumps(policy, sort_keys=True))
        vault.set_meta("hq_relay_url", url)
    return data


def _default_taxonomy() -> Any:
    return json.loads((resources_dir() / "taxonomy.json").read_text(encoding="utf-8"))
