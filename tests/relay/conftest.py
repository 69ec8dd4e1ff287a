"""One real relay (uvicorn in a subprocess on a free port) per test module. PostgreSQL and
SeaweedFS (once per session, for the distributed backend) are fixtures of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.relay.support import Key, RelayProcess, device_list, init_relay, send


@dataclass
class Relay:
    process: RelayProcess
    data_dir: Path
    hq: Key
    device: Key
    other: Key
    revoked: Key
    stranger: Key

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.process.url, timeout=10)


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    root = tmp_path_factory.mktemp("relay")
    hq, device, other, revoked, stranger = Key(), Key(), Key(), Key(), Key()
    data_dir = root / "data"
    init_relay(data_dir, hq)
    process = RelayProcess(data_dir)
    process.start()
    found = Relay(process, data_dir, hq, device, other, revoked, stranger)
    with found.client() as client:
        listing = device_list(hq, 1, [device, other], [revoked])
        answer = send(client, hq, "POST", "/v1/hq/device-list", listing)
        assert answer.status_code == 200, answer.text
    yield found
    process.stop()
