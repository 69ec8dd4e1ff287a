"""Fixtures locating the reference age / minisign programs.

A missing program skips the test locally, but fails it when ``CI=true``: CI must run interop.
"""

from __future__ import annotations

import os
import shutil

import pytest

_INSTALL_HINT = "apt-get install age minisign"


def require_program(name: str) -> str:
    """Path of ``name``; skip (or fail under CI=true) with an install hint if it is missing."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = f"the reference program {name!r} is not installed; run: {_INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def age_bin() -> str:
    return require_program("age")


@pytest.fixture
def age_keygen_bin() -> str:
    return require_program("age-keygen")


@pytest.fixture
def minisign_bin() -> str:
    return require_program("minisign")
