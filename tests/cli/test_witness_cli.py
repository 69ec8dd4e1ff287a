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
