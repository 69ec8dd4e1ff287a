"""Shared fixtures: every test builds its own vault in tmp_path with cheap, explicit KDF params."""

from __future__ import annotations

import io
import json
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt widgets run offscreen unless a test run asks for a real display (e.g. under Xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kpfield.app import Session, create_session
from kpfield.vault.keyslots import KdfParams
from tests.relay.servers import Postgres, Seaweed

REPO = Path(__file__).resolve().parent.parent
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def cheap_params() -> KdfParams:
    return KdfParams.cheap_for_tests()


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def session(vault_dir: Path, cheap_params: KdfParams) -> Iterator[Session]:
    s = create_session(vault_dir, PASSPHRASE, params=cheap_params)
    yield s
    if s.vault.is_open:
        s.close()


@pytest.fixture
def example_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REPO / "docs" / "example-report.json").read_text("utf-8"))
    return doc


def make_jpeg(width: int = 640, height: int = 480, seed: int = 0, comment: bytes = b"") -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.new("RGB", (width, height), (rng.randrange(256), 90, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x0110] = "Model 1"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif.tobytes(), comment=comment)
    return out.getvalue()


@pytest.fixture
def jpeg_file(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(10_000))

    def _make(**kwargs: Any) -> Path:
        p = tmp_path / "photos" / f"photo{next(counter)}.jpg"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(make_jpeg(**kwargs))
        return p

    return _make


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    p = tmp_path / "pass.txt"
    p.write_text(PASSPHRASE + "\n", encoding="utf-8")
    os.chmod(p, 0o600)
    return p


# The distributed relay backend's real servers, started once per session and only when a test
# asks for them (tests/relay and tests/sync both run against them).
@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    server = Seaweed.start(tmp_path_factory.mktemp("seaweed"))
    with pytest.MonkeyPatch.context() as mp:  # boto3 reads the standard AWS variables
        for name, value in server.env().items():
            mp.setenv(name, value)
        yield server
    server.stop()


# ---------------------------------------------------------------------- leave promptly
# A thread some test leaves running (found at the end of 2026-12-02: the suite printed its
# summary, then the interpreter waited on 30 live threads at shutdown) must not hang CI for its
# 90 minutes. After the summary is printed, exit with pytest's status without joining threads.
# The leak itself is an open bug, named in the closing note.
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    import os
    import sys

    if _EXIT_STATUS and os.environ.get("KPFIELD_JOIN_THREADS_AT_EXIT") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
