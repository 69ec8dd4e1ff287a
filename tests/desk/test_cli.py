"""The desk's CLI twins: cases list/show/review, devices list, inbox; report list points to cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpfield.cli import main
from tests.desk.world import Desk


def run(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    desk.hq.close()
    opts = ["--data-dir", str(desk.hq.vault.paths.root), "--passphrase-file", str(passphrase_file)]
    code = main([*argv, *opts])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cases_list_filters_and_searches(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(desk, passphrase_file, capsys, "cases", "list", "--json", "--country", "ao")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 2
    assert {c["country"] for c in data["cases"]} == {"AO"}
    code, out, _ = run(desk, passphrase_file, capsys, "cases", "list", "--search", "violacao")
    assert code == 0
    assert "«Violação»" in out or "«violação»" in out


def test_cases_show_and_review(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [rid] = desk.s.cases.ids(desk_filter_sl())
    code, out, _ = run(desk, passphrase_file, capsys, "cases", "show", rid[:8], "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["device"]["name"] == "kono-laptop"
    assert all(c["ok"] for c in shown["checks"])
    assert "identifying" not in json.dumps(shown["report"])
    code, _, err = run(desk, passphrase_file, capsys, "cases", "review", rid, "--state", "rejected")
    assert code == 2
    assert "reason" in err
    code, out, _ = run(
        desk, passphrase_file, capsys, "cases", "review", rid, "--state", "rejected",
        "--reason", "not diamond-related",
    )  # fmt: skip
    assert code == 0
    code, out, _ = run(desk, passphrase_file, capsys, "cases", "audit", "--json")
    assert code == 0
    assert json.loads(out)["entries"][-1]["details"]["reason"] == "not diamond-related"
    code, out, _ = run(desk, passphrase_file, capsys, "verify")
    assert code == 0, out


def desk_filter_sl():  # type: ignore[no-untyped-def]
    from kpfield.domain.desk import CaseFilter

    return CaseFilter(country="SL")


def test_devices_and_inbox(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(desk, passphrase_file, capsys, "devices", "list")
    assert code == 0
    assert "lunda-laptop" in out
    assert "MISSING bundles: 2" in out
    code, out, _ = run(desk, passphrase_file, capsys, "inbox", "--json")
    entries = json.loads(out)
    assert [e["status"] for e in entries].count("rejected") == 1
    assert {e["device"]["name"] for e in entries if e["status"] == "imported"} == {
        "kono-laptop",
        "lunda-laptop",
    }
    code, out, _ = run(desk, passphrase_file, capsys, "inbox")
    assert "reason:" in out


def test_report_list_in_hq_points_to_cases(
    desk: Desk, passphrase_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(desk, passphrase_file, capsys, "report", "list")
    assert code == 2
    assert "kpfield cases list" in err
