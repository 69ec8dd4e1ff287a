"""A fault-injecting TCP proxy on 127.0.0.1 (threads), between the sync client and the relay.

Faults, each switchable while traffic flows: reset a connection after N upstream bytes (mid-
chunk) or on demand (``reset_all``), a silent blackhole (bytes accepted, nothing forwarded, no
answer), a bandwidth cap shared by all connections (a token bucket per direction), one-way
latency, a response truncated after N bytes, and every request duplicated to the relay on a
second connection (the relay sees each one twice; the client gets the first connection's answer).
The copy is held until the original's answer starts, as a middlebox's retransmission would be:
behind a balancer it reaches another node, which must refuse it as a replay (the status lines
the copies got are in ``duplicate_answers``).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Faults:
    reset_after_upstream: int | None = None  # bytes client→relay on one connection, then RST
    resets_left: int = 0  # how many such resets (on as many connections)
    blackhole: bool = False
    rate: float | None = None  # bytes per second, each direction
    latency: float = 0.0  # seconds, each direction
    truncate_response_after: int | None = None  # bytes relay→client, then close
    truncations_left: int = 0
    duplicate: bool = False
    rewrite_response: Callable[[bytes], bytes] | None = None  # applied to relay→client data


@dataclass
class _Bucket:
    next_free: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, n: int, rate: float | None) -> None:
        if rate is None:
            return
        with self.lock:
            now = time.monotonic()
            self.next_free = max(self.next_free, now) + n / rate
            wait = self.next_free - now - n / rate
        if wait > 0:
            time.sleep(wait)


def _rst(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults = Faults()
        self.up, self.down = _Bucket(), _Bucket()
        self.lock = threading.Lock()
        self.active: set[socket.socket] = set()
        self.connections = 0
        self.resets = 0
        self.upstream_bytes = 0
        self.duplicate_answers: list[bytes] = []  # status line each duplicated copy got
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        self.reset_all()

    def reset_all(self) -> int:
        """Reset every open connection now (both sides see a TCP RST)."""
        with self.lock:
            socks, self.active = list(self.active), set()
            if socks:
                self.resets += 1
        for s in socks:
            _rst(s)
        return len(socks)

    # ------------------------------------------------------------------ plumbing
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        except OSError:
            _rst(client)
            return
        upstream.settimeout(None)
        twin = None
        f = self.faults
        if f.duplicate:
            with contextlib.suppress(OSError):
                twin = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        with self.lock:
            self.connections += 1
            self.active.update(s for s in (client, upstream, twin) if s is not None)
            # Armed on every connection, spent only when it fires (``resets_left`` counts resets,
            # not connections: behind a balancer each small request has its own connection).
            reset_at = f.reset_after_upstream if f.resets_left > 0 else None
            truncate_at = None
            if f.truncate_response_after is not None and f.truncations_left > 0:
                f.truncations_left -= 1
                truncate_at = f.truncate_response_after
        answered = threading.Event()  # the original's answer has started
        copies: queue.Queue[bytes | None] | None = None
        if twin is not None:
            copies = queue.Queue()
            threading.Thread(target=self._twin, args=(twin, copies, answered), daemon=True).start()
        threading.Thread(
            target=self._pump,
            args=(upstream, client, self.down, None, truncate_at, None, answered),
            daemon=True,
        ).start()
        self._pump(client, upstream, self.up, reset_at, None, copies, answered)
        answered.set()  # the original is over: release a copy still held
        if copies is not None:
            copies.put(None)

    def _spend_reset(self) -> bool:
        with self.lock:
            if self.faults.resets_left <= 0:
                return False
            self.faults.resets_left -= 1
            self.resets += 1
            return True

    def _twin(
        self, sock: socket.socket, copies: queue.Queue[bytes | None], answered: threading.Event
    ) -> None:
        """Send the copy once the original's answer has started; record the copy's answers."""
        threading.Thread(target=self._twin_answers, args=(sock,), daemon=True).start()
        answered.wait(60)
        with contextlib.suppress(OSError):
            while (data := copies.get()) is not None:
                sock.sendall(data)

    def _twin_answers(self, sock: socket.socket) -> None:
        seen = b""
        with contextlib.suppress(OSError):
            while data := sock.recv(65536):
                seen += data
        with self.lock:
            self.duplicate_answers += [
                line for line in seen.split(b"\r\n") if line.startswith(b"HTTP/1.")
            ]
        _rst(sock)

    def _pump(  # noqa: PLR0917
        self,
        src: socket.socket,
        dst: socket.socket,
        bucket: _Bucket,
        reset_at: int | None,
        truncate_at: int | None,
        twin: queue.Queue[bytes | None] | None,
        answered: threading.Event,
    ) -> None:
        """Read ``src`` into a delay line; a writer forwards each piece once its latency is up,
        at the capped rate, injecting the faults (so latency does not throttle throughput)."""
        # Bounded, like a router's buffer: a full line pushes back on the sender.
        line: queue.Queue[tuple[float, bytes]] = queue.Queue(maxsize=32)
        writer = threading.Thread(
            target=self._forward,
            args=(line, src, dst, bucket, reset_at, truncate_at, twin, answered),
            daemon=True,
        )
        writer.start()
        try:
            while True:
                data = src.recv(4096 if self.faults.rate is not None else 65536)
                line.put((time.monotonic() + self.faults.latency, data))
                if not data:
                    break
        except OSError:
            line.put((0.0, b""))
        writer.join()

    def _forward(  # noqa: PLR0917
        self,
        line: queue.Queue[tuple[float, bytes]],
        src: socket.socket,
        dst: socket.socket,
        bucket: _Bucket,
        reset_at: int | None,
        truncate_at: int | None,
        twin: queue.Queue[bytes | None] | None,
        answered: threading.Event,
    ) -> None:
        moved = 0
        try:
            while True:
                due, data = line.get()
                if not data:
                    break
                f = self.faults
                while self.faults.blackhole and not self._stop.is_set():
                    time.sleep(0.05)  # hold the bytes: the other side hears nothing
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                bucket.take(len(data), f.rate)
                if reset_at is not None and moved + len(data) >= reset_at and self._spend_reset():
                    dst.sendall(data[: max(reset_at - moved, 0)])
                    _rst(src)
                    _rst(dst)
                    return
                if truncate_at is not None and moved + len(data) >= truncate_at:
                    dst.sendall(data[: max(truncate_at - moved, 0)])
                    _rst(dst)
                    _rst(src)
                    return
                if bucket is self.down and f.rewrite_response is not None:
                    data = f.rewrite_response(data)
                dst.sendall(data)
                if twin is not None:
                    twin.put(data)
                if bucket is self.down:
                    answered.set()
                moved += len(data)
                if bucket is self.up:
                    with self.lock:
                        self.upstream_bytes += len(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            with self.lock:
                self.active.discard(src)
                self.active.discard(dst)
