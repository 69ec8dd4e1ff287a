"""A tiny round-robin TCP balancer on 127.0.0.1 in front of several relay nodes (threads).

Each new connection goes to the next node (a node that refuses the connection, e.g. one killed
and not yet back, is skipped). To make a keep-alive HTTP client switch nodes between *requests*,
not only between connections, it adds ``Connection: close`` to the head of each response: the
client then opens a new connection, to the next node, for its next request. Resets propagate:
when one side of a connection breaks, the other side gets a TCP RST, so a node sees a client
that vanished mid-body exactly as it would without the balancer.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.support.faultproxy import _rst

_HEAD_LIMIT = 64 << 10


class Balancer:
    def __init__(self, ports: list[int]) -> None:
        self.ports = list(ports)  # one per node; replace an entry when a node restarts
        self.served = [0] * len(ports)  # connections each node received
        self.lock = threading.Lock()
        self._next = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Balancer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _connect(self) -> socket.socket | None:
        with self.lock:
            first, self._next = self._next, (self._next + 1) % len(self.ports)
        for i in range(len(self.ports)):
            node = (first + i) % len(self.ports)
            try:
                sock = socket.create_connection(("127.0.0.1", self.ports[node]), timeout=5)
            except OSError:
                continue
            with self.lock:
                self.served[node] += 1
            sock.settimeout(None)
            return sock
        return None

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = self._connect()
        if upstream is None:
            _rst(client)
            return
        threading.Thread(target=self._responses, args=(upstream, client), daemon=True).start()
        self._copy(client, upstream)

    def _copy(self, src: socket.socket, dst: socket.socket, first: bytes = b"") -> None:
        try:
            if first:
                dst.sendall(first)
            while data := src.recv(65536):
                dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
        except OSError:  # one side broke: break the other the same way
            _rst(src)
            _rst(dst)

    def _responses(self, upstream: socket.socket, client: socket.socket) -> None:
        head = b""
        try:
            while b"\r\n" not in head and len(head) < _HEAD_LIMIT:
                data = upstream.recv(65536)
                if not data:
                    break
                head += data
        except OSError:
            _rst(upstream)
            _rst(client)
            return
        end = head.find(b"\r\n")
        if end >= 0:  # after the status line
            head = head[: end + 2] + b"Connection: close\r\n" + head[end + 2 :]
        self._copy(upstream, client, head)
