"""Pick the relay's storage at the composition root: the embedded SQLite + directory by default,
or PostgreSQL + S3 when ``--database`` and ``--objects`` are given (imported only then)."""

from __future__ import annotations

from pathlib import Path

from kpfield.errors import N_, UsageError
from kpfield.relay.storage import RelayStorage


def check_urls(database: str | None, objects: str | None) -> None:
    if (database is None) != (objects is None):
        raise UsageError(N_("--database and --objects go together."))
    if database is not None and not database.startswith(("postgresql://", "postgres://")):
        raise UsageError(N_("--database takes postgresql://USER@HOST:PORT/DB."))


def open_storage(data_dir: Path, database: str | None, objects: str | None) -> RelayStorage:
    """The storage a node serves from; several nodes may share one database and bucket."""
    check_urls(database, objects)
    if database is None or objects is None:
        from kpfield.relay.sqlite_store import SqliteStorage

        return SqliteStorage(data_dir / "store")
    from kpfield.relay.objects import ObjectStore, ObjectsUrl
    from kpfield.relay.pg_store import PgS3Storage

    store = ObjectStore(ObjectsUrl.parse(objects))
    store.ensure_bucket()
    return PgS3Storage(database, store)
