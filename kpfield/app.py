"""Composition root: builds the session of one unlocked vault, by its role. No globals.

A screen or a command asks the session for a service and never touches a connection. The role is
checked once, here: a field session has export, acknowledgement, profile installation and
enrollment requests; an HQ session has keys, profile issuing, devices and intake. Asking a
session of the wrong role for one of them (``session.field()`` / ``session.hq()``) is a clear
usage error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kpfield.domain.models import VaultRole
from kpfield.domain.taxonomy import Taxonomy, load_taxonomy
from kpfield.errors import N_, UsageError
from kpfield.paths import resources_dir
from kpfield.process import harden_process
from kpfield.services.clock import Clock, SystemClock, iso
from kpfield.services.identity import IdentityService
from kpfield.services.passphrases import PassphraseService
from kpfield.services.reports import ReportService
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.vault import Vault

# Each role's services are imported when a session of that role is built, and the relay
# clients (httpx) when sync or pull is first asked for: a command loads only what it runs
# (``kpfield export`` starts in a fraction of the time; tests/test_startup_imports.py).
if TYPE_CHECKING:
    from kpfield.services.acknowledgement import AcknowledgementService
    from kpfield.services.desk import CaseService
    from kpfield.services.enrollment import DeviceService, FieldEnrollmentService
    from kpfield.services.export import ExportService
    from kpfield.services.exports.service import CaseExportService
    from kpfield.services.figures import FigureService
    from kpfield.services.hq_identities import WitnessIdentityService
    from kpfield.services.hq_keys import HqKeyService
    from kpfield.services.inbox import InboxService
    from kpfield.services.intake import IntakeService
    from kpfield.services.profiles import FieldProfileService, HqProfileService
    from kpfield.services.pull import HqPullService
    from kpfield.services.repair import RepairResult
    from kpfield.services.sync import FieldSyncService
    from kpfield.services.verify import DamagedDerivative, VerifyResult
    from kpfield.services.witnesses import WitnessService

__all__ = ["FieldSession", "HqSession", "Session", "harden_process", "open_session"]


log = logging.getLogger(__name__)


def default_taxonomy() -> Taxonomy:
    return load_taxonomy(resources_dir() / "taxonomy.json")


@dataclass
class Session:
    """Everything that lives while a vault is unlocked (the services common to both roles)."""

    vault: Vault
    clock: Clock
    reports: ReportService
    passphrases: PassphraseService
    identity: IdentityService

    @property
    def role(self) -> VaultRole:
        return VaultRole(self.vault.role)

    def now(self) -> str:
        """The session clock's time as stored (UTC ISO-8601)."""
        return iso(self.clock.now())

    def field(self) -> FieldSession:
        """This session as a field laptop's, or a usage error on an HQ vault."""
        raise UsageError(N_("This is an HQ vault; this command is for field laptops."))

    def hq(self) -> HqSession:
        """This session as the HQ desk's, or a usage error on a field vault."""
        raise UsageError(N_("This is a field vault; this command is for the HQ desk."))

    def verify(self) -> VerifyResult:
        """Check the custody chain, every seal and every stored blob."""
        from kpfield.services.verify import verify_vault

        return verify_vault(self.vault)

    def repair(self, damaged: Sequence[DamagedDerivative]) -> RepairResult:
        """Regenerate damaged derivatives (thumbnails) from their verified originals."""
        from kpfield.services.repair import repair_derivatives

        return repair_derivatives(self.vault, damaged)

    def close(self) -> None:
        self.vault.close()


@dataclass
class FieldSession(Session):
    profile: FieldProfileService
    enrollment: FieldEnrollmentService
    export: ExportService
    acknowledgements: AcknowledgementService
    witnesses: WitnessService

    @cached_property
    def sync(self) -> FieldSyncService:
        """Built on first use: it brings the relay client (httpx) that nothing else needs."""
        from kpfield.services.sync import FieldSyncService

        return FieldSyncService(
            self.vault, self.clock, self.profile, self.export, self.acknowledgements
        )

    def field(self) -> FieldSession:
        return self


@dataclass
class HqSession(Session):
    keys: HqKeyService
    profile: HqProfileService
    devices: DeviceService
    intake: IntakeService
    cases: CaseService
    inbox: InboxService
    figures: FigureService
    exports: CaseExportService
    identities: WitnessIdentityService

    @cached_property
    def pull(self) -> HqPullService:
        """Built on first use: it brings the relay client (httpx) that nothing else needs."""
        from kpfield.services.pull import HqPullService

        return HqPullService(self.vault, self.clock, self.intake, self.devices)

    def hq(self) -> HqSession:
        return self


def _taxonomy_for(vault: Vault) -> Taxonomy:
    raw = vault.meta("taxonomy_json")
    if raw:
        return Taxonomy.from_json(json.loads(raw))
    return default_taxonomy()


def session_for(vault: Vault, clock: Clock | None = None) -> FieldSession | HqSession:
    """The session of an open vault, built for its role."""
    clock = clock or SystemClock()
    common = {
        "vault": vault,
        "clock": clock,
        "reports": ReportService(vault, _taxonomy_for(vault), clock),
        "passphrases": PassphraseService(vault),
        "identity": IdentityService(vault),
    }
    if VaultRole(vault.role) is VaultRole.HQ:
        from kpfield.services.desk import CaseService
        from kpfield.services.enrollment import DeviceService
        from kpfield.services.exports.service import CaseExportService
        from kpfield.services.figures import FigureService
        from kpfield.services.hq_identities import WitnessIdentityService
        from kpfield.services.hq_keys import HqKeyService
        from kpfield.services.inbox import InboxService
        from kpfield.services.intake import IntakeService
        from kpfield.services.profiles import HqProfileService

        devices, intake = DeviceService(vault, clock), IntakeService(vault, clock)
        cases = CaseService(vault, clock)
        cases.ensure_indexed()
        taxonomy = _taxonomy_for(vault)
        figures = FigureService(vault, cases, taxonomy)
        return HqSession(
            **common,  # type: ignore[arg-type]
            keys=HqKeyService(vault, clock),
            profile=HqProfileService(vault, clock),
            devices=devices,
            intake=intake,
            cases=cases,
            inbox=InboxService(vault),
            figures=figures,
            exports=CaseExportService(vault, clock, taxonomy, cases, figures),
            identities=WitnessIdentityService(vault, clock),
        )
    from kpfield.services.acknowledgement import AcknowledgementService
    from kpfield.services.enrollment import FieldEnrollmentService
    from kpfield.services.export import ExportService
    from kpfield.services.profiles import FieldProfileService
    from kpfield.services.witnesses import WitnessService

    profiles = FieldProfileService(vault)
    export = ExportService(vault, clock, profiles)
    acknowledgements = AcknowledgementService(vault, clock, profiles)
    return FieldSession(
        **common,  # type: ignore[arg-type]
        profile=profiles,
        enrollment=FieldEnrollmentService(vault, clock),
        export=export,
        acknowledgements=acknowledgements,
        witnesses=WitnessService(vault, clock),
    )


def open_session(
    data_dir: Path, passphrase: str, clock: Clock | None = None
) -> FieldSession | HqSession:
    session = session_for(Vault.open(data_dir, passphrase), clock)
    if isinstance(session, FieldSession):
        # An export killed between making a bundle visible and recording it is settled now
        # when its sink is reachable (the outbox always is); a missing stick waits for the
        # next export. Opening the vault must never fail because of it.
        try:
            session.export.reconcile(defer_unknown=True)
        except Exception:  # noqa: BLE001
            log.warning("a pending bundle could not be settled at start")
    return session


def create_session(
    data_dir: Path,
    passphrase: str,
    *,
    role: str = VaultRole.FIELD,
    params: KdfParams | None = None,
    device_name: str = "",
    clock: Clock | None = None,
) -> FieldSession | HqSession:
    """A new vault and its session, all or nothing: if any step after the files appear fails
    (HQ keys, the taxonomy the session needs), the half-made vault is erased before the error
    goes on, so "Nothing was changed" stays true and a second ``init`` can succeed."""
    vault = Vault.create(data_dir, passphrase, role=role, params=params, device_name=device_name)
    try:
        if VaultRole(role) is VaultRole.HQ:
            from kpfield.hq.keys import provision_hq_keys

            provision_hq_keys(vault)
        return session_for(vault, clock)
    except BaseException:
        from kpfield.vault.vault import wipe

        vault.close()
        wipe(data_dir)
        raise
