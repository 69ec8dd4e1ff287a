"""The vault's numbered schema migrations, as files in this package, and the loader that finds them.

A migration is ``NNNN_name.sql`` (run in every vault), optionally with ``NNNN_name.field.sql`` /
``NNNN_name.hq.sql`` (run after it, only in a vault of that role), or a Python module
``NNNN_name.py`` defining ``apply(conn, role)`` where logic is needed. SQL files are read through
:mod:`importlib.resources` and Python steps found with :mod:`pkgutil`, so an installed wheel, a zip
or a frozen build finds them as a source tree does (the ``.sql`` files are package data in
pyproject.toml).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from types import MappingProxyType
from typing import Any

ROLES = ("field", "hq")

Connection = Any  # sqlcipher3 has no type stubs
SqlRunner = Callable[[Connection, str], None]
PythonStep = Callable[[Connection, str], None]

_FILE = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)(?:\.(?P<role>[a-z]+))?\.(?:sql|py)$")


@dataclass(frozen=True)
class Migration:
    """One schema step: SQL for every role, SQL per role, or a Python step taking the role."""

    number: int
    name: str
    common: str = ""
    by_role: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    step: PythonStep | None = None

    def apply(self, conn: Connection, role: str, run_sql: SqlRunner) -> None:
        """Run this step inside the caller's transaction; ``run_sql`` must not commit."""
        if role not in ROLES:
            raise ValueError(f"unknown vault role {role!r}")
        if self.step is not None:
            self.step(conn, role)
            return
        if self.common:
            run_sql(conn, self.common)
        if role in self.by_role:
            run_sql(conn, self.by_role[role])


@dataclass
class _Parts:
    name: str
    common: str = ""
    by_role: dict[str, str] = field(default_factory=dict)
    module: str | None = None


def load() -> tuple[Migration, ...]:
    """Every migration shipped in this package, numbered 1, 2, 3, … without gaps.

    A malformed layout (a gap, two names for one number, an unknown role, SQL mixed with Python)
    is a packaging bug, so it raises instead of migrating a vault half-way.
    """
    found: dict[int, _Parts] = {}

    def parts_for(filename: str) -> tuple[_Parts, str | None]:
        match = _FILE.match(filename)
        if match is None:
            raise RuntimeError(f"migration file with an unexpected name: {filename}")
        number, name = int(match["number"]), match["name"]
        parts = found.setdefault(number, _Parts(name))
        if parts.name != name:
            raise RuntimeError(f"migration {number} has two names: {parts.name}, {name}")
        return parts, match["role"]

    # A frozen build may keep modules in an archive that a directory listing does not show.
    for module in pkgutil.iter_modules(__path__):
        parts, _ = parts_for(module.name + ".py")
        parts.module = module.name
    for entry in files(__name__).iterdir():
        if not entry.name.endswith(".sql"):
            continue  # __init__.py, the Python steps (found above), __pycache__
        parts, role = parts_for(entry.name)
        if role is None:
            parts.common = entry.read_text(encoding="utf-8")
        elif role in ROLES:
            parts.by_role[role] = entry.read_text(encoding="utf-8")
        else:
            raise RuntimeError(f"migration for an unknown role: {entry.name}")
    if sorted(found) != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers are not 1..{len(found)}: {sorted(found)}")
    return tuple(_build(number, found[number]) for number in sorted(found))


def _build(number: int, parts: _Parts) -> Migration:
    if parts.module is None:
        return Migration(number, parts.name, parts.common, MappingProxyType(dict(parts.by_role)))
    if parts.common or parts.by_role:
        raise RuntimeError(f"migration {number} is both SQL and Python")
    module = importlib.import_module(f"{__name__}.{parts.module}")
    step: PythonStep = module.apply
    return Migration(number, parts.name, step=step)
