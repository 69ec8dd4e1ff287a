"""An HQ desk with something on it: two field laptops, one tampered bundle, one gap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpfield.app import HqSession, Session
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, export, new_field, new_hq, seal_report, stick


def example() -> dict[str, Any]:
    """The example report, its witness agreeing that HQ may hold their identity, and the
    monitor choosing to send it (bundle format 2 carries it as a separate member)."""
    doc = dict(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    for w in doc.get("witnesses", []):
        w["consent"] = dict(w["consent"], scope=dict(w["consent"]["scope"], identity_to_hq=True))
        w["send_identity"] = True
    return doc


def angola_report() -> dict[str, Any]:
    doc = example()
    doc["title"] = "Violação de garimpeiros em Cafunfo"
    doc["narrative"] = "Guardas da concessão cometeram uma violação grave: espancamentos no rio."
    doc["language"] = "pt"
    doc["place"] = {"country": "AO", "area": "Lunda Norte", "site": "Cafunfo"}
    doc["incident"] = dict(doc["incident"], categories=["killing"], perpetrators=["police"])
    doc["incident"]["date"] = {"date": "2026-08-14", "precision": "day", "approximate": False}
    for w in doc.get("witnesses", []):
        w["consent"] = dict(w["consent"], scope=dict(w["consent"]["scope"], share_with_kp=False))
    return doc


@dataclass
class Desk:
    hq: Session
    kono: Session
    lunda: Session
    sticks: dict[str, list[Path]] = field(default_factory=dict)
    imported_ids: list[str] = field(default_factory=list)

    @property
    def s(self) -> HqSession:
        return self.hq.hq()

    def close(self) -> None:
        for sess in (self.hq, self.kono, self.lunda):
            if sess.vault.is_open:
                sess.close()


def build_desk(tmp: Path, params: KdfParams, *, import_all: bool = True) -> Desk:
    """Kono (SL): one good bundle and one tampered one. Lunda (AO): bundles 1 and 3, not 2."""
    hq = new_hq(tmp / "hq", params)
    kono = new_field(tmp / "kono-laptop", params, hq)
    lunda = new_field(tmp / "lunda-laptop", params, hq)
    desk = Desk(hq, kono, lunda)
    seal_report(kono, example(), photos=1, seed=1)
    good = export(kono, stick(tmp, "kono1"))
    seal_report(kono, example(), photos=0, marker="second")
    [bad] = export(kono, stick(tmp, "kono2"))
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    desk.sticks["kono"] = [*good, bad]
    lunda_paths: list[Path] = []
    for i in range(3):
        seal_report(lunda, angola_report(), photos=0, marker=f"n{i}")
        lunda_paths += export(lunda, stick(tmp, f"lunda{i}"))
    desk.sticks["lunda"] = [lunda_paths[0], lunda_paths[2]]
    if import_all:
        desk.s.intake.import_paths([*desk.sticks["kono"], *desk.sticks["lunda"]])
    return desk


def desk_fixture(tmp: Path, params: KdfParams) -> Iterator[Desk]:
    desk = build_desk(tmp, params)
    yield desk
    desk.close()
