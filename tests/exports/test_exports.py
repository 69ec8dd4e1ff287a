"""Exports: consent enforced, no identity or original photo in any file, signed manifests."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from kpfield.domain.desk import CaseFilter
from kpfield.errors import UsageError
from kpfield.protocol import export_manifest
from kpfield.protocol.canonical import canonical_json
from kpfield.services.exports.service import ExportKind
from tests.exports.conftest import CONTACTS, NAMES, World
from tests.interop.conftest import require_program

KINDS = list(ExportKind)


def _out(tmp_path: Path, kind: ExportKind) -> Path:
    suffix = {"pdf_brief": ".pdf", "events_json": ".json"}.get(kind.value, ".csv")
    return tmp_path / f"export-{kind.value}{suffix}"


def _manifest(world: World, path: Path) -> dict:
    from kpfield.hq.keys import hq_signer

    data = path.with_name(path.name + export_manifest.SUFFIX).read_bytes()
    signed = export_manifest.parse_manifest(data, hq_signer(world.hq.vault).public)
    return signed.doc


@pytest.mark.parametrize("kind", KINDS)
def test_no_export_names_an_identity_or_holds_an_original_photo(
    world: World, tmp_path: Path, kind: ExportKind
) -> None:
    out = _out(tmp_path, kind)
    world.hq.exports.export(kind, out)
    data = out.read_bytes()
    for secret in (*NAMES, *CONTACTS, "(kept only in the vault)", "do not contact"):
        assert secret.encode() not in data
    for original in world.originals:
        assert original not in data
        assert original[2:600] not in data  # not even its EXIF header
    assert b"GPS secret camera comment" not in data
    assert b"TestCam" not in data


def test_cases_csv_names_only_witnesses_who_consented_to_coalition_use(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "cases.csv"
    result = world.hq.exports.export(ExportKind.CASES_CSV, out)
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert result.included == 2
    assert result.left_out == 1
    assert [r["witnesses_named"] for r in rows] == ["W-Baobab", "W-Kapok"]
    assert "W-Mango" not in out.read_text("utf-8")
    assert rows[0]["incident_date"] == "2026-06-10"
    assert rows[0]["latitude"] == "8.643210"
    assert rows[0]["photos"] == "1"


def test_incident_csv_is_deidentified_and_needs_consent_to_publish(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "incidents.csv"
    world.hq.exports.export(ExportKind.INCIDENTS_CSV, out)
    text = out.read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["time_precision"] == "1"
    assert rows[0]["latitude"] == "8.64"  # about 1 km, not the exact spot
    assert rows[0]["geo_precision"] == "1"
    assert rows[0]["actor_types"] == "private_security"
    assert "W-Baobab" not in text and "beaten" not in text  # no witnesses, no narrative


def test_events_json_follows_the_documented_shape(world: World, tmp_path: Path) -> None:
    out = tmp_path / "events.json"
    world.hq.exports.export(ExportKind.EVENTS_JSON, out)
    doc = json.loads(out.read_text("utf-8"))
    assert doc["format"] == "kpfield.events/1"
    ev = doc["events"][0]
    assert ev["event_record_number"] == world.report_ids[0]
    act = ev["acts"][0]
    assert act["type_of_act"]["id"] == "private_security_abuse"
    assert act["victims"] == [ev["persons"][0]["person_record_number"]]
    assert act["involvements"][0]["perpetrator_type"]["id"] == "private_security"
    assert ev["persons"][0]["name"] == "W-Baobab"
    assert ev["persons"][0]["name_is_pseudonym"] is True


@pytest.mark.parametrize("kind", KINDS)
def test_same_input_gives_the_same_bytes(world: World, tmp_path: Path, kind: ExportKind) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    world.hq.exports.export(kind, _out(a, kind))
    world.hq.exports.export(kind, _out(b, kind))
    assert _out(a, kind).read_bytes() == _out(b, kind).read_bytes()


def test_exports_follow_the_filter(world: World, tmp_path: Path) -> None:
    out = tmp_path / "cases.csv"
    result = world.hq.exports.export(
        ExportKind.CASES_CSV, out, CaseFilter(date_from="2026-07-01")
    )
    assert result.included == 1  # case 1 (July); case 2 (August) has no coalition consent
    assert result.left_out == 1
    assert _manifest(world, out)["filter"] == {"date_from": "2026-07-01"}


def test_the_manifest_lists_what_was_left_out_and_why(world: World, tmp_path: Path) -> None:
    out = tmp_path / "brief.pdf"
    result = world.hq.exports.export(ExportKind.PDF_BRIEF, out)
    doc = _manifest(world, out)
    assert doc["export"]["sha256"] == result.sha256
    assert doc["export"]["file"] == "brief.pdf"
    assert [i["report_id"] for i in doc["included"]] == world.report_ids[:1]
    assert {x["report_id"] for x in doc["left_out"]} == set(world.report_ids[1:])
    assert all("Kimberley Process" in x["reason"] for x in doc["left_out"])
    entries = world.hq.cases.audit_log()
    assert entries[-1].action == "export"


def test_an_override_includes_the_report_and_is_logged(world: World, tmp_path: Path) -> None:
    out = tmp_path / "brief.pdf"
    with pytest.raises(UsageError):
        world.hq.exports.export(ExportKind.PDF_BRIEF, out, override=[world.report_ids[1]])
    with pytest.raises(UsageError):
        world.hq.exports.export(ExportKind.CASES_CSV, out, override=[world.report_ids[1]],
                                override_reason="x")
    result = world.hq.exports.export(
        ExportKind.PDF_BRIEF, out, override=[world.report_ids[1]],
        override_reason="The working group asked for the Kono cases",
    )  # fmt: skip
    assert (result.included, result.left_out, result.overridden) == (2, 1, 1)
    doc = _manifest(world, out)
    assert doc["overridden"] == [world.report_ids[1]]
    overrides = [e for e in world.hq.cases.audit_log() if e.action == "override"]
    assert [e.report_id for e in overrides] == [world.report_ids[1]]
    assert world.hq.cases.verify_audit() == []


def test_the_manifest_verifies_with_the_reference_minisign(world: World, tmp_path: Path) -> None:
    minisign = require_program("minisign")
    from kpfield.hq.keys import hq_signer

    out = tmp_path / "cases.csv"
    world.hq.exports.export(ExportKind.CASES_CSV, out)
    raw = json.loads(out.with_name(out.name + export_manifest.SUFFIX).read_bytes())
    body = tmp_path / "manifest-body.json"
    body.write_bytes(canonical_json(raw[export_manifest.KIND]))
    (tmp_path / "manifest-body.json.minisig").write_text(raw["signature"])
    pub = tmp_path / "hq.pub"
    pub.write_text(hq_signer(world.hq.vault).public.to_text("KP Field HQ signing key"))
    subprocess.run([minisign, "-Vq", "-p", str(pub), "-m", str(body)], check=True)
    body.write_bytes(body.read_bytes().replace(b"cases.csv", b"cases.CSV"))
    bad = subprocess.run([minisign, "-Vq", "-p", str(pub), "-m", str(body)], check=False)
    assert bad.returncode != 0
