"""Progress and cancellation for long work, and the changes an operation made. Qt-free.

Every long call (export, import, attach, sync) takes ``progress(done, total)`` and
``cancel() -> bool``; the GUI's task runner and the CLI pass their own. An operation returns a
:class:`Changes` value that the runner broadcasts so that each screen decides whether to refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from kpfield.errors import N_, Cancelled

T = TypeVar("T")

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in units the caller chose (bytes, files, reports)."""

ByteProgress = Callable[[int], None]
"""``progress(done)`` for a stream whose total the caller knows."""

CancelCheck = Callable[[], bool]
"""``cancel()`` is true once the user asked to stop."""


def raise_if_cancelled(cancel: CancelCheck | None) -> None:
    """Raise :class:`Cancelled` if the user asked to stop."""
    if cancel is not None and cancel():
        raise Cancelled(N_("Cancelled."))


def scaled(progress: Progress | None, base: int, cap: int, total: int) -> Progress:
    """A progress callback for one part of a larger job: ``base`` … ``base + cap`` of ``total``."""

    def step(done: int, _total: int) -> None:
        if progress is not None:
            progress(min(total, base + min(done, cap)), total)

    return step


@dataclass(frozen=True)
class Changes:
    """What an operation changed, for the screens that show it."""

    reports: frozenset[str] = field(default_factory=frozenset)
    """Ids of reports whose content or status changed (or that were added or purged)."""
    report_list: bool = False
    """Rows were added or removed, or a status shown in a list changed."""
    profile: bool = False
    """The coalition profile (or the taxonomy it carries) changed."""
    devices: bool = False
    """Enrolled devices changed (HQ), or what a laptop knows of its own enrollment (field)."""
    transfers: bool = False
    """Bundles, receipts, the outbox or the HQ inbox changed."""
    settings: bool = False
    """Vault settings changed (passphrase, duress, unlock limit)."""
    cases: bool = False
    """HQ cases were added, or their review state, links or notes changed."""
    inbox: bool = False
    """HQ intake saw bundles (the inbox and the devices' overview changed)."""

    @classmethod
    def for_reports(cls, ids: Iterable[str], *, listed: bool = True) -> Changes:
        return cls(reports=frozenset(ids), report_list=listed)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            reports=self.reports | other.reports,
            report_list=self.report_list or other.report_list,
            profile=self.profile or other.profile,
            devices=self.devices or other.devices,
            transfers=self.transfers or other.transfers,
            settings=self.settings or other.settings,
            cases=self.cases or other.cases,
            inbox=self.inbox or other.inbox,
        )

    def __bool__(self) -> bool:
        return bool(
            self.reports
            or self.report_list
            or self.profile
            or self.devices
            or self.transfers
            or self.settings
            or self.cases
            or self.inbox
        )


NO_CHANGES = Changes()


class StoreRunner(Protocol):
    """Runs ``fn`` where the vault's connection lives and returns its result.

    Sync and pull do their vault work in short steps through one of these, and their network
    work outside it, so no network wait ever holds the store (the GUI passes its store lane's
    ``job.on_store``; the CLI, being one thread, runs the step in place).
    """

    def __call__(self, fn: Callable[[], T]) -> T: ...


def run_here(fn: Callable[[], T]) -> T:
    """The :class:`StoreRunner` of a single-threaded caller."""
    return fn()
