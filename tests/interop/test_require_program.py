"""The interop fixture skips locally but fails under CI when a reference program is missing."""

from __future__ import annotations

import pytest

from tests.interop.conftest import require_program


def test_missing_program_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install age minisign"):
        require_program("age")


def test_missing_program_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install age minisign"):
        require_program("minisign")
