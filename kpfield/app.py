"""Composition root: builds the services for one unlocked vault. No globals."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from kpfield.domain.taxonomy import Taxonomy, load_taxonomy
from kpfield.paths import resources_dir
from kpfield.services.clock import Clock, SystemClock
from kpfield.services.reports import ReportService
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.vault import Vault


def harden_process() -> None:
    """Files we create are private; no core dumps that could hold keys."""
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on Windows
        pass


def default_taxonomy() -> Taxonomy:
    return load_taxonomy(resources_dir() / "taxonomy.json")


@dataclass
class Session:
    """Everything that lives while a vault is unlocked."""

    vault: Vault
    reports: ReportService
    clock: Clock = field(default_factory=SystemClock)

    def close(self) -> None:
        self.vault.close()


def _taxonomy_for(vault: Vault) -> Taxonomy:
    from kpfield.domain.taxonomy import Taxonomy as _T

    raw = vault.meta("taxonomy_json")
    if raw:
        import json

        return _T.from_json(json.loads(raw))
    return default_taxonomy()


def session_for(vault: Vault, clock: Clock | None = None) -> Session:
    clock = clock or SystemClock()
    return Session(
        vault=vault, reports=ReportService(vault, _taxonomy_for(vault), clock), clock=clock
    )


def open_session(data_dir: Path, passphrase: str, clock: Clock | None = None) -> Session:
    return session_for(Vault.open(data_dir, passphrase), clock)


def create_session(
    data_dir: Path,
    passphrase: str,
    *,
    role: str = "field",
    params: KdfParams | None = None,
    device_name: str = "",
    clock: Clock | None = None,
) -> Session:
    vault = Vault.create(data_dir, passphrase, role=role, params=params, device_name=device_name)
    if role == "hq":
        from kpfield.hq.keys import provision_hq_keys

        provision_hq_keys(vault)
    return session_for(vault, clock)


def configure_logging(verbose: bool = False) -> None:
    from kpfield.logging_setup import install

    install(logging.DEBUG if verbose else logging.WARNING)
