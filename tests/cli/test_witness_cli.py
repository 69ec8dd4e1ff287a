"""`kpfield witness withdraw-consent`: the CLI twin of the witness dialog's "Withdraw consent"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.test_cli import assert_clean_error, run, vault

__all__ = ["vault"]  # the fixture, re-used


def test_withdraw_consent_erases_identity_and_records_it(
    vault: list[str], tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    [w] = json.loads(run("witness", "list", "--json", *vault).stdout)
    assert w["identifying_details_on_laptop"] is True
    bad = run("witness", "withdraw-consent", w["id"], "--scope", "fly", *vault)
    assert_clean_error(bad, 2, "Name what is withdrawn")
    r = run(
        "witness", "withdraw-consent", w["id"], "--scope", "recontact,identity_to_hq",
        "--on", "2026-11-20", *vault,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "erased from this laptop" in r.stdout
    [after] = json.loads(run("witness", "list", "--json", *vault).stdout)
    assert after["identifying_details_on_laptop"] is False
    assert after["consent"] is True  # coalition use and the others remain
    shown = json.loads(run("report", "show", rid, "--json", *vault).stdout)
    assert "identifying" not in shown["witnesses"][0]
    assert shown["witnesses"][0]["consent"]["scope"]["recontact"] is False


def test_consent_recording_names_an_audio_attachment_or_none(
    vault: list[str], tmp_path: Path, example_doc: dict[str, Any]
) -> None:
    from tests.support.recordings import wav_bytes

    doc = tmp_path / "r.json"
    doc.write_text(json.dumps(example_doc), encoding="utf-8")
    rid = run("report", "new", "--from", str(doc), *vault).stdout.strip()
    (tmp_path / "consent.wav").write_bytes(wav_bytes(b"\x00\x01" * 8000))
    (tmp_path / "notes.txt").write_text("typed after the interview", encoding="utf-8")
    attached = run(
        "attach", rid, str(tmp_path / "consent.wav"), str(tmp_path / "notes.txt"), *vault
    ).stdout.split("\n")
    wav_id, wav_sha, _ = attached[0].split("  ")
    txt_id = attached[1].split("  ")[0]
    [w] = json.loads(run("witness", "list", "--json", *vault).stdout)
    assert_clean_error(
        run("witness", "consent-recording", w["id"], txt_id, *vault), 2, "not a recording"
    )
    assert_clean_error(
        run("witness", "consent-recording", w["id"], *vault), 2, "or --none"
    )
    r = run("witness", "consent-recording", w["id"], wav_id, *vault)
    assert r.returncode == 0, r.stderr
    assert wav_sha in r.stdout
    shown = json.loads(run("report", "show", rid, "--json", *vault).stdout)
    assert shown["witnesses"][0]["consent"]["recording_sha256"] == wav_sha
    r = run("witness", "consent-recording", w["id"], "--none", *vault)
    assert r.returncode == 0 and "names no recording" in r.stdout
    shown = json.loads(run("report", "show", rid, "--json", *vault).stdout)
    assert "recording_sha256" not in shown["witnesses"][0]["consent"]
