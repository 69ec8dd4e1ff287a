"""The relay application: routes behind the gate, and a uvicorn runner that says when it is ready.

Imports only the protocol, crypto, canonical JSON, errors and the relay's own modules (a test
checks the import closure): no vault, no Qt, no image library.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from kpfield.relay.backends import open_storage
from kpfield.relay.config import Limits, RelayIdentity, load_data_dir
from kpfield.relay.gate import Gate, RelayState, problem
from kpfield.relay.hq_api import HqApi
from kpfield.relay.storage import RelayStorage
from kpfield.relay.uploads import UploadsApi

log = logging.getLogger(__name__)


async def _not_found(request: Request, exc: Exception) -> Response:
    return problem(404, "not_found", "No such endpoint.")


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return problem(405, "method_not_allowed", "This endpoint does not take that method.")


async def _failed(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s: %s", request.url.path[:80], type(exc).__name__, exc_info=exc)
    return problem(500, "internal", "The relay failed; try again later.")


def build_app(
    storage: RelayStorage,
    identity: RelayIdentity,
    limits: Limits | None = None,
    clock: Callable[[], float] = time.time,
) -> ASGIApp:
    state = RelayState(storage, identity, limits or Limits(), clock)
    state.refresh_devices()
    up, hq = UploadsApi(state), HqApi(state)
    upload_path = "/v1/uploads/{bundle_id}"
    routes = [
        Route("/v1/uploads", up.options, methods=["OPTIONS"]),
        Route("/v1/uploads", up.create, methods=["POST"]),
        Route(upload_path, up.head, methods=["HEAD"]),
        Route(upload_path, up.patch, methods=["PATCH"]),
        Route(upload_path, up.delete, methods=["DELETE"]),
        Route("/v1/relay", hq.info, methods=["GET"]),
        Route("/v1/device-list", hq.device_list, methods=["GET"]),
        Route("/v1/documents", hq.documents, methods=["GET"]),
        Route("/v1/hq/device-list", hq.publish_device_list, methods=["POST"]),
        Route("/v1/hq/device-list", hq.hq_device_list, methods=["GET"]),
        Route("/v1/hq/bundles", hq.list_bundles, methods=["GET"]),
        Route("/v1/hq/bundles/{bundle_id}", hq.download_bundle, methods=["GET"]),
        Route("/v1/hq/devices/{device_id}/documents", hq.post_document, methods=["POST"]),
        Route("/v1/hq/flags", hq.flags, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={404: _not_found, 405: _not_allowed, Exception: _failed},
    )
    return Gate(app, state)


def serve(
    data_dir: Path,
    host: str,
    port: int,
    *,
    cert: Path | None = None,
    key: Path | None = None,
    limits: Limits | None = None,
    announce: Callable[[str], None] | None = None,
    database: str | None = None,
    objects: str | None = None,
) -> None:
    """Run the relay until interrupted; ``announce`` gets one line once it accepts connections.

    With ``database`` and ``objects`` the node serves from PostgreSQL + S3, shared with others."""
    import asyncio

    import uvicorn

    identity = load_data_dir(data_dir)
    storage = open_storage(data_dir, database, objects)
    app = build_app(storage, identity, limits)
    scheme = "https" if cert else "http"
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        log_level="warning",
        access_log=False,  # URLs hold bundle ids; the relay logs ids itself, sparingly
        server_header=False,
        timeout_keep_alive=30,
        h11_max_incomplete_event_size=16 * 1024,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
            line = f"kpfield relay: listening on {scheme}://{host}:{bound}"
            if announce is None:
                print(line, flush=True)
            else:
                announce(line)
        await task

    try:
        asyncio.run(main())
    finally:
        storage.close()
